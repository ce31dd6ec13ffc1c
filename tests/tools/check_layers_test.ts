/** The layer checker on constructed import graphs, and on this repository. */

import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  checkLayers,
  checkRepository,
  folderOf,
  importsOf,
  type ProjectImport,
} from "../../tools/check_layers.ts";

const imp = (from: string, to: string): ProjectImport => ({ from, to, line: 1 });
const pk = (...xs: string[]) => new Set(xs);

Deno.test("check-layers: imports of every kind are found, comments are not", () => {
  const src = [
    'import { a } from "../x/mod.ts";',
    'export * from "./y.ts";',
    'const m = await import("../z/mod.ts");',
    'const u = new URL("./worker.ts", import.meta.url);',
    '// import { no } from "../commented.ts";',
    "/*",
    ' import { no } from "../block.ts";',
    " */",
    'import { b } from "npm:yaml";',
  ].join("\n");
  deepStrictEqual(importsOf("lib/q/a.ts", src).map((i) => [i.to, i.line]), [
    ["lib/x/mod.ts", 1],
    ["lib/q/y.ts", 2],
    ["lib/z/mod.ts", 3],
    ["lib/q/worker.ts", 4],
  ]);
});

Deno.test("check-layers: folders of files", () => {
  equal(folderOf("lib/pipeline/build/scheduler.ts"), "lib/pipeline/build");
  equal(folderOf("lib/qnn/simulator.ts"), "lib/qnn");
  equal(folderOf("steps/train.ts"), "steps");
  equal(folderOf("lib/pipeline/README.ts"), "lib/pipeline");
});

Deno.test("check-layers: a clean graph passes", () => {
  const v = checkLayers([
    imp("lib/pipeline/build/build.ts", "lib/pipeline/store/mod.ts"),
    imp("lib/pipeline/store/mod.ts", "lib/pipeline/store/store.ts"),
    imp("lib/pipeline/store/store.ts", "lib/step/mod.ts"),
    imp("lib/pipeline/store/store.ts", "lib/files/mod.ts"),
    imp("lib/qnn/mod.ts", "lib/qnn/simulator.ts"),
    imp("steps/train.ts", "lib/qnn/simulator.ts"),
    imp("steps/train.ts", "lib/step/context.ts"),
    imp("lib/step/mod.ts", "lib/step/context.ts"),
    imp("lib/files/mod.ts", "lib/files/tar.ts"),
    imp("tests/qnn/x_test.ts", "lib/qnn/private.ts"),
  ], pk("lib/pipeline/build", "lib/pipeline/store", "lib/qnn", "lib/step", "lib/files"));
  deepStrictEqual(v, []);
});

Deno.test("check-layers: the engine importing the study fails", () => {
  const v = checkLayers(
    [imp("lib/pipeline/spec/load.ts", "lib/qnn/mod.ts")],
    pk("lib/pipeline/spec", "lib/qnn"),
  );
  equal(v.length, 1);
  match(v[0].message, /the engine imports lib\/qnn\/mod\.ts/);
});

Deno.test("check-layers: a step importing the engine fails", () => {
  const v = checkLayers(
    [imp("steps/train.ts", "lib/pipeline/store/mod.ts")],
    pk("lib/pipeline/store"),
  );
  equal(v.length, 1);
  match(v[0].message, /a step imports the engine/);
});

Deno.test("check-layers: a leaf package importing another package fails", () => {
  const v = checkLayers([imp("lib/util/prng.ts", "lib/qnn/mod.ts")], pk("lib/util", "lib/qnn"));
  equal(v.length, 1);
  match(v[0].message, /lib\/util\/ imports lib\/qnn\/mod\.ts/);
});

Deno.test("check-layers: a package reaching past another's mod.ts fails; an app may use a public module", () => {
  const graph = [
    imp("lib/b/mod.ts", "lib/b/pub.ts"),
    imp("lib/a/x.ts", "lib/b/pub.ts"),
    imp("steps/s.ts", "lib/b/pub.ts"),
    imp("steps/s.ts", "lib/b/private.ts"),
  ];
  const v = checkLayers(graph, pk("lib/a", "lib/b"));
  deepStrictEqual(v.map((x) => [x.file, x.message]), [
    ["lib/a/x.ts", "lib/b/pub.ts is inside lib/b/: import lib/b/mod.ts"],
    ["steps/s.ts", "lib/b/private.ts is private to lib/b/ (its mod.ts does not export it)"],
  ]);
});

Deno.test("check-layers: a package folder without mod.ts fails", () => {
  const v = checkLayers(
    [imp("lib/a/mod.ts", "lib/a/x.ts"), imp("lib/a/x.ts", "lib/c/y.ts")],
    pk("lib/a"),
  );
  ok(v.some((x) => x.message === "lib/c/ has no mod.ts: give it one and import that"));
  ok(v.some((x) => x.message === "package folder lib/c/ has no mod.ts"));
});

Deno.test("check-layers: a cycle between folders fails and is named", () => {
  const v = checkLayers([
    imp("lib/a/x.ts", "lib/b/mod.ts"),
    imp("lib/b/y.ts", "lib/c/mod.ts"),
    imp("lib/c/z.ts", "lib/a/mod.ts"),
    imp("tests/t.ts", "lib/a/mod.ts"),
  ], pk("lib/a", "lib/b", "lib/c"));
  equal(v.length, 1);
  equal(v[0].message, "folders import each other in a cycle: lib/a -> lib/b -> lib/c -> lib/a");
});
Deno.test("check-layers: this repository keeps every direction", async () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const v = await checkRepository(root);
  deepStrictEqual(v.map((x) => `${x.file}:${x.line}: ${x.message}`), []);
});
