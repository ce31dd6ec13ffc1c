/**
 * External sources (`sources:`): their content is in the key, status names
 * the changed file, the stat cache spares re-hashing, the read grant covers
 * exactly the source, and a missing path stops before anything runs.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { cli, makeProject, ran, removeProject } from "./helpers.ts";
import { openProject } from "../../lib/pipeline/build/project.ts";
import { computeStatus } from "../../lib/pipeline/build/status.ts";
import { sourceFilesHashed } from "../../lib/pipeline/keys/source_digest.ts";

/** The sources fixture with its data directory in a separate temporary directory. */
async function setup(): Promise<{ dir: string; data: string; cleanup: () => Promise<void> }> {
  const dir = await makeProject("sources");
  const data = await Deno.makeTempDir({ prefix: "pipeline-source-" });
  await Deno.writeTextFile(join(data, "a.txt"), "1 2\n");
  await Deno.writeTextFile(join(data, "b.txt"), "3\n");
  await Deno.writeTextFile(join(data, "secret.bin"), "top secret\n");
  // Old mtimes: files written just now are always re-hashed (the racy-git rule).
  const old = new Date(Date.now() - 3600_000);
  for (const f of ["a.txt", "b.txt", "secret.bin"]) await Deno.utime(join(data, f), old, old);
  const yaml = join(dir, "pipeline.yaml");
  await Deno.writeTextFile(yaml, (await Deno.readTextFile(yaml)).replace("DATA_DIR", data));
  return {
    dir,
    data,
    cleanup: async () => {
      await removeProject(dir);
      await removeProject(data);
    },
  };
}

async function reproduceAll(dir: string): Promise<void> {
  const r = await cli(dir, ["reproduce"]);
  equal(r.code, 0, r.stdout + r.stderr);
  deepEqual(ran(r.stdout), ["double", "other", "peek", "sum"]);
}

Deno.test("a flipped byte in a source: status names the file, reproduce reruns its readers", async () => {
  const { dir, data, cleanup } = await setup();
  try {
    await reproduceAll(dir);
    const f = await Deno.open(join(data, "a.txt"), { read: true, write: true });
    await f.write(new TextEncoder().encode("5")); // "1 2" -> "5 2": same size
    f.close();
    const s = await cli(dir, ["status"]);
    equal(s.code, 0, s.stderr);
    match(s.stdout, new RegExp(`sum +would run +source changed: ${join(data, "a.txt")}`));
    match(s.stdout, /double +would run +upstream will rerun \(sum\)/);
    match(s.stdout, /other +up to date/);
    const r = await cli(dir, ["reproduce"]);
    equal(r.code, 0, r.stdout + r.stderr);
    deepEqual(ran(r.stdout), ["double", "peek", "sum"]);
    match(r.stdout, /sum \| total 10/);
  } finally {
    await cleanup();
  }
});

Deno.test("a truncated source file reruns its readers", async () => {
  const { dir, data, cleanup } = await setup();
  try {
    await reproduceAll(dir);
    await Deno.truncate(join(data, "a.txt"), 1); // "1 2\n" -> "1"
    const s = await cli(dir, ["status"]);
    match(s.stdout, new RegExp(`sum +would run +source changed: ${join(data, "a.txt")}`));
    const r = await cli(dir, ["reproduce"]);
    equal(r.code, 0, r.stdout + r.stderr);
    deepEqual(ran(r.stdout), ["double", "peek", "sum"]);
    match(r.stdout, /sum \| total 4/);
  } finally {
    await cleanup();
  }
});

Deno.test("unchanged sources are not re-hashed (stat cache); a touched file reruns nothing", async () => {
  const { dir, data, cleanup } = await setup();
  try {
    await reproduceAll(dir); // fills the stat cache in the store
    // In this process: status must resolve every instance from the cache alone.
    const project = await openProject(join(dir, "pipeline.yaml"));
    const before = sourceFilesHashed();
    const st = await computeStatus(project, "default", project.expansion("default").instances);
    ok(st.every((s) => s.upToDate), st.map((s) => s.reasons.join("; ")).join(" | "));
    equal(sourceFilesHashed() - before, 0, "an unchanged source file was re-hashed");

    // Touched: the stat changed, so it is re-hashed; the content did not, so nothing reruns.
    await Deno.utime(join(data, "b.txt"), new Date(), new Date());
    const again = await openProject(join(dir, "pipeline.yaml"));
    const b2 = sourceFilesHashed();
    const st2 = await computeStatus(again, "default", again.expansion("default").instances);
    ok(st2.every((s) => s.upToDate));
    equal(sourceFilesHashed() - b2, 1, "only the touched file is re-hashed");
    const r = await cli(dir, ["reproduce"]);
    equal(r.code, 0, r.stdout + r.stderr);
    deepEqual(ran(r.stdout), []);
    match(r.stdout, /ran 0, cached 4/);
  } finally {
    await cleanup();
  }
});

