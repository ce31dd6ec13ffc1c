/** Integration: corrupt blobs are found (by verify, or at use time), never used, and recomputed. */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  blobPath,
  cli,
  currentRecord,
  makeProject,
  outputText,
  ran,
  removeProject,
} from "./helpers.ts";

async function corrupt(path: string, mutate: (b: Uint8Array) => Uint8Array): Promise<void> {
  await Deno.chmod(path, 0o644);
  await Deno.writeFile(path, mutate(await Deno.readFile(path)));
}

async function quarantined(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, "artifacts/quarantine"))) {
    if (!e.name.endsWith(".txt")) out.push(e.name);
  }
  return out;
}

Deno.test("integrity: verify reports a corrupt blob with its users, quarantines it; reproduce recomputes it", async () => {
  const dir = await makeProject();
  try {
    equal((await cli(dir, ["reproduce"])).code, 0);
    const ok0 = await cli(dir, ["verify"]);
    equal(ok0.code, 0, ok0.stdout + ok0.stderr);
    match(ok0.stdout, /all good/);

    const rec = await currentRecord(dir, "gen");
    const hash = rec.outputs.numbers.hash;
    // Same size, one byte flipped: only a re-hash can see it.
    await corrupt(blobPath(dir, hash), (b) => {
      b[1] = b[1] === 0x32 ? 0x33 : 0x32;
      return b;
    });
    const v = await cli(dir, ["verify", "--jobs", "2"]);
    equal(v.code, 1, v.stdout + v.stderr);
    match(v.stdout, new RegExp(`CORRUPT artifacts/blobs/sha256/${hash.slice(0, 2)}/${hash}`));
    match(v.stdout, /used by: gen \(record [0-9a-f]{12}\)/);
    deepStrictEqual((await quarantined(dir)).map((n) => n.slice(0, 64)), [hash]);
    equal(await Deno.stat(blobPath(dir, hash)).then(() => true, () => false), false);

    const r = await cli(dir, ["reproduce"]);
    equal(r.code, 0, r.stdout + r.stderr);
    // The producer reruns; its identical output leaves everything downstream cached.
    deepStrictEqual(ran(r.stdout), ["gen"]);
    equal(await outputText(dir, "gen", "numbers"), "[1,2,3,4]\n");
    equal((await cli(dir, ["verify"])).code, 0);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("integrity: a blob whose size changed is detected when used, quarantined, and its producer reruns", async () => {
  const dir = await makeProject();
  try {
    equal((await cli(dir, ["reproduce"])).code, 0);
    const rec = await currentRecord(dir, "square[k=2]");
    const hash = rec.outputs.result.hash;
    await corrupt(blobPath(dir, hash), (b) => new Uint8Array([...b, 0x20]));
    const r = await cli(dir, ["reproduce"]);
    equal(r.code, 0, r.stdout + r.stderr);
    match(r.stdout, /corrupt blob [0-9a-f]{12} \(output 'result' of square\[k=2\]\) moved to/);
    deepStrictEqual(ran(r.stdout), ["square[k=2]"]);
    deepStrictEqual((await quarantined(dir)).map((n) => n.slice(0, 64)), [hash]);
    const fresh = await Deno.readTextFile(blobPath(dir, hash));
    deepStrictEqual(JSON.parse(fresh), { k: 2, values: [8, 32, 72, 128] });
    ok(!fresh.endsWith(" "));
  } finally {
    await removeProject(dir);
  }
});

Deno.test("integrity: a damaged file of a directory output is caught too", async () => {
  const dir = await makeProject();
  try {
    equal((await cli(dir, ["reproduce", "--only", "merge"])).code, 0);
    const rec = await currentRecord(dir, "split");
    const manifest = JSON.parse(await Deno.readTextFile(blobPath(dir, rec.outputs.parts.hash)));
    const h = manifest.entries["n2.txt"].hash;
    await corrupt(blobPath(dir, h), () => new TextEncoder().encode("22\n"));
    const r = await cli(dir, ["reproduce", "--only", "merge"]);
    equal(r.code, 0, r.stdout + r.stderr);
    deepStrictEqual(ran(r.stdout), ["split"]);
    match(await outputText(dir, "merge", "merged"), /n2\.txt: 2\n/);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("integrity: a same-size edit of a published file is found by verify and repaired by reproduce", async () => {
  const dir = await makeProject();
  try {
    equal((await cli(dir, ["reproduce"])).code, 0);
    const published = join(dir, "artifacts/out/default/summary/total.json");
    const good = await Deno.readTextFile(published);
    const edit = async () => {
      // Same size, other bytes: a size comparison cannot see it.
      const bad = good.replace(/\d/, (d) => (d === "1" ? "2" : "1"));
      ok(bad !== good && bad.length === good.length);
      await Deno.writeTextFile(published, bad);
    };

    await edit();
    const v = await cli(dir, ["verify"]);
    equal(v.code, 1, v.stdout + v.stderr);
    match(
      v.stdout,
      /PUBLISHED artifacts\/out\/default\/summary\/total\.json differs from its result \(restored\)/,
    );
    equal(await Deno.readTextFile(published), good);

    await edit();
    const r = await cli(dir, ["reproduce"]);
    equal(r.code, 0, r.stdout + r.stderr);
    deepStrictEqual(ran(r.stdout), []);
    match(
      r.stdout,
      /repaired 1 published file\(s\) that no longer matched their results: artifacts\/out\/default\/summary\/total\.json/,
    );
    equal(await Deno.readTextFile(published), good);
    const again = await cli(dir, ["verify"]);
    equal(again.code, 0, again.stdout);
    match(again.stdout, /all good/);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("integrity: a same-size corrupt input blob is caught before a step reads it; its producer reruns", async () => {
  const dir = await makeProject();
  try {
    equal((await cli(dir, ["reproduce"])).code, 0);
    const hash = (await currentRecord(dir, "gen")).outputs.numbers.hash;
    await corrupt(blobPath(dir, hash), (b) => {
      b[1] = b[1] === 0x32 ? 0x33 : 0x32;
      return b;
    });
    // status sees the damage without repairing anything.
    const st = await cli(dir, ["status"]);
    match(st.stdout, /gen\s+would run\s+stored outputs damaged/);
    ok(await Deno.stat(blobPath(dir, hash)).then(() => true, () => false));
    // A downstream parameter changes, so square must run and read gen's output.
    const yaml = join(dir, "pipeline.yaml");
    await Deno.writeTextFile(yaml, (await Deno.readTextFile(yaml)).replace("scale: 2", "scale: 3"));
    const r = await cli(dir, ["reproduce"]);
    equal(r.code, 0, r.stdout + r.stderr);
    match(r.stdout, new RegExp(`corrupt blob ${hash.slice(0, 12)} \\(output 'numbers' of gen\\)`));
    ok(!r.stdout.includes("changed while the step ran"), r.stdout);
    ok(ran(r.stdout).includes("gen"), r.stdout);
    ok(ran(r.stdout).includes("square[k=1]"), r.stdout);
    deepStrictEqual((await quarantined(dir)).map((n) => n.slice(0, 64)), [hash]);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("integrity: verify reports a garbage file among the records and moves it aside", async () => {
  const dir = await makeProject();
  try {
    equal((await cli(dir, ["reproduce"])).code, 0);
    const bogus = join(dir, "artifacts/records", `${"ab".repeat(32)}.json`);
    await Deno.writeTextFile(bogus, "{ not json");
    await Deno.writeTextFile(join(dir, "artifacts/records/notes.txt"), "hello\n");
    const v = await cli(dir, ["verify"]);
    equal(v.code, 1, v.stdout + v.stderr);
    match(
      v.stdout,
      new RegExp(`GARBAGE artifacts/records/${"ab".repeat(32)}\\.json is not a run record`),
    );
    match(v.stdout, /GARBAGE artifacts\/records\/notes\.txt is not a run record/);
    equal(await Deno.stat(bogus).then(() => true, () => false), false);
    const again = await cli(dir, ["verify"]);
    equal(again.code, 0, again.stdout);
    match(again.stdout, /all good/);
    // The real records were left alone: nothing reruns.
    deepStrictEqual(ran((await cli(dir, ["reproduce"])).stdout), []);
  } finally {
    await removeProject(dir);
  }
});
