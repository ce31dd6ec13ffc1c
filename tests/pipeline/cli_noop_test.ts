/**
 * A run that runs nothing writes nothing: every file in the store and under
 * out/ keeps its bytes, inode and mtime (watchers, LaTeX builds, rsync and
 * backups then have nothing to redo).
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
    deepStrictEqual(await snapshotFiles(join(dir, "artifacts")), before);
  } finally {
    await removeProject(dir);
  }
});
