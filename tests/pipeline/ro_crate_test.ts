/** RO-Crate ids, npm package entities, bundle metadata checks and the tar writer/reader, in-process. */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { verifyBundle } from "../../lib/pipeline/archive/archive_verify.ts";
import { sha256Hex } from "../../lib/pipeline/keys/hash.ts";
import {
  buildCrate,
  type CrateDescription,
  idPath,
  npmNameVersion,
  pathId,
} from "../../lib/pipeline/archive/ro_crate.ts";
import { readTarGz, tarEntries, writeTarGz } from "../../lib/files/tar.ts";

Deno.test("ro-crate: path ids are IRI references that map back to the path", () => {
  for (
    const p of ["a/b.txt", "train/P=4,d=50,seed=1001/metrics.csv", "x/a b#1%[2]?.json", "é/ü:x"]
  ) equal(idPath(pathId(p)), p);
  equal(pathId("train/P=4,d=50/m.csv"), "train/P=4,d=50/m.csv");
  equal(pathId("x/a b#1%.json"), "x/a%20b%231%25.json");
  equal(pathId("a:b/c"), "a%3Ab/c", "never reads as a scheme");
  deepStrictEqual(npmNameVersion("mathjs@15.2.0"), { name: "mathjs", version: "15.2.0" });
  deepStrictEqual(npmNameVersion("@resvg/resvg-wasm@2.6.2"), {
    name: "@resvg/resvg-wasm",
    version: "2.6.2",
  });
  deepStrictEqual(npmNameVersion("a@1.0.0_b@2.0.0"), { name: "a", version: "1.0.0" });
});

const TEXT = "hello\n";

function description(): CrateDescription {
  return {
    name: "t",
    description: "d",
    datePublished: "2026-01-01T00:00:00.000Z",
    identifier: "t",
    properties: [],
    runs: [{
      id: "make",
      step: "make",
      key: "k".repeat(64),
      module: "steps/make.ts",
      code: { "steps/make.ts": "c".repeat(64) },
      npm: ["yaml@2.9.1"],
      params: { n: 1, opts: { a: [1] } },
      inputs: [],
      outputs: [{
        name: "out",
        file: "out.txt",
        kind: "file",
        hash: sha256Hex(TEXT),
        size: TEXT.length,
        path: "make/out.txt",
        files: [{
          path: "make/out.txt",
          hash: sha256Hex(TEXT),
          size: TEXT.length,
          description: "",
        }],
      }],
      started: "2026-01-01T00:00:00.000Z",
      ended: "2026-01-01T00:00:01.000Z",
      deno: "2.9.6",
    }],
  };
}

async function bundle(crate: unknown): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "crate-" });
  await Deno.mkdir(join(dir, "make"));
  await Deno.writeTextFile(join(dir, "make/out.txt"), TEXT);
  await Deno.writeTextFile(join(dir, "ro-crate-metadata.json"), JSON.stringify(crate));
  return dir;
}

Deno.test("ro-crate: npm packages and JSON parameters are described", () => {
  const crate = buildCrate(description());
  const g = new Map(crate["@graph"].map((e) => [e["@id"], e]));
  const npm = g.get("https://www.npmjs.com/package/yaml/v/2.9.1")!;
  deepStrictEqual([npm["@type"], npm.name, npm.version], ["SoftwareApplication", "yaml", "2.9.1"]);
  const params = [...g.values()].filter((e) => e["@type"] === "PropertyValue");
  deepStrictEqual(params.map((p) => [p.name, p.value]), [["n", 1], ["opts", '{"a":[1]}']]);
});

Deno.test("verify --archive: inconsistent metadata is reported, each problem once", async () => {
  const good = buildCrate(description());
  const dir = await bundle(good);
  try {
    const ok1 = await verifyBundle(dir, { jobs: 1 });
    deepStrictEqual(ok1.problems, []);
    equal(ok1.actions, 1);

    // A result that is not described, a file the root does not link, a path out of the bundle.
    const bad = structuredClone(good);
    const graph = bad["@graph"];
    const action = graph.find((e) => e["@type"] === "CreateAction")!;
    (action.result as { "@id": string }[]).push({ "@id": "#nowhere" });
    const root = graph.find((e) => e["@id"] === "./")!;
    root.hasPart = [];
    graph.push({
      "@id": "../escape.txt",
      "@type": "File",
      contentSize: "1",
      sha256: "0".repeat(64),
    });
    await Deno.writeTextFile(join(dir, "ro-crate-metadata.json"), JSON.stringify(bad));
    const r = await verifyBundle(dir, { jobs: 1 });
    const lines = r.problems.map((p) => `${p.kind}: ${p.message}`);
    ok(lines.includes("metadata: CreateAction '#run/make': result '#nowhere' is not described"));
    ok(lines.includes("metadata: 'make/out.txt' is not linked from the root dataset (hasPart)"));
    ok(lines.includes("metadata: '../escape.txt' is not a path inside the bundle"));
    equal(r.problems.length, 3, lines.join("\n"));

    // No descriptor, not JSON at all.
    const nodesc = structuredClone(good);
    nodesc["@graph"] = nodesc["@graph"].filter((e) => e["@id"] !== "ro-crate-metadata.json");
    await Deno.writeTextFile(join(dir, "ro-crate-metadata.json"), JSON.stringify(nodesc));
    match(
      (await verifyBundle(dir, { jobs: 1 })).problems[0].message,
      /no metadata descriptor/,
    );
    await Deno.writeTextFile(join(dir, "ro-crate-metadata.json"), "{");
    match((await verifyBundle(dir, { jobs: 1 })).problems[0].message, /is not valid JSON/);
    // Not a bundle at all: a directory without metadata, a file that is no .tar.gz.
    await Deno.remove(join(dir, "ro-crate-metadata.json"));
    match((await verifyBundle(dir, { jobs: 1 })).problems[0].message, /has no ro-crate-metadata/);
    match(
      (await verifyBundle(join(dir, "make/out.txt"), { jobs: 1 })).problems[0].message,
      /neither a directory nor a readable \.tar\.gz/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tar: what writeTarGz writes, readTarGz and the system tar read back", async () => {
  const dir = await bundle(buildCrate(description()));
  const long = `deep/${"x".repeat(120)}/é file.json`;
  try {
    await Deno.mkdir(join(dir, "src"));
    await Deno.rename(join(dir, "make"), join(dir, "src/make"));
    await Deno.mkdir(join(dir, "src", long.slice(0, long.lastIndexOf("/"))), { recursive: true });
    await Deno.writeTextFile(join(dir, "src", long), "{}\n");
    const tgz = join(dir, "b.tar.gz");
    await writeTarGz(tgz, await tarEntries(join(dir, "src"), "b"), 1_700_000_000);
    const seen: [string, string][] = [];
    await readTarGz(tgz, async (m, content) => {
      seen.push([m.name, await new Response(content).text()]);
    });
    deepStrictEqual(seen, [[`b/${long}`, "{}\n"], ["b/make/out.txt", TEXT]]);
    const sys = await new Deno.Command("tar", { args: ["-tzf", tgz] }).output().catch(() => null);
    if (sys?.success) {
      deepStrictEqual(new TextDecoder().decode(sys.stdout).trim().split("\n"), [
        `b/${long}`,
        "b/make/out.txt",
      ]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
