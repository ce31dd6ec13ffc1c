/** Integration: `archive`, `verify --archive`, the archive's pin and its RO-Crate metadata. */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { hashFile } from "../../lib/pipeline/keys/hash.ts";
import type { PinFile } from "../../lib/pipeline/store/record.ts";
import { blobPath, cli, currentRecord, makeProject, removeProject, replaceIn } from "./helpers.ts";

const exists = (p: string) => Deno.lstat(p).then(() => true, () => false);

type Entity = Record<string, unknown> & { "@id": string; "@type": string | string[] };
const ids = (x: unknown) =>
  (Array.isArray(x) ? x : [x]).map((r) => (r as { "@id": string })["@id"]);

/** The fixture with study metadata, and square's results archived beside the published outputs. */
async function project(): Promise<string> {
  const dir = await makeProject();
  await replaceIn(
    dir,
    "pipeline.yaml",
    "version: 1\n",
    "version: 1\nname: Mini study\ndescription: Numbers, squared and summed.\nlicense: CC-BY-4.0\n",
  );
  await replaceIn(
    dir,
    "pipeline.yaml",
    "    outputs: { result: result.json }\n",
    "    outputs: { result: result.json }\n    archive: [result]\n",
  );
  return dir;
}

async function files(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, rel))) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await files(dir, p));
    else out.push(p);
  }
  return out.sort();
}

async function copyTree(src: string, dest: string): Promise<void> {
  await Deno.mkdir(dest, { recursive: true });
  for await (const e of Deno.readDir(src)) {
    if (e.isDirectory) await copyTree(join(src, e.name), join(dest, e.name));
    else await Deno.copyFile(join(src, e.name), join(dest, e.name));
  }
}

