/** Integration: status, explain, dag, gc, --only, --dry-run, gathers, directory outputs, publish, failures. */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  appendTo,
  blobPath,
  cli,
  currentRecord,
  failed,
  makeProject,
  outputText,
  ran,
  records,
  removeProject,
  replaceIn,
  writeFile,
} from "./helpers.ts";

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

Deno.test("status and explain say why an instance would run", async () => {
  const dir = await makeProject();
  try {
    const never = await cli(dir, ["status"]);
    equal(never.code, 0);
    match(never.stdout, /^• gen {10}would run {3}never run$/m);
    match(
      never.stdout,
      /^• total .*would run .*never run; upstream will rerun \(square\[k=1\], square\[k=2\], square\[k=3\]\)$/m,
    );
    match(never.stdout, /profile default: 8 instance\(s\), 0 up to date, 8 would run/);
    equal(await exists(join(dir, "artifacts")), false, "status is read-only");

    equal((await cli(dir, ["reproduce"])).code, 0);
    const fresh = await cli(dir, ["status"]);
    match(fresh.stdout, /8 up to date, 0 would run/);

    await replaceIn(dir, "pipeline.yaml", "epochs: 3", "epochs: 2");
    await appendTo(dir, "lib/deep.ts", "// edited\n");
    const s = await cli(dir, ["status"]);
    match(s.stdout, /^• count {8}would run {3}params changed \(epochs: 3 → 2\)$/m);
    match(s.stdout, /^• square\[k=2\] {2}would run {3}code changed: lib\/deep\.ts$/m);
    match(
      s.stdout,
      /^• total .*upstream will rerun \(square\[k=1\], square\[k=2\], square\[k=3\]\)$/m,
    );
    match(s.stdout, /^✓ gen {10}up to date$/m);

    const e = await cli(dir, ["explain", "square[k=2]"]);
    equal(e.code, 0, e.stderr);
    match(e.stdout, /^instance {2}square\[k=2\]$/m);
    match(e.stdout, /^key {7}[0-9a-f]{64}$/m);
    match(e.stdout, /^ {2}code changed: lib\/deep\.ts$/m);
    match(e.stdout, /^ {10}lib\/mathx\.ts {9}[0-9a-f]{16}$/m);
    match(e.stdout, /^ {2}params {2}\{"k":2,"scale":2\}$/m);
    match(e.stdout, /^ {2}inputs {2}numbers {2}[0-9a-f]{16}$/m);
    match(e.stdout, /^record: none for the current key$/m);
    match(e.stdout, /^latest log: artifacts\/logs\/default\/square\[k=2\]\.log$/m);

    const ec = await cli(dir, ["explain", "count"]);
    match(ec.stdout, /^ {2}params changed \(epochs: 3 → 2\)$/m);

    equal((await cli(dir, ["reproduce"])).code, 0);
    const eg = await cli(dir, ["explain", "gen"]);
    match(eg.stdout, /^record: artifacts\/records\/[0-9a-f]{64}\.json$/m);
    match(
      eg.stdout,
      /^ {4}numbers {2}file {2}[0-9a-f]{64} {2}10 B {2}artifacts\/blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/m,
    );
    match(eg.stdout, /^ {2}same key as now$/m);
  } finally {
    await removeProject(dir);
  }
});

function checkMermaid(text: string, nodes: number, edges: number): void {
  const lines = text.trimEnd().split("\n");
  equal(lines[0], "flowchart LR");
  const ids = new Set<string>();
  let e = 0;
  for (const l of lines.slice(1)) {
    const n = /^ {2}([A-Za-z_][A-Za-z0-9_]*)\["[^"]*"\]$/.exec(l);
    const ed = /^ {2}([A-Za-z_][A-Za-z0-9_]*) -->\|"[^"|]*"\| ([A-Za-z_][A-Za-z0-9_]*)$/.exec(l);
    if (n) ids.add(n[1]);
    else if (ed) {
      ok(ids.has(ed[1]) && ids.has(ed[2]), `edge to an undeclared node: ${l}`);
      e++;
    } else throw new Error(`not a Mermaid node or edge: ${l}`);
  }
  equal(ids.size, nodes);
  equal(e, edges);
}

