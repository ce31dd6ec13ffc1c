/**
 * Surviving the cluster, against a real Slurm (see cluster.ts): a time
 * limit retried with the next rung of `resources.time` resumes from the
 * checkpoint; a job cancelled from outside is resubmitted under
 * `retries: 1`; instances of one step that are ready together go out as one
 * job array with the outputs of separate jobs. Ignored (loudly) where Slurm
 * cannot run.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  cli,
  makeProject,
  outputText,
  ran,
  records,
  removeProject,
  replaceIn,
  spawnCli,
  waitFor,
} from "../pipeline/helpers.ts";
import type { RunRecord } from "../../lib/pipeline/store/record.ts";
import {
  projectJobs,
  slurmAvailability,
  slurmCommand,
  slurmTestName,
  startCluster,
} from "./cluster.ts";

const avail = await slurmAvailability();
const SLURM = ["--executor", "slurm", "--slurm-poll", "0.3"];
const SLOW_STATE = { epochs: 8, acc: 1 + 4 + 9 + 16 + 25 + 36 + 49 + 64 };

/** Sum of k^2 for k = 1..n (the `count` step's result). */
const squares = (n: number) => (n * (n + 1) * (2 * n + 1)) / 6;

function submitted(stdout: string): string[] {
  return [...stdout.matchAll(/\| slurm: job (\S+) submitted/gm)].map((m) => m[1]);
}

function summary(recs: RunRecord[]): Map<string, [string, Record<string, string>]> {
  return new Map(
    recs.map((r) => [
      r.id,
      [r.key, Object.fromEntries(Object.entries(r.outputs).map(([k, o]) => [k, o.hash]))],
    ]),
  );
}

