/**
 * A run that runs nothing writes nothing: every file in the store and under
 * out/ keeps its bytes, inode and mtime (watchers, LaTeX builds, rsync and
 * backups then have nothing to redo). The only new file is the run's entry
 * in the history (runs/), which every reproduce writes.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { cli, makeProject, ran, removeProject, snapshotFiles } from "./helpers.ts";

Deno.test("no-op: a reproduce with nothing to run leaves every file in the store and out/ untouched", async () => {
  const dir = await makeProject("mini");
  try {
    const first = await cli(dir, ["reproduce"]);
    equal(first.code, 0, first.stdout + first.stderr);
    ok(ran(first.stdout).length > 0);
    const before = await snapshotFiles(join(dir, "artifacts"));
    ok(before.some((l) => l.startsWith("/out/")), "something is published");
    // Let a rewrite show up as a new mtime even on coarse clocks.
    await new Promise((r) => setTimeout(r, 20));
    const second = await cli(dir, ["reproduce"]);
    equal(second.code, 0, second.stdout + second.stderr);
    deepStrictEqual(ran(second.stdout), []);
    const after = await snapshotFiles(join(dir, "artifacts"));
    const isRun = (l: string) => l.startsWith("/runs/");
    deepStrictEqual(after.filter((l) => !isRun(l)), before.filter((l) => !isRun(l)));
    // Every earlier run entry is untouched; the history gained this run.
    deepStrictEqual(after.filter(isRun).filter((l) => before.includes(l)), before.filter(isRun));
    equal(after.filter(isRun).length, before.filter(isRun).length + 1);
  } finally {
    await removeProject(dir);
  }
});