function checkDot(text: string, nodes: number, edges: number): void {
  const lines = text.trimEnd().split("\n");
  equal(lines[0], "digraph pipeline {");
  equal(lines.at(-1), "}");
  const ids = new Set<string>();
  let e = 0;
  for (const l of lines.slice(1, -1)) {
    if (/^ {2}(rankdir=LR|node \[shape=box\]);$/.test(l)) continue;
    const n = /^ {2}"([^"]+)" \[label="(?:[^"\\]|\\.)*"\];$/.exec(l);
    const ed = /^ {2}"([^"]+)" -> "([^"]+)" \[label="(?:[^"\\]|\\.)*"\];$/.exec(l);
    if (n) ids.add(n[1]);
    else if (ed) {
      ok(ids.has(ed[1]) && ids.has(ed[2]));
      e++;
    } else throw new Error(`not a DOT statement: ${l}`);
  }
  equal(ids.size, nodes);
  equal(e, edges);
}

Deno.test("dag prints valid Mermaid and DOT, for steps and instances", async () => {
  const dir = await makeProject();
  try {
    const m = await cli(dir, ["dag"]);
    equal(m.code, 0, m.stderr);
    checkMermaid(m.stdout, 6, 4);
    match(m.stdout, /^ {2}s_square\["square \[k\]"\]$/m);
    match(m.stdout, /^ {2}s_gen -->\|"numbers"\| s_square$/m);
    const d = await cli(dir, ["dag", "--format", "dot"]);
    checkDot(d.stdout, 6, 4);
    const mi = await cli(dir, ["dag", "--instances"]);
    checkMermaid(mi.stdout, 8, 8); // gen->square x3, square->total x3, gen->split, split->merge
    match(mi.stdout, /\["square\[k=2\]"\]/);
    const di = await cli(dir, ["dag", "--instances", "--format", "dot", "--profile", "small"]);
    checkDot(di.stdout, 6, 4);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("--only runs the named steps or instances and what they need; --dry-run runs nothing", async () => {
  const dir = await makeProject();
  try {
    const dry = await cli(dir, ["reproduce", "--dry-run", "--only", "merge"]);
    equal(dry.code, 0);
    match(dry.stdout, /^→ gen +would run +never run$/m);
    match(dry.stdout, /^→ merge .*upstream will rerun \(split\)$/m);
    ok(!dry.stdout.includes("square"));
    match(dry.stdout, /dry run \(profile default\): 3 would run, 0 up to date; nothing was run/);
    equal(await exists(join(dir, "artifacts")), false);

    const r = await cli(dir, ["reproduce", "--only", "merge", "square[k=2]"]);
    equal(r.code, 0, r.stderr);
    deepStrictEqual(ran(r.stdout), ["gen", "merge", "split", "square[k=2]"]);
    const dry2 = await cli(dir, ["reproduce", "--dry-run"]);
    match(dry2.stdout, /^ {2}square\[k=2\] {2}up to date$/m);
    match(dry2.stdout, /^→ square\[k=1\] {2}would run {3}never run$/m);
    match(dry2.stdout, /4 would run, 4 up to date/);
    equal((await records(dir)).length, 4);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("gathered inputs, directory outputs and publish", async () => {
  const dir = await makeProject();
  try {
    const r = await cli(dir, ["reproduce"]);
    equal(r.code, 0, r.stderr);
    // Gather: total saw every square instance, in expansion order, with its matrix.
    const total = JSON.parse(await outputText(dir, "total", "total"));
    deepStrictEqual(total.ids, [
      'square[k=1]:{"k":1}',
      'square[k=2]:{"k":2}',
      'square[k=3]:{"k":3}',
    ]);
    const rt = await currentRecord(dir, "total");
    deepStrictEqual((rt.parts.inputs.parts as { id: string }[]).map((g) => g.id), [
      "square[k=1]",
      "square[k=2]",
      "square[k=3]",
    ]);
    // Directory output: a tree manifest, materialised for the consumer.
    const rs = await currentRecord(dir, "split");
    equal(rs.outputs.parts.kind, "dir");
    const manifest = JSON.parse(await Deno.readTextFile(blobPath(dir, rs.outputs.parts.hash)));
    deepStrictEqual(Object.keys(manifest.entries).sort(), [
      "n1.txt",
      "n2.txt",
      "n3.txt",
      "n4.txt",
      "sub/count.txt",
    ]);
    equal(
      await Deno.readTextFile(join(dir, "artifacts/trees", rs.outputs.parts.hash, "sub/count.txt")),
      "4\n",
    );
    equal(
      await outputText(dir, "merge", "merged"),
      "n1.txt: 1\nn2.txt: 2\nn3.txt: 3\nn4.txt: 4\nsub/count.txt: 4\n",
    );
    // Publish: a copy, not a link.
    const pub = join(dir, "artifacts/out/default/summary/total.json");
    equal(await Deno.readTextFile(pub), await outputText(dir, "total", "total"));
    const st = await Deno.lstat(pub);
    ok(st.isFile && !st.isSymlink);
    equal(st.nlink, 1);
    match(r.stdout, /published total -> artifacts\/out\/default\/summary\//);
    // `open:` names the published file a successful run ends by pointing at.
    match(r.stdout, /\nopen: artifacts\/out\/default\/summary\/total\.json\n$/);
    // A step whose only output is a directory publishes the directory's content.
    equal(await Deno.readTextFile(join(dir, "artifacts/out/default/parts/sub/count.txt")), "4\n");
    // Refreshed after a change; a hand-edited copy is restored.
    await replaceIn(dir, "pipeline.yaml", "scale: 2", "scale: 3");
    await cli(dir, ["reproduce"]);
    equal(JSON.parse(await Deno.readTextFile(pub)).sum, 1260);
    await Deno.writeTextFile(pub, "edited by hand");
    const again = await cli(dir, ["reproduce"]);
    deepStrictEqual(ran(again.stdout), []);
    equal(JSON.parse(await Deno.readTextFile(pub)).sum, 1260);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("a failing step: exit 1, log tail, nothing recorded; --keep-going runs independent branches", async () => {
  const dir = await makeProject();
  try {
    await writeFile(
      dir,
      "steps/boom.ts",
      `import { runStep, StepError } from "../lib/step/context.ts";
if (import.meta.main) await runStep((ctx) => { ctx.log("about to fail"); throw new StepError("boom happened"); });
`,
    );
    await writeFile(
      dir,
      "steps/lazy.ts",
      `import { runStep } from "../lib/step/context.ts";
if (import.meta.main) await runStep(() => {});
`,
    );
    await replaceIn(
      dir,
      "pipeline.yaml",
      "  merge:\n    module: steps/merge.ts",
      "  merge:\n    module: steps/boom.ts",
    );
    await replaceIn(
      dir,
      "pipeline.yaml",
      "profiles:",
      "  lazy:\n    module: steps/lazy.ts\n    outputs: { x: x.txt, d: d/ }\nprofiles:",
    );
    const r = await cli(dir, ["reproduce", "--jobs", "1"]);
    equal(r.code, 1, r.stdout + r.stderr);
    ok(failed(r.stdout).includes("merge"));
    match(
      r.stdout,
      /✗ merge {2}\d.*\n {2}exited with code 1\n {2}--- last \d+ log lines ---\n {2}about to fail\n {2}error: .*boom happened\n {2}log: artifacts\/logs\/default\/merge\.log/,
    );
    ok(!(await records(dir)).some((x) => x.step === "merge"));
    match(r.stdout, /failed [12]/);

    const k = await cli(dir, ["reproduce", "--keep-going"]);
    equal(k.code, 1);
    deepStrictEqual(failed(k.stdout), ["lazy", "merge"]);
    match(
      k.stdout,
      /✗ lazy .*\n {2}exited 0 but declared output 'x' \(x\.txt\) was not written, 'd' \(d\/\) was not written/,
    );
    // Everything that does not depend on a failure is done.
    match((await cli(dir, ["status"])).stdout, /9 instance\(s\), 7 up to date, 2 would run/);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("gc keeps what any profile reaches and what pins name, drops the rest", async () => {
  const dir = await makeProject();
  try {
    equal((await cli(dir, ["reproduce"])).code, 0);
    equal((await cli(dir, ["reproduce", "--profile", "small"])).code, 0);
    const oldGen = await currentRecord(dir, "gen");
    const oldSquare = await currentRecord(dir, "square[k=1]");
    await replaceIn(dir, "pipeline.yaml", "n: 4", "n: 6");
    equal((await cli(dir, ["reproduce"])).code, 0);
    // Pin the old gen output; leave the old square output unpinned.
    await writeFile(
      dir,
      "artifacts/pins/paper.json",
      JSON.stringify({ blobs: [oldGen.outputs.numbers.hash] }),
    );
    // A checkpoint of a key nobody uses any more.
    await Deno.mkdir(join(dir, "artifacts/checkpoints", "0".repeat(64)), { recursive: true });

    const before = await records(dir);
    const dry = await cli(dir, ["gc", "--dry-run", "--no-runs"]);
    equal(dry.code, 0, dry.stderr);
    match(dry.stdout, /^would free:$/m);
    deepStrictEqual((await records(dir)).length, before.length, "dry run deletes nothing");

    const g = await cli(dir, ["gc", "--no-runs"]);
    equal(g.code, 0, g.stderr);
    match(g.stdout, /^ {2}records +[1-9]\d* /m);
    match(g.stdout, /^ {2}checkpoints +1 /m);
    ok(await exists(blobPath(dir, oldGen.outputs.numbers.hash)), "pinned blob kept");
    equal(
      await exists(blobPath(dir, oldSquare.outputs.result.hash)),
      false,
      "unreachable blob dropped",
    );
    equal(
      await exists(join(dir, "artifacts/records", `${oldGen.key}.json`)),
      false,
      "old record dropped",
    );
    equal(await exists(join(dir, "artifacts/checkpoints", "0".repeat(64))), false);

    // Everything the current pipeline needs, under both profiles, survived.
    for (const p of ["default", "small"]) {
      const r = await cli(dir, ["reproduce", "--profile", p]);
      equal(r.code, 0);
      deepStrictEqual(ran(r.stdout), [], `profile ${p}`);
    }
    equal((await cli(dir, ["verify"])).code, 0);
    const g2 = await cli(dir, ["gc", "--no-runs"]);
    match(g2.stdout, /^freed 0 B;/m);

    await writeFile(dir, "artifacts/pins/bad.json", "{ not json");
    const bad = await cli(dir, ["gc", "--no-runs"]);
    equal(bad.code, 1);
    match(bad.stderr, /pin file .*bad\.json is not valid JSON .*nothing was collected/);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("the store location: --store and PIPELINE_STORE", async () => {
  const dir = await makeProject();
  const shared = await Deno.makeTempDir({ prefix: "pipeline-store-" });
  try {
    const a = await cli(dir, ["reproduce", "--only", "gen", "--store", shared]);
    equal(a.code, 0, a.stderr);
    ok(await exists(join(shared, "records")));
    equal(await exists(join(dir, "artifacts")), false);
    const b = await cli(dir, ["reproduce", "--only", "gen"], { PIPELINE_STORE: shared });
    deepStrictEqual(ran(b.stdout), []);
    match(b.stdout, /cached 1/);
  } finally {
    await Deno.remove(shared, { recursive: true });
    await removeProject(dir);
  }
});