Deno.test("a step can read its source but not a file beside it outside the glob", async () => {
  const { dir, cleanup } = await setup();
  try {
    await reproduceAll(dir);
    const ex = await cli(dir, ["explain", "peek"]);
    const hash = /report +file +([0-9a-f]{64})/.exec(ex.stdout)?.[1];
    ok(hash, ex.stdout);
    const report = JSON.parse(
      await Deno.readTextFile(join(dir, "artifacts/blobs/sha256", hash.slice(0, 2), hash)),
    );
    equal(report.a, "read 1 2");
    match(report.secret, /^denied/);
    // `note` (path from a null parameter) and `whole` (its `when` does not match) are not used.
    deepEqual(report.inputs, ["data"]);
  } finally {
    await cleanup();
  }
});

Deno.test("a conditional source is read only when its 'when' matches", async () => {
  const { dir, cleanup } = await setup();
  try {
    const yaml = join(dir, "pipeline.yaml");
    await Deno.writeTextFile(
      yaml,
      (await Deno.readTextFile(yaml)).replace("mode: plain", "mode: whole"),
    );
    const r = await cli(dir, ["reproduce", "--only", "peek"]);
    equal(r.code, 0, r.stdout + r.stderr);
    const ex = await cli(dir, ["explain", "peek"]);
    const hash = /report +file +([0-9a-f]{64})/.exec(ex.stdout)![1];
    const report = JSON.parse(
      await Deno.readTextFile(join(dir, "artifacts/blobs/sha256", hash.slice(0, 2), hash)),
    );
    deepEqual(report.inputs, ["data", "whole"]);
    equal(report.whole_secret, "read top secret"); // the whole directory is granted
  } finally {
    await cleanup();
  }
});

Deno.test("a missing source path stops status and reproduce with its position (exit 2)", async () => {
  const { dir, data, cleanup } = await setup();
  try {
    await Deno.remove(data, { recursive: true });
    for (const cmd of ["status", "reproduce"]) {
      const r = await cli(dir, [cmd]);
      equal(r.code, 2, r.stdout + r.stderr);
      match(r.stderr, new RegExp(`pipeline\\.yaml:\\d+:\\d+: source 'data' .*${data}`));
      deepEqual(ran(r.stdout), []);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("a source file created in the directory while the step runs is noticed", async () => {
  const { dir, data, cleanup } = await setup();
  try {
    // `sum` reads a.txt and b.txt; a new c.txt appears before the after-run check.
    const step = join(dir, "steps/sum.ts");
    await Deno.writeTextFile(
      step,
      (await Deno.readTextFile(step)).replace(
        "ctx.log(`total ${total}`);",
        "ctx.log(`total ${total}`);\n  await new Promise((r) => setTimeout(r, 3000));",
      ),
    );
    const run = cli(dir, ["reproduce", "--only", "sum"]);
    // Once the step has logged, it is running (its key was computed before it started).
    const log = join(dir, "artifacts/logs/default/sum.log");
    for (let i = 0; i < 600; i++) {
      if ((await Deno.readTextFile(log).catch(() => "")).includes("total")) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await Deno.writeTextFile(join(data, "c.txt"), "7\n");
    const r = await run;
    equal(r.code, 1, r.stdout + r.stderr);
    match(r.stdout, /sources changed while the step ran/);
  } finally {
    await cleanup();
  }
});

Deno.test("the archive lists a source's file hashes", async () => {
  const { dir, data, cleanup } = await setup();
  try {
    await reproduceAll(dir);
    const out = join(dir, "bundle");
    const a = await cli(dir, ["archive", "--steps", "sum", "--out", out]);
    equal(a.code, 0, a.stdout + a.stderr);
    const crate = JSON.parse(await Deno.readTextFile(join(out, "ro-crate-metadata.json")));
    const hashOf = async (f: string) => {
      const b = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(f)));
      return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    };
    const parts = crate["@graph"].filter((e: { "@id": string }) => e["@id"].startsWith("#source/"));
    const a_txt = parts.find((e: { name: string }) => e.name === "a.txt");
    equal(a_txt?.sha256, await hashOf(join(data, "a.txt")));
    ok(!parts.some((e: { name: string }) => e.name === "secret.bin"));
    const run = crate["@graph"].find((e: { "@id": string }) => e["@id"] === "#run/sum");
    ok(run.object.some((o: { "@id": string }) => o["@id"].startsWith("#source/data/")));
    const v = await cli(dir, ["verify", "--archive", out]);
    equal(v.code, 0, v.stdout + v.stderr);
  } finally {
    await cleanup();
  }
});
