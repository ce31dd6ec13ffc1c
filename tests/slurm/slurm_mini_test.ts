/**
 * Integration against a real Slurm (see cluster.ts): the engine's small
 * fixture (tests/fixtures/mini) runs through sbatch with the keys and
 * outputs of a local run; a failing job reports its log tail; a job killed
 * by scancel leaves nothing half-written and the rerun resumes it; Ctrl-C
 * of the engine cancels its queued and running jobs; a killed engine's jobs
 * are adopted by the next run (or cancelled when no instance needs them). Ignored (loudly) where Slurm cannot run.
 */
import { deepStrictEqual, doesNotMatch, equal, match, notEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  alive,
  cli,
  failed,
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
  type TestCluster,
} from "./cluster.ts";

const avail = await slurmAvailability();

/** The flags of every Slurm run here: a quick poll keeps the tests short. */
const SLURM = ["--executor", "slurm", "--slurm-poll", "0.3"];
/** The result of `count` under the `slow` profile (8 epochs), whatever the interruptions. */
const SLOW_STATE = { epochs: 8, acc: 1 + 4 + 9 + 16 + 25 + 36 + 49 + 64 };

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

async function entries(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) out.push(e.name);
  } catch { /* absent */ }
  return out.sort();
}

/** Waits until a `count` checkpoint has at least `epoch` epochs; returns its directory and pid. */
async function countCheckpoint(dir: string, epoch: number): Promise<{ ckpt: string; pid: number }> {
  return await waitFor(async () => {
    for (const name of await entries(join(dir, "artifacts/checkpoints"))) {
      const ckpt = join(dir, "artifacts/checkpoints", name);
      try {
        const state = JSON.parse(await Deno.readTextFile(join(ckpt, "state.json")));
        const pid = Number(await Deno.readTextFile(join(ckpt, "pid")));
        if (state.epoch >= epoch && pid > 0) return { ckpt, pid };
      } catch { /* not yet */ }
    }
    return undefined;
  }, 60_000);
}

/** id -> [key, output hashes] of a store's records. */
function summary(recs: RunRecord[]): Map<string, [string, Record<string, string>]> {
  return new Map(
    recs.map((r) => [
      r.id,
      [r.key, Object.fromEntries(Object.entries(r.outputs).map(([k, o]) => [k, o.hash]))],
    ]),
  );
}

/** Job ids the CLI reported as submitted. */
function submitted(stdout: string): string[] {
  return [...stdout.matchAll(/\| slurm: job (\d+) submitted$/gm)].map((m) => m[1]);
}

/** The job's state as scontrol shows it. */
async function jobState(c: TestCluster, id: string): Promise<string> {
  const r = await slurmCommand(c.env, "scontrol", ["show", "job", "--oneliner", id]);
  return /JobState=(\S+)/.exec(r.out)?.[1] ?? "?";
}

