/**
 * A full disk while publishing: one clear line (what, where, how much was
 * needed and free), exit 1, and nothing half-published. The store is put on
 * a small tmpfs, which needs root and permission to mount; elsewhere the test
 * is skipped and its name says why.
 */

import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { cli, makeProject, removeProject } from "./helpers.ts";

async function tryMount(dir: string, size: string): Promise<string | null> {
  try {
    const r = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
      stdout: "null",
      stderr: "piped",
    }).output();
    return r.success ? null : new TextDecoder().decode(r.stderr).trim() || `mount exit ${r.code}`;
  } catch (e) {
    return (e as Error).message;
  }
}

async function umount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir], stdout: "null", stderr: "null" }).output()
    .catch(() => {});
}

// Can a tmpfs be mounted here? (Decided at load time, so a skip is visible in the test's name.)
const probe = await Deno.makeTempDir({ prefix: "tmpfs-probe-" });
const why = Deno.uid() === 0 ? await tryMount(probe, "64k") : "not root";
if (!why) await umount(probe);
await Deno.remove(probe).catch(() => {});
const name =
  "disk full: publishing fails in one line, exit 1, nothing half-published; the next run publishes";

Deno.test({
  name: why ? `${name} -- SKIPPED: cannot mount a tmpfs here (${why})` : name,
  ignore: why !== null,
  fn: async () => {
    const dir = await makeProject("bigpub");
    const mnt = join(dir, "small");
    await Deno.mkdir(mnt);
    try {
      // The 800 KiB result fits; its published copy (another 800 KiB) does not.
      equal(await tryMount(mnt, "1200k"), null);
      const store = join(mnt, "artifacts");
      const r = await cli(dir, ["reproduce", "--store", store]);
      equal(r.code, 1, r.stdout + r.stderr);
      const lines = r.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
      equal(lines.length, 1, r.stderr);
      match(
        lines[0],
        /^error: publishing 'big' in .*small\/artifacts\/out: no space left on device \(needs 800\.0 KiB, \d+(\.\d)? KiB free\); the results are in the store, nothing was half-published$/,
      );
      ok(!r.stderr.includes("    at "), `no stack trace:\n${r.stderr}`);
      // Nothing half-published: no staging copy left, no published directory.
      deepStrictEqual([...Deno.readDirSync(join(store, "tmp"))].map((e) => e.name), []);
      equal(await Deno.stat(join(store, "out/default/big")).then(() => true, () => false), false);
      // With room again (the same tmpfs, grown), the next run only publishes: the result is cached.
      const grow = await new Deno.Command("mount", {
        args: ["-o", "remount,size=4m", mnt],
        stdout: "null",
        stderr: "null",
      }).output();
      ok(grow.success);
      const again = await cli(dir, ["reproduce", "--store", store]);
      equal(again.code, 0, again.stdout + again.stderr);
      match(again.stdout, /ran 0, cached 1, failed 0/);
      equal((await Deno.stat(join(store, "out/default/big/data.bin"))).size, 800 * 1024);
    } finally {
      await umount(mnt);
      await removeProject(dir);
    }
  },
});