Deno.test({
  name: slurmTestName("slurm: retries, resource ladders and job arrays on a real cluster", avail),
  ignore: !avail.ok,
}, async (t) => {
  const c = await startCluster();
  const env = c.env;
  // Slurm counts time limits in whole minutes and checks them about every 30 s, so the
  // first rung (1 minute) ends a ~95 s step somewhere in 60-90 s; it runs alongside the rest.
  const slow = await makeProject();
  const EPOCHS = 95;
  await replaceIn(
    slow,
    "pipeline.yaml",
    "    params: [epochs, delay_ms]\n",
    "    params: [epochs, delay_ms]\n    resources: { time: [1m, 3m] }\n",
  );
  await replaceIn(
    slow,
    "pipeline.yaml",
    "epochs: 8, delay_ms: 400",
    `epochs: ${EPOCHS}, delay_ms: 1000`,
  );
  const timeout = spawnCli(
    slow,
    ["reproduce", "--profile", "slow", "--only", "count", ...SLURM],
    env,
  );
  try {
    await t.step("a job cancelled from outside is resubmitted under retries: 1", async () => {
      const dir = await makeProject();
      try {
        await replaceIn(dir, "pipeline.yaml", "delay_ms: 400", "delay_ms: 1000");
        await replaceIn(
          dir,
          "pipeline.yaml",
          "    params: [epochs, delay_ms]\n",
          "    params: [epochs, delay_ms]\n    retries: 1\n",
        );
        const run = spawnCli(
          dir,
          ["reproduce", "--profile", "slow", "--only", "count", ...SLURM],
          env,
        );
        const job = await waitFor(async () => {
          const j = (await projectJobs(env, dir)).find((j) =>
            j.name === "count" && j.state === "RUNNING"
          );
          if (!j) return undefined;
          // Past an epoch, so the resubmitted job has a checkpoint to resume from.
          const ckpts = await Array.fromAsync(Deno.readDir(join(dir, "artifacts/checkpoints")));
          for (const e of ckpts) {
            const f = join(dir, "artifacts/checkpoints", e.name, "state.json");
            if (await Deno.stat(f).then(() => true, () => false)) return j;
          }
          return undefined;
        }, 60_000);
        equal((await slurmCommand(env, "scancel", [job.id])).code, 0);
        const r = await run.done;
        equal(r.code, 0, r.stdout + r.stderr);
        const ids = submitted(r.stdout);
        equal(ids.length, 2, r.stdout);
        equal(ids[0], job.id);
        match(
          r.stdout,
          /^count \| attempt 2 of 2: cancelled on attempt 1: resubmitted as it was \(cores=1\)$/m,
        );
        match(r.stdout, /^count \| resumed from epoch [1-7]$/m);
        deepStrictEqual(JSON.parse(await outputText(dir, "count", "state", "slow")), SLOW_STATE);
        const [rec] = await records(dir);
        deepStrictEqual(rec.attempts?.map((a) => [a.attempt, a.outcome, a.job]), [
          [1, "cancelled", ids[0]],
          [2, "ok", ids[1]],
        ]);
        const log = await Deno.readTextFile(join(dir, "artifacts/logs/slow/count.log"));
        match(log, /^engine: attempt 1 of 2, cores=1$/m);
        match(log, new RegExp(`^slurm: job ${ids[0]} CANCELLED`, "m"));
        match(log, /^engine: attempt 2 of 2 \(cancelled on attempt 1: resubmitted as it was\)/m);
        match(log, new RegExp(`^slurm: job ${ids[1]} COMPLETED`, "m"));
      } finally {
        await removeProject(dir);
      }
    });

    await t.step("six ready instances of one step go out as one job array", async () => {
      const six = await makeProject();
      const alone = await makeProject();
      try {
        for (const d of [six, alone]) {
          await replaceIn(d, "pipeline.yaml", "  k: [1, 2, 3]\n", "  k: [1, 2, 3, 4, 5, 6]\n");
        }
        await replaceIn(
          six,
          "pipeline.yaml",
          "version: 1\n",
          "version: 1\nexecutor: { name: slurm, array: { max: 10, throttle: 4 } }\n",
        );
        const a = await cli(six, ["reproduce", "--only", "square", "--slurm-poll", "0.3"], env);
        equal(a.code, 0, a.stdout + a.stderr);
        const ids = submitted(a.stdout);
        const gen = ids.filter((id) => !id.includes("_"));
        equal(gen.length, 1, `gen alone is a plain job: ${ids}`);
        const elements = ids.filter((id) => id.includes("_"));
        const array = elements[0]?.split("_")[0];
        deepStrictEqual(
          elements.sort(),
          [0, 1, 2, 3, 4, 5].map((i) => `${array}_${i}`),
          a.stdout,
        );
        const log = await Deno.readTextFile(join(six, "artifacts/logs/default/square[k=4].log"));
        match(
          log,
          new RegExp(`^slurm: element \\d of job array ${array}: sbatch .*--array=0-5%4 `, "m"),
        );
        match(log, new RegExp(`^slurm: job ${array}_\\d COMPLETED on \\S+, exit code 0:0$`, "m"));
        const b = await cli(alone, ["reproduce", "--only", "square", ...SLURM], env);
        equal(b.code, 0, b.stdout + b.stderr);
        equal(submitted(b.stdout).filter((id) => id.includes("_")).length, 0, "no array when off");
        equal(submitted(b.stdout).length, 7);
        const recs = await records(six);
        equal(recs.length, 7, "each element recorded on its own");
        deepStrictEqual(summary(recs), summary(await records(alone)), "same keys, same outputs");
        ok(recs.every((r) => r.executor === "slurm"));
      } finally {
        await removeProject(six);
        await removeProject(alone);
      }
    });

    await t.step(
      "a time limit is retried with the next rung and resumes from the checkpoint",
      async () => {
        const r = await timeout.done;
        equal(r.code, 0, r.stdout + r.stderr);
        match(
          r.stdout,
          /^count \| attempt 2 of 2: timeout on attempt 1: time 60s -> 180s \(cores=1 time=180s\)$/m,
        );
        match(r.stdout, /^count \| resumed from epoch \d+$/m);
        deepStrictEqual(ran(r.stdout), ["count"]);
        deepStrictEqual(JSON.parse(await outputText(slow, "count", "state", "slow")), {
          epochs: EPOCHS,
          acc: squares(EPOCHS),
        });
        const [rec] = await records(slow);
        deepStrictEqual(rec.attempts?.map((a) => [a.outcome, a.resources.timeSeconds]), [
          ["timeout", 60],
          ["ok", 180],
        ]);
        const log = await Deno.readTextFile(join(slow, "artifacts/logs/slow/count.log"));
        match(log, /--time=0-00:01:00 /);
        match(log, /--time=0-00:03:00 /);
        match(log, /^slurm: job \S+ TIMEOUT/m);
      },
    );
  } finally {
    await timeout.done.catch(() => {});
    await removeProject(slow);
    await c.stop();
  }
});
