/** Integration: the store lock between concurrent commands. */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { cli, makeProject, ran, records, removeProject, spawnCli, waitFor } from "./helpers.ts";

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

Deno.test("lock: a concurrent reproduce with --no-wait exits 3 naming the holder; the store stays sound", async () => {
  const dir = await makeProject();
  try {
    const first = spawnCli(dir, ["reproduce", "--profile", "slow", "--only", "count"]);
    await waitFor(async () => (await exists(join(dir, "artifacts/checkpoints")) &&
        [...Deno.readDirSync(join(dir, "artifacts/checkpoints"))].length > 0
      ? true
      : undefined)
    );
    const second = await cli(dir, ["reproduce", "--profile", "slow", "--no-wait"]);
    equal(second.code, 3, second.stdout + second.stderr);
    match(
      second.stderr,
      /the store is locked by pid \d+ on \S+ since .*: reproduce --profile slow/,
    );
    equal(second.stdout, "");
    // Read-only commands do not need the lock.
    const status = await cli(dir, ["status", "--profile", "slow"]);
    equal(status.code, 0, status.stderr);
    const r = await first.done;
    equal(r.code, 0, r.stdout + r.stderr);
    deepStrictEqual((await records(dir)).map((x) => x.id), ["count"]);
    const v = await cli(dir, ["verify"]);
    equal(v.code, 0, v.stdout);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("lock: without --no-wait a second command waits for the holder, then runs", async () => {
  const dir = await makeProject();
  try {
    await Deno.mkdir(join(dir, "artifacts"), { recursive: true });
    // Held by this (live) test process.
    const lock = join(dir, "artifacts/lock");
    await Deno.writeTextFile(
      lock,
      JSON.stringify({
        pid: Deno.pid,
        host: Deno.hostname(),
        time: "now",
        command: "test holder",
        nonce: "x",
      }),
    );
    const waiting = spawnCli(dir, ["reproduce", "--only", "gen"]);
    // It must still be waiting while the lock is held (no record appears).
    await new Promise((r) => setTimeout(r, 1500));
    deepStrictEqual(await records(dir), []);
    await Deno.remove(lock);
    const r = await waiting.done;
    equal(r.code, 0, r.stdout + r.stderr);
    match(r.stderr, /waiting for the store lock held by pid \d+ .*test holder/);
    deepStrictEqual(ran(r.stdout), ["gen"]);
    equal(await exists(lock), false);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("lock: gc and verify take the lock too; a stale lock is taken over with a note", async () => {
  const dir = await makeProject();
  try {
    await Deno.mkdir(join(dir, "artifacts"), { recursive: true });
    const lock = join(dir, "artifacts/lock");
    const holder = {
      pid: Deno.pid,
      host: Deno.hostname(),
      time: "now",
      command: "test holder",
      nonce: "x",
    };
    await Deno.writeTextFile(lock, JSON.stringify(holder));
    for (const cmd of [["gc"], ["verify"]]) {
      const r = await cli(dir, [...cmd, "--no-wait"]);
      equal(r.code, 3, `${cmd}: ${r.stderr}`);
    }
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    await Deno.writeTextFile(lock, JSON.stringify({ ...holder, pid: dead.pid }));
    const r = await cli(dir, ["reproduce", "--only", "gen", "--no-wait"]);
    equal(r.code, 0, r.stderr);
    match(r.stderr, /note: took over a stale lock left by pid \d+/);
    ok(!(await exists(lock)));
  } finally {
    await removeProject(dir);
  }
});
