import { deepStrictEqual, equal, notEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  diffParts,
  ENGINE_SALT,
  keyOf,
  type KeyParts,
  RUNTIME,
} from "../../lib/pipeline/keys/cache_key.ts";
import { CodeGraphs, type DenoInfo, npmClosure } from "../../lib/pipeline/keys/code_graph.ts";
import { sha256Hex } from "../../lib/pipeline/keys/hash.ts";
import { loadPipelineText } from "../../lib/pipeline/spec/load.ts";

function parts(over: Partial<KeyParts> = {}): KeyParts {
  return {
    engine: { salt: ENGINE_SALT, runtime: RUNTIME, outputs: { traj: "traj.npy" } },
    code: { "steps/train.ts": "a".repeat(64), "lib/qnn.ts": "b".repeat(64) },
    npm: ["yaml@2.9.1"],
    params: { epochs: 3, P: 4 },
    inputs: { data: "c".repeat(64) },
    ...over,
  };
}

Deno.test("the key is the SHA-256 of the canonical JSON of the parts", () => {
  const p = parts();
  const canonical = '{"code":{"lib/qnn.ts":"' + "b".repeat(64) + '","steps/train.ts":"' +
    "a".repeat(64) +
    '"},"engine":{"outputs":{"traj":"traj.npy"},"runtime":' + JSON.stringify(RUNTIME) +
    ',"salt":"' + ENGINE_SALT + '"},"inputs":{"data":"' +
    "c".repeat(64) +
    '"},"npm":["yaml@2.9.1"],"params":{"P":4,"epochs":3}}';
  equal(keyOf(p), sha256Hex(canonical));
});

Deno.test("the key does not depend on key order but on every part", () => {
  const base = keyOf(parts());
  equal(keyOf(parts({ params: { P: 4, epochs: 3 } })), base);
  const variants: Partial<KeyParts>[] = [
    { params: { epochs: 2, P: 4 } },
    { code: { "steps/train.ts": "a".repeat(64), "lib/qnn.ts": "d".repeat(64) } },
    { code: { "steps/train.ts": "a".repeat(64) } },
    { npm: ["yaml@2.9.2"] },
    { inputs: { data: "e".repeat(64) } },
    { inputs: { data: [{ id: "x", hash: "c".repeat(64) }] } },
    { engine: { salt: ENGINE_SALT, runtime: RUNTIME, outputs: { traj: "traj2.npy" } } },
    { engine: { salt: "other", runtime: RUNTIME, outputs: { traj: "traj.npy" } } },
    {
      engine: { salt: ENGINE_SALT, runtime: "deno 9.9.9 (v8 1.0)", outputs: { traj: "traj.npy" } },
    },
  ];
  const keys = variants.map((v) => keyOf(parts(v)));
  for (const k of keys) notEqual(k, base);
  equal(new Set(keys).size, keys.length);
});

Deno.test("diffParts says which part changed and how", () => {
  const d = diffParts(parts(), parts({ params: { epochs: 2, P: 4, extra: "x" } }));
  deepStrictEqual(d.map((c) => c.text), ['params changed (epochs: 3 → 2, extra: (unset) → "x")']);
  const c = diffParts(
    parts(),
    parts({ code: { "steps/train.ts": "a".repeat(64), "lib/new.ts": "f".repeat(64) } }),
  );
  deepStrictEqual(c.map((x) => x.text), [
    "code changed: lib/new.ts (new), lib/qnn.ts (no longer used)",
  ]);
  const n = diffParts(parts(), parts({ npm: ["yaml@2.9.2"] }));
  deepStrictEqual(n.map((x) => x.text), ["npm packages changed: -yaml@2.9.1, +yaml@2.9.2"]);
  const g = diffParts(
    parts({
      inputs: {
        runs: [{ id: "t[P=4]", hash: "1".repeat(64) }, { id: "t[P=9]", hash: "2".repeat(64) }],
      },
    }),
    parts({
      inputs: {
        runs: [{ id: "t[P=4]", hash: "1".repeat(64) }, { id: "t[P=9]", hash: "3".repeat(64) }],
      },
    }),
  );
  deepStrictEqual(g.map((x) => x.text), ["input changed: runs (t[P=9])"]);
  deepStrictEqual(diffParts(parts(), parts()), []);
});

