/**
 * A run that runs nothing writes nothing: every file in the store and under
 * out/ keeps its bytes, inode and mtime (watchers, LaTeX builds, rsync and
 * backups then have nothing to redo).
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { cli, makeProject, ran, removeProject } from "./helpers.ts";

/** Every regular file under `root` with its size, inode and mtime. */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      const st = await Deno.lstat(p);
      if (st.isDirectory) await walk(p);
      else {out.push(
          `${p.slice(root.length)} size=${st.size} ino=${st.ino} mtime=${st.mtime?.getTime()}`,
        );}
    }
  };
  await walk(root);
  return out.sort();
}

Deno.test("no-op: a reproduce with nothing to run leaves every file in the store and out/ untouched", async () => {
  const dir = await makeProject("mini");
  try {
    const first = await cli(dir, ["reproduce"]);
    equal(first.code, 0, first.stdout + first.stderr);
    ok(ran(first.stdout).length > 0);
    const before = await snapshot(join(dir, "artifacts"));
    ok(before.some((l) => l.startsWith("/out/")), "something is published");
    // Let a rewrite show up as a new mtime even on coarse clocks.
    await new Promise((r) => setTimeout(r, 20));
    const second = await cli(dir, ["reproduce"]);
    equal(second.code, 0, second.stdout + second.stderr);
    deepStrictEqual(ran(second.stdout), []);
    deepStrictEqual(await snapshot(join(dir, "artifacts")), before);
  } finally {
    await removeProject(dir);
  }
});
