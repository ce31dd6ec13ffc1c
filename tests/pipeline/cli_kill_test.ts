/**
 * Integration: killed or interrupted runs leave nothing that looks valid,
 * and the next run resumes the killed step from its checkpoint.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  alive,
  cli,
  makeProject,
  outputText,
  ran,
  records,
  removeProject,
  spawnCli,
  waitFor,
} from "./helpers.ts";

/** Waits until the `count` step has saved at least `epoch` epochs; returns its checkpoint dir and pid. */
async function countCheckpoint(dir: string, epoch: number): Promise<{ ckpt: string; pid: number }> {
  return await waitFor(async () => {
    try {
      for await (const e of Deno.readDir(join(dir, "artifacts/checkpoints"))) {
        const ckpt = join(dir, "artifacts/checkpoints", e.name);
        const state = JSON.parse(await Deno.readTextFile(join(ckpt, "state.json")));
        const pid = Number(await Deno.readTextFile(join(ckpt, "pid")));
        if (state.epoch >= epoch && pid > 0) return { ckpt, pid };
      }
    } catch { /* not yet */ }
    return undefined;
  });
}

/** The expected result of `count` under the `slow` profile (8 epochs), whatever the interruptions. */
const SLOW_STATE = { epochs: 8, acc: 1 + 4 + 9 + 16 + 25 + 36 + 49 + 64 };

async function tmpEntries(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, "artifacts/tmp"))) out.push(e.name);
  return out;
}

Deno.test("kill: SIGKILL of the step records nothing; the next run resumes from the checkpoint", async () => {
  const dir = await makeProject();
  try {
    const run = spawnCli(dir, ["reproduce", "--profile", "slow", "--only", "count"]);
    const { ckpt, pid } = await countCheckpoint(dir, 2);
    Deno.kill(pid, "SIGKILL");
    const r = await run.done;
    equal(r.code, 1, r.stdout + r.stderr);
    match(r.stdout, /✗ count {2}/);
    match(r.stdout, /killed by SIGKILL/);
    match(r.stdout, /log: artifacts\/logs\/slow\/count\.log/);
    deepStrictEqual(await records(dir), [], "no record after a killed step");
    deepStrictEqual(await tmpEntries(dir), [], "staging removed");
    ok((await Deno.stat(ckpt)).isDirectory, "checkpoint kept");

    const again = await cli(dir, ["reproduce", "--profile", "slow", "--only", "count"]);
    equal(again.code, 0, again.stdout + again.stderr);
    deepStrictEqual(ran(again.stdout), ["count"]);
    match(again.stdout, /count \| resumed from epoch [2-7]/);
    deepStrictEqual(JSON.parse(await outputText(dir, "count", "state", "slow")), SLOW_STATE);
    equal(
      await Deno.stat(ckpt).then(() => true, () => false),
      false,
      "checkpoint removed after success",
    );
  } finally {
    await removeProject(dir);
  }
});

Deno.test("kill: SIGKILL of the engine stops the step, records nothing; the next run takes over the lock and resumes", async () => {
  const dir = await makeProject();
  try {
    const run = spawnCli(dir, ["reproduce", "--profile", "slow", "--only", "count"]);
    const { pid } = await countCheckpoint(dir, 2);
    run.child.kill("SIGKILL");
    await run.done;
    // The step notices that its runner is gone and stops by itself.
    await waitFor(() => (alive(pid) ? undefined : true), 10_000);
    deepStrictEqual(await records(dir), []);
    ok(
      await Deno.stat(join(dir, "artifacts/lock")).then(() => true, () => false),
      "the dead engine's lock is left",
    );
    ok((await tmpEntries(dir)).length > 0, "its staging directory is left behind");

    const again = await cli(dir, ["reproduce", "--profile", "slow", "--only", "count"]);
    equal(again.code, 0, again.stdout + again.stderr);
    match(again.stderr, /took over a stale lock/);
    match(again.stdout, /count \| resumed from epoch [2-7]/);
    deepStrictEqual(JSON.parse(await outputText(dir, "count", "state", "slow")), SLOW_STATE);
    deepStrictEqual(await tmpEntries(dir), [], "stale staging cleaned");
    equal(
      await Deno.stat(join(dir, "artifacts/lock")).then(() => true, () => false),
      false,
      "lock released",
    );
  } finally {
    await removeProject(dir);
  }
});

Deno.test("kill: SIGTERM to the engine stops the steps, cleans up, releases the lock, exits 130", async () => {
  const dir = await makeProject();
  try {
    const run = spawnCli(dir, ["reproduce", "--profile", "slow", "--only", "count"]);
    const { pid } = await countCheckpoint(dir, 1);
    run.child.kill("SIGTERM");
    const r = await run.done;
    equal(r.code, 130, r.stdout + r.stderr);
    match(r.stdout, /interrupted/);
    equal(alive(pid), false);
    deepStrictEqual(await records(dir), []);
    deepStrictEqual(await tmpEntries(dir), []);
    equal(await Deno.stat(join(dir, "artifacts/lock")).then(() => true, () => false), false);
    const again = await cli(dir, ["reproduce", "--profile", "slow", "--only", "count"]);
    equal(again.code, 0, again.stderr);
    match(again.stdout, /resumed from epoch/);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("mid-run change: code edited while the step runs is detected and nothing is recorded", async () => {
  const dir = await makeProject();
  try {
    const run = spawnCli(dir, ["reproduce", "--profile", "slow", "--only", "count"]);
    await countCheckpoint(dir, 1);
    await Deno.writeTextFile(join(dir, "steps/count.ts"), "// edited during the run\n", {
      append: true,
    });
    const r = await run.done;
    equal(r.code, 1, r.stdout + r.stderr);
    match(
      r.stdout,
      /inputs, code or sources changed while the step ran \(steps\/count\.ts\); the result is not recorded/,
    );
    deepStrictEqual(await records(dir), []);
    const again = await cli(dir, ["reproduce", "--profile", "slow", "--only", "count"]);
    equal(again.code, 0, again.stderr);
    deepStrictEqual(ran(again.stdout), ["count"]);
  } finally {
    await removeProject(dir);
  }
});