Deno.test("npm packages: the graph's own packages and their dependencies only", () => {
  const info: DenoInfo = {
    modules: [
      { specifier: "file:///p/a.ts", kind: "esm", local: "/p/a.ts" },
      { specifier: "npm:/vega@6.4.0", kind: "npm", npmPackage: "vega@6.4.0" },
    ],
    npmPackages: {
      "vega@6.4.0": { dependencies: ["d3@7.0.0"], localPath: "/cache/vega" },
      "d3@7.0.0": { dependencies: [], localPath: "/cache/d3" },
      "yaml@2.9.1": { dependencies: [], localPath: "/cache/yaml" },
    },
  };
  const c = npmClosure(info);
  deepStrictEqual([...c.ids].sort(), ["d3@7.0.0", "vega@6.4.0"]);
  deepStrictEqual([...c.dirs].sort(), ["/cache/d3", "/cache/vega"]);
});

Deno.test("a step's code: indirect imports, new URL references (followed), code globs; nothing else", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const w = (rel: string, text: string) => {
      Deno.mkdirSync(join(dir, rel, ".."), { recursive: true });
      Deno.writeTextFileSync(join(dir, rel), text);
    };
    w(
      "steps/s.ts",
      'import { f } from "../lib/a.ts";\nconst W = new URL("../lib/worker.ts", import.meta.url);\nconsole.log(f, W);\n',
    );
    w("lib/a.ts", 'import { g } from "./b.ts";\nexport const f = g;\n');
    w("lib/b.ts", "export const g = 1;\n");
    w(
      "lib/worker.ts",
      "import \"./wdep.ts\";\nconst data = new URL('./k.wasm', import.meta.url);\nconsole.log(data);\n",
    );
    w("lib/wdep.ts", "export {};\n");
    w("lib/k.wasm", "\0asm");
    w("lib/unrelated.ts", "export const u = 1;\n");
    w("kernels/build/x.bin", "xx");
    const p = loadPipelineText(
      "version: 1\nsteps:\n  s: { module: steps/s.ts, outputs: { o: o }, code: [kernels/build/*.bin] }\n",
      join(dir, "pipeline.yaml"),
    );
    const code = await new CodeGraphs(dir, null).forStep(p.spec.steps[0]);
    deepStrictEqual(Object.keys(code.files).sort(), [
      "kernels/build/x.bin",
      "lib/a.ts",
      "lib/b.ts",
      "lib/k.wasm",
      "lib/wdep.ts",
      "lib/worker.ts",
      "steps/s.ts",
    ]);
    equal(code.files["lib/b.ts"], sha256Hex("export const g = 1;\n"));
    deepStrictEqual(code.npm, []);
    ok(code.readPaths.includes(join(dir, "lib/k.wasm")));
    ok(!code.readPaths.some((x) => x.includes("unrelated")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the runtime is in the key: another Deno (another V8) reruns, and status says so", () => {
  equal(RUNTIME, `deno ${Deno.version.deno} (v8 ${Deno.version.v8})`);
  const other = parts({
    engine: { salt: ENGINE_SALT, runtime: "deno 9.9.9 (v8 1.0)", outputs: { traj: "traj.npy" } },
  });
  notEqual(keyOf(other), keyOf(parts()));
  deepStrictEqual(diffParts(other, parts()).map((c) => c.text), [
    `declared outputs, engine or runtime version changed (runtime deno 9.9.9 (v8 1.0) → ${RUNTIME})`,
  ]);
});