Deno.test("archive: bundle, RO-Crate metadata, pin; verify --archive here, on a copy and on the tarball", async () => {
  const dir = await project();
  const elsewhere = await Deno.makeTempDir({ prefix: "archive-copy-" });
  try {
    equal((await cli(dir, ["reproduce"])).code, 0);
    const r = await cli(dir, ["archive", "--out", "paper-v1", "--tar"]);
    equal(r.code, 0, r.stderr);
    match(
      r.stdout,
      /^archived 9 file\(s\), .* from 5 instance\(s\) of profile default \(6 described/m,
    );
    match(r.stdout, /^ {2}pin {7}artifacts\/pins\/paper-v1\.json/m);
    const bundle = join(dir, "paper-v1");
    deepStrictEqual(await files(bundle), [
      "parts/n1.txt",
      "parts/n2.txt",
      "parts/n3.txt",
      "parts/n4.txt",
      "parts/sub/count.txt",
      "ro-crate-metadata.json",
      "square/k=1/result.json",
      "square/k=2/result.json",
      "square/k=3/result.json",
      "summary/total.json",
    ]);
    equal(
      await Deno.readTextFile(join(bundle, "summary/total.json")),
      await Deno.readTextFile(
        blobPath(dir, (await currentRecord(dir, "total")).outputs.total.hash),
      ),
    );

    // The metadata: descriptor, root, every file with size, hash and type, one action per instance.
    const crate = JSON.parse(await Deno.readTextFile(join(bundle, "ro-crate-metadata.json")));
    deepStrictEqual(crate["@context"][0], "https://w3id.org/ro/crate/1.1/context");
    const graph = new Map<string, Entity>(crate["@graph"].map((e: Entity) => [e["@id"], e]));
    const desc = graph.get("ro-crate-metadata.json")!;
    equal(desc["@type"], "CreativeWork");
    deepStrictEqual(desc.conformsTo, { "@id": "https://w3id.org/ro/crate/1.1" });
    deepStrictEqual(desc.about, { "@id": "./" });
    const root = graph.get("./")!;
    equal(root["@type"], "Dataset");
    equal(root.name, "Mini study (profile default)");
    match(String(root.description), /^Numbers, squared and summed\. Profile 'default'\./);
    match(String(root.datePublished), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    deepStrictEqual(root.license, { "@id": "https://spdx.org/licenses/CC-BY-4.0" });
    ok(graph.has("https://spdx.org/licenses/CC-BY-4.0"));
    const props = ids(root.additionalProperty).map((id) => graph.get(id)!);
    deepStrictEqual(
      props.slice(0, 3).map((p) => [p.name, p.value]),
      [["profile", "default"], ["engine salt", "pipeline-engine/1"], [
        "Deno version (archiving)",
        Deno.version.deno,
      ]],
    );
    const fileEntities = [...graph.values()].filter((e) => e["@type"] === "File");
    deepStrictEqual(
      fileEntities.map((e) => e["@id"]).sort(),
      (await files(bundle)).filter((f) => f !== "ro-crate-metadata.json"),
    );
    for (const f of fileEntities) {
      const d = await hashFile(join(bundle, f["@id"]));
      equal(f.sha256, d.hash);
      equal(f.contentSize, String(d.size));
      ok(ids(root.hasPart).includes(f["@id"]), `${f["@id"]} is linked from the root`);
    }
    equal(graph.get("summary/total.json")!.encodingFormat, "application/json");
    equal(graph.get("parts/n1.txt")!.encodingFormat, "text/plain");
    equal(graph.get("parts/")!["@type"], "Dataset");

    const actions = [...graph.values()].filter((e) => e["@type"] === "CreateAction");
    deepStrictEqual(actions.map((a) => a.name), [
      "gen",
      "square[k=1]",
      "square[k=2]",
      "square[k=3]",
      "total",
      "split",
    ]);
    const total = actions.find((a) => a.name === "total")!;
    const totalRec = await currentRecord(dir, "total");
    equal(total.identifier, totalRec.key);
    deepStrictEqual(ids(total.result), ["summary/total.json"]);
    // Its inputs are square's archived results; they were made by the square actions.
    deepStrictEqual(ids(total.object), [
      "square/k=1/result.json",
      "square/k=2/result.json",
      "square/k=3/result.json",
    ]);
    const sq2 = actions.find((a) => a.name === "square[k=2]")!;
    deepStrictEqual(ids(sq2.result), ["square/k=2/result.json"]);
    // square's input is gen's output, not archived: described by its hash.
    const genOut = graph.get(ids(sq2.object)[0])!;
    equal(genOut.sha256, (await currentRecord(dir, "gen")).outputs.numbers.hash);
    ok(ids(actions[0].result).includes(genOut["@id"]));
    // Parameters as PropertyValues.
    const params = ids(sq2.object).slice(1).map((id) => graph.get(id)!);
    deepStrictEqual(params.map((p) => [p["@type"], p.name, p.value]), [
      ["PropertyValue", "k", 2],
      ["PropertyValue", "scale", 2],
    ]);
    // The instrument: the step's code (module, code hash, files with hashes, npm), and Deno.
    const [codeId, denoId] = ids(sq2.instrument);
    const code = graph.get(codeId)!;
    equal(code["@type"], "SoftwareSourceCode");
    equal(code.name, "steps/square.ts");
    const sqRec = await currentRecord(dir, "square[k=2]");
    const parts = ids(code.hasPart).map((id) => graph.get(id)!);
    deepStrictEqual(
      Object.fromEntries(parts.map((p) => [p.name, p.sha256])),
      sqRec.parts.code,
    );
    deepStrictEqual(code.softwareRequirements, []);
    deepStrictEqual([graph.get(denoId)!.name, graph.get(denoId)!.version], ["Deno", sqRec.deno]);

    // The pin keeps the records behind the archive and the archived blobs.
    const pin: PinFile = JSON.parse(
      await Deno.readTextFile(join(dir, "artifacts/pins/paper-v1.json")),
    );
    equal(pin.records!.length, 6);
    ok(pin.records!.includes(totalRec.key));
    ok(pin.blobs!.includes(totalRec.outputs.total.hash));

    // verify --archive: here, on a copy elsewhere (no store, no pipeline file), on the tarball.
    const v = await cli(dir, ["verify", "--archive", "paper-v1"]);
    equal(v.code, 0, v.stdout + v.stderr);
    match(v.stdout, /^verified archive paper-v1: 9 file\(s\), .*, 6 CreateAction\(s\): all good$/m);
    await copyTree(bundle, join(elsewhere, "copy"));
    const vc = await cli(elsewhere, ["verify", "--archive", "copy"]);
    equal(vc.code, 0, vc.stdout + vc.stderr);
    match(vc.stdout, /: all good$/m);
    await Deno.copyFile(join(dir, "paper-v1.tar.gz"), join(elsewhere, "copy.tar.gz"));
    const vt = await cli(elsewhere, ["verify", "--archive", "copy.tar.gz"]);
    equal(vt.code, 0, vt.stdout + vt.stderr);
    match(vt.stdout, /9 file\(s\), .*: all good$/m);

    // A flipped byte fails, naming the file.
    const victim = join(elsewhere, "copy/square/k=2/result.json");
    const bytes = await Deno.readFile(victim);
    bytes[3] ^= 1;
    await Deno.writeFile(victim, bytes);
    const vf = await cli(elsewhere, ["verify", "--archive", "copy"]);
    equal(vf.code, 1);
    match(
      vf.stdout,
      /^CORRUPT {3}'square\/k=2\/result\.json' has SHA-256 [0-9a-f]{64}, the metadata says/m,
    );
    match(vf.stdout, /: 1 problem\(s\)$/m);
    // An extra file and a missing one are both reported.
    bytes[3] ^= 1;
    await Deno.writeFile(victim, bytes);
    await Deno.writeTextFile(join(elsewhere, "copy/parts/notes.txt"), "mine\n");
    await Deno.remove(join(elsewhere, "copy/summary/total.json"));
    const vm = await cli(elsewhere, ["verify", "--archive", "copy"]);
    equal(vm.code, 1);
    match(
      vm.stdout,
      /^UNLISTED {2}'parts\/notes\.txt' is not described in ro-crate-metadata\.json$/m,
    );
    match(vm.stdout, /^MISSING {3}'summary\/total\.json' is listed \(\d+ bytes\) but absent$/m);
    match(vm.stdout, /: 2 problem\(s\)$/m);

    // The same name twice is refused before anything is written.
    const again = await cli(dir, ["archive", "--out", "paper-v1"]);
    equal(again.code, 2);
    match(again.stderr, /paper-v1 already exists/);
  } finally {
    await removeProject(dir);
    await removeProject(elsewhere);
  }
});

Deno.test("archive: stale instances are refused with the list; gc keeps what a pin names", async () => {
  const dir = await project();
  try {
    equal((await cli(dir, ["reproduce"])).code, 0);
    const a = await cli(dir, ["archive", "--out", "out/v1", "--steps", "total"]);
    equal(a.code, 0, a.stderr);
    deepStrictEqual(await files(join(dir, "out/v1")), [
      "ro-crate-metadata.json",
      "summary/total.json",
    ]);
    const old = await currentRecord(dir, "total");
    const pin: PinFile = JSON.parse(await Deno.readTextFile(join(dir, "artifacts/pins/v1.json")));

    // Code changed under square: archiving refuses and says what is stale and what to do.
    await replaceIn(dir, "lib/deep.ts", "OFFSET = 0", "OFFSET = 1");
    const s = await cli(dir, ["archive", "--out", "out/v2"]);
    equal(s.code, 1);
    match(s.stderr, /cannot archive profile 'default': 4 instance\(s\) are not up to date/);
    match(s.stderr, /^ {2}• square\[k=2\] +would run +code changed: lib\/deep\.ts$/m);
    match(s.stderr, /^ {2}• total +would run +upstream will rerun \(square\[k=1\]/m);
    match(s.stderr, /run 'deno task reproduce --profile default' first/);
    equal(await exists(join(dir, "out/v2")), false);
    equal(await exists(join(dir, "artifacts/pins/v2.json")), false);
    const bad = await cli(dir, ["archive", "--steps", "totl"]);
    equal(bad.code, 2);
    match(bad.stderr, /--steps: 'totl' names no step \(did you mean 'total'\?\)/);

    // After a rerun the archived instances are no longer current: only the pin keeps them.
    equal((await cli(dir, ["reproduce"])).code, 0);
    const gc = await cli(dir, ["gc", "--no-runs"]);
    equal(gc.code, 0, gc.stderr);
    for (const h of pin.blobs!) ok(await exists(blobPath(dir, h)), `pinned blob ${h} kept`);
    for (const k of pin.records!) {
      ok(await exists(join(dir, `artifacts/records/${k}.json`)), `pinned record ${k} kept`);
    }
    await Deno.remove(join(dir, "artifacts/pins/v1.json"));
    const gc2 = await cli(dir, ["gc", "--no-runs"]);
    equal(gc2.code, 0);
    match(gc2.stdout, /^ {2}records +4 /m);
    equal(await exists(blobPath(dir, old.outputs.total.hash)), false, "unpinned: collected");
    equal(await exists(join(dir, `artifacts/records/${old.key}.json`)), false);
    // The bundle itself is a copy: it does not depend on the store.
    equal((await cli(dir, ["verify", "--archive", "out/v1"])).code, 0);
  } finally {
    await removeProject(dir);
  }
});