Deno.test({
  name: slurmTestName("slurm executor against a real one-node cluster (mini fixture)", avail),
  ignore: !avail.ok,
}, async (t) => {
  const c = await startCluster();
  const env = c.env;
  try {
    await t.step(
      "the pipeline runs through sbatch with the keys and outputs of a local run",
      async () => {
        const local = await makeProject();
        const dir = await makeProject();
        try {
          const l = await cli(local, ["reproduce"]);
          equal(l.code, 0, l.stdout + l.stderr);
          // Selected in the file (with its own flags), the poll interval from the command line.
          await replaceIn(
            dir,
            "pipeline.yaml",
            "version: 1\n",
            "version: 1\nexecutor: { name: slurm, time: 10m, extra: [--nice=10] }\n",
          );
          const s = await cli(dir, ["reproduce", "--slurm-poll", "0.3"], env);
          equal(s.code, 0, s.stdout + s.stderr);
          deepStrictEqual(ran(s.stdout), ran(l.stdout));
          equal(submitted(s.stdout).length, 8, s.stdout);
          const recs = await records(dir);
          deepStrictEqual(recs.map((r) => r.executor), Array(8).fill("slurm"));
          deepStrictEqual(summary(recs), summary(await records(local)), "same keys, same outputs");
          deepStrictEqual(await entries(join(dir, "artifacts/tmp")), [], "staging removed");
          // The job log: the executor's notes around the step's own output.
          const log = await Deno.readTextFile(join(dir, "artifacts/logs/default/gen.log"));
          match(
            log,
            /^slurm: job \d+ submitted: sbatch .*--job-name=gen .*--time=0-00:10:00 .*--nice=10 /m,
          );
          match(log, /^generating 4 numbers$/m);
          match(log, /^slurm: job \d+ COMPLETED on \S+, exit code 0:0$/m);
          // Nothing enters the key: the local executor finds everything up to date.
          const again = await cli(dir, ["reproduce", "--executor", "local"]);
          equal(again.code, 0, again.stderr);
          match(again.stdout, /ran 0, cached 8, failed 0/);
        } finally {
          await removeProject(local);
          await removeProject(dir);
        }
      },
    );

    await t.step("a failing job reports the tail of its log", async () => {
      const dir = await makeProject();
      try {
        await replaceIn(
          dir,
          "steps/gen.ts",
          "  const numbers",
          '  console.error("gen: about to fail on purpose");\n  throw new Error("boom");\n  const numbers',
        );
        const r = await cli(dir, ["reproduce", ...SLURM], env);
        equal(r.code, 1, r.stdout + r.stderr);
        deepStrictEqual(failed(r.stdout), ["gen"]);
        match(r.stdout, /✗ gen .*\n {2}exited with code 1\n {2}--- last \d+ log lines ---\n/);
        match(r.stdout, /^ {2}gen: about to fail on purpose$/m);
        match(r.stdout, /^ {2}Error: boom$/m);
        match(r.stdout, /^ {2}slurm: job \d+ FAILED on \S+, exit code 1:0$/m);
        match(r.stdout, /^ {2}log: artifacts\/logs\/default\/gen\.log$/m);
        ok(!ran(r.stdout).some((id) => id.startsWith("square")), "nothing downstream ran");
        deepStrictEqual((await records(dir)).filter((x) => x.step === "gen"), []);
      } finally {
        await removeProject(dir);
      }
    });

    await t.step(
      "scancel mid-run leaves nothing half-written; the rerun resumes from the checkpoint",
      async () => {
        const dir = await makeProject();
        try {
          await replaceIn(dir, "pipeline.yaml", "delay_ms: 400", "delay_ms: 1000"); // room to act
          const run = spawnCli(
            dir,
            ["reproduce", "--profile", "slow", "--only", "count", ...SLURM],
            env,
          );
          const { ckpt } = await countCheckpoint(dir, 2);
          const job = (await projectJobs(env, dir)).find((j) =>
            j.name === "count" && j.state === "RUNNING"
          );
          ok(job, "count runs as a job named after its instance");
          equal((await slurmCommand(env, "scancel", [job.id])).code, 0);
          const r = await run.done;
          equal(r.code, 1, r.stdout + r.stderr);
          match(
            r.stdout,
            /✗ count .*\n {2}Slurm job \d+ was cancelled \(scancel, or an administrator\); a rerun resumes/,
          );
          deepStrictEqual(await records(dir), [], "no record");
          deepStrictEqual(await entries(join(dir, "artifacts/tmp")), [], "no staging left");
          deepStrictEqual(await entries(join(dir, "artifacts/out")), [], "nothing published");
          ok(await exists(join(ckpt, "state.json")), "checkpoint kept");
          const v = await cli(dir, ["verify"]);
          equal(v.code, 0, v.stdout + v.stderr);
          match(v.stdout, /all good/);

          const again = await cli(dir, [
            "reproduce",
            "--profile",
            "slow",
            "--only",
            "count",
            ...SLURM,
          ], env);
          equal(again.code, 0, again.stdout + again.stderr);
          deepStrictEqual(ran(again.stdout), ["count"]);
          match(again.stdout, /^count \| resumed from epoch [2-7]$/m);
          deepStrictEqual(JSON.parse(await outputText(dir, "count", "state", "slow")), SLOW_STATE);
          equal(await exists(ckpt), false, "checkpoint removed after success");
        } finally {
          await removeProject(dir);
        }
      },
    );

    await t.step("Ctrl-C of the engine cancels its running and queued jobs", async () => {
      const dir = await makeProject();
      try {
        await replaceIn(dir, "pipeline.yaml", "delay_ms: 400", "delay_ms: 1000");
        // Two instances that each need the whole (2-CPU) node: one runs, the other waits.
        await replaceIn(
          dir,
          "pipeline.yaml",
          "  k: [1, 2, 3]\n",
          "  k: [1, 2, 3]\n  rep: [1, 2]\n",
        );
        await replaceIn(
          dir,
          "pipeline.yaml",
          "    params: [epochs, delay_ms]\n",
          `    params: [epochs, delay_ms]\n    matrix: [rep]\n    resources: { cores: ${navigator.hardwareConcurrency} }\n`,
        );
        const run = spawnCli(
          dir,
          ["reproduce", "--profile", "slow", "--only", "count", ...SLURM],
          env,
        );
        const { pid } = await countCheckpoint(dir, 1);
        let seen = "";
        const states = await waitFor(async () => {
          const jobs = await projectJobs(env, dir);
          seen = jobs.map((j) => `${j.id} ${j.name} ${j.state}`).join("; ");
          const s = jobs.map((j) => j.state).sort();
          return s.join() === "PENDING,RUNNING" ? jobs : undefined;
        }).catch((e) => {
          throw new Error(`${e.message}; jobs: ${seen}`);
        });
        run.child.kill("SIGINT");
        const r = await run.done;
        equal(r.code, 130, r.stdout + r.stderr);
        match(r.stdout, /interrupted: ran 0/);
        const ids = submitted(r.stdout).sort();
        deepStrictEqual(ids, states.map((j) => j.id).sort());
        for (const id of ids) equal(await jobState(c, id), "CANCELLED", `job ${id}`);
        equal(alive(pid), false, "the running step is gone");
        deepStrictEqual(await records(dir), []);
        deepStrictEqual(await entries(join(dir, "artifacts/tmp")), []);
        equal(await exists(join(dir, "artifacts/lock")), false, "lock released");
      } finally {
        await removeProject(dir);
      }
    });

    await t.step(
      "a killed engine's job is adopted by the next run: followed to its end, published, never submitted twice",
      async () => {
        const dir = await makeProject();
        try {
          // Slow enough that the orphaned job is still running when the next run starts.
          await replaceIn(dir, "pipeline.yaml", "delay_ms: 400", "delay_ms: 1500");
          const args = ["reproduce", "--profile", "slow", "--only", "count", ...SLURM];
          const run = spawnCli(dir, args, env);
          await countCheckpoint(dir, 2);
          run.child.kill("SIGKILL");
          const first = await run.done;
          const id = submitted(first.stdout)[0];
          ok(id, first.stdout);
          const left = (await projectJobs(env, dir)).find((j) => j.id === id);
          equal(left?.state, "RUNNING", "the job outlives a SIGKILLed engine");
          const st = await cli(dir, ["status", "--profile", "slow"]);
          match(st.stdout, new RegExp(`^slurm job ${id}: count \\(attempt 1, submitted `, "m"));
          const again = await cli(dir, args, env);
          equal(again.code, 0, again.stdout + again.stderr);
          match(
            again.stdout,
            new RegExp(
              `note: following 1 job\\(s\\) an earlier run left on this store: ${id} \\(count\\)`,
            ),
          );
          deepStrictEqual(submitted(again.stdout), [], "nothing submitted again");
          match(again.stdout, new RegExp(`^count \\| slurm: job ${id} adopted$`, "m"));
          doesNotMatch(again.stdout, /cancelling/);
          deepStrictEqual(ran(again.stdout), ["count"]);
          deepStrictEqual(JSON.parse(await outputText(dir, "count", "state", "slow")), SLOW_STATE);
          equal(await jobState(c, id), "COMPLETED");
          const [rec] = await records(dir);
          equal(rec.attempts?.length, 1);
          equal(rec.attempts?.[0].job, id);
          equal(rec.attempts?.[0].adopted, true);
          const log = await Deno.readTextFile(join(dir, "artifacts/logs/slow/count.log"));
          match(log, new RegExp(`^slurm: job ${id} COMPLETED on \\S+, exit code 0:0$`, "m"));
          deepStrictEqual(await entries(join(dir, "artifacts/tmp")), [], "staging removed");
          deepStrictEqual(await entries(join(dir, "artifacts/jobs")), [], "job file removed");
          // The same outputs as a clean local run.
          const local = await makeProject();
          try {
            await replaceIn(local, "pipeline.yaml", "delay_ms: 400", "delay_ms: 1500");
            equal(
              (await cli(local, ["reproduce", "--profile", "slow", "--only", "count"])).code,
              0,
            );
            deepStrictEqual(summary(await records(dir)), summary(await records(local)));
          } finally {
            await removeProject(local);
          }
        } finally {
          await removeProject(dir);
        }
      },
    );

    await t.step(
      "a killed engine's job that no current instance needs is cancelled before anything runs",
      async () => {
        const dir = await makeProject();
        try {
          await replaceIn(dir, "pipeline.yaml", "delay_ms: 400", "delay_ms: 1500");
          const run = spawnCli(
            dir,
            ["reproduce", "--profile", "slow", "--only", "count", ...SLURM],
            env,
          );
          await countCheckpoint(dir, 2);
          run.child.kill("SIGKILL");
          await run.done;
          const left = (await projectJobs(env, dir)).find((j) =>
            j.name === "count" && j.state === "RUNNING"
          );
          ok(left, "the job outlives a SIGKILLed engine");
          // Another key: the old job works for nobody now.
          await replaceIn(dir, "pipeline.yaml", "delay_ms: 1500", "delay_ms: 300");
          const again = await cli(dir, [
            "reproduce",
            "--profile",
            "slow",
            "--only",
            "count",
            ...SLURM,
          ], env);
          equal(again.code, 0, again.stdout + again.stderr);
          match(
            again.stdout,
            new RegExp(
              `note: cancelling 1 Slurm job\\(s\\) that an earlier, killed run left on this store: ${left.id}`,
            ),
          );
          equal(await jobState(c, left.id), "CANCELLED");
          notEqual(submitted(again.stdout)[0], left.id);
          deepStrictEqual(JSON.parse(await outputText(dir, "count", "state", "slow")), SLOW_STATE);
          deepStrictEqual(await entries(join(dir, "artifacts/jobs")), [], "job file removed");
        } finally {
          await removeProject(dir);
        }
      },
    );
  } finally {
    await c.stop();
  }
});
