import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { PipelineError } from "../../lib/pipeline/spec/diagnostics.ts";
import { loadPipelineText, type Pipeline } from "../../lib/pipeline/spec/load.ts";
import { parseDuration, parseMemory } from "../../lib/pipeline/spec/validate.ts";

const FILES = new Set(["steps/a.ts", "steps/b.ts", "steps/c.ts", "kernels/x.wasm"]);
const probe = {
  isFile: (p: string) => FILES.has(p),
  glob: (p: string) =>
    [...FILES].filter((f) => p === f || (p.endsWith("*.wasm") && f.endsWith(".wasm"))),
};

function load(text: string): Pipeline {
  return loadPipelineText(text, "/p/pipeline.yaml", probe);
}

/** The error lines of an invalid pipeline. */
function errors(text: string): string[] {
  try {
    load(text);
  } catch (e) {
    if (e instanceof PipelineError) {
      return e.message.split("\n").map((l) => l.replace(/^\/p\//, ""));
    }
    throw e;
  }
  throw new Error("expected the pipeline to be invalid");
}

const GOOD = `version: 1
params:
  epochs: 3
  data_dir: null
matrix:
  P: [4, 9, 16]
  seed: [1001, 1002]
steps:
  prep:
    module: steps/a.ts
    outputs: { x: x.npy, y: y.npy }
  train:
    module: steps/b.ts
    matrix: [P, seed]
    params: [epochs, data_dir]
    inputs: { data: prep.x }
    outputs: { traj: traj.npy, ckpts: ckpts/ }
    permissions: { read: ["\${data_dir}"], net: [example.org, "127.0.0.1:8080"], env: [HOME] }
    resources: { cores: 2, memory: 4G, time: "2h" }
    code: [kernels/*.wasm]
  table:
    module: steps/c.ts
    matrix: { P: all, seed: first }
    inputs: { runs: train.traj }
    outputs: { table: table.csv }
    publish: tables
profiles:
  smoke: { params: { epochs: 1 }, matrix: { P: [4] } }
`;

Deno.test("a valid pipeline loads with defaults filled in", () => {
  const p = load(GOOD);
  deepStrictEqual(p.order.map((s) => s.name), ["prep", "train", "table"]);
  equal(p.spec.defaultProfile, "default");
  deepStrictEqual([...p.spec.profiles.keys()].sort(), ["default", "smoke"]);
  const train = p.spec.steps[1];
  deepStrictEqual(train.resources, {
    cores: 2,
    memory: "4G",
    memoryMb: 4096,
    time: "2h",
    timeSeconds: 7200,
  });
  deepStrictEqual(train.outputs.map((o) => [o.name, o.file, o.kind]), [
    ["traj", "traj.npy", "file"],
    [
      "ckpts",
      "ckpts",
      "dir",
    ],
  ]);
  deepStrictEqual(train.permissions, {
    read: ["${data_dir}"],
    net: ["example.org", "127.0.0.1:8080"],
    env: ["HOME"],
  });
  equal(p.spec.steps[0].resources.cores, 1);
  deepStrictEqual(p.spec.steps[2].matrix.map((u) => u.mode), ["all", "first"]);
});

Deno.test("unknown keys are reported with line, column and a suggestion at every level", () => {
  const e = errors(
    GOOD.replace("    module: steps/b.ts", "    modul: steps/b.ts")
      .replace("version: 1", "version: 1\ndefault_profil: smoke")
      .replace("resources: { cores: 2,", "resources: { core: 2,")
      .replace("permissions: { read:", "permissions: { reed:")
      .replace("smoke: { params:", "smoke: { parms:"),
  );
  const has = (re: RegExp) =>
    ok(e.some((l) => re.test(l)), `no line matches ${re}:\n${e.join("\n")}`);
  has(
    /^pipeline\.yaml:2:1: unknown key 'default_profil' at the top level \(did you mean 'default_profile'\?\)$/,
  );
  has(/^pipeline\.yaml:14:5: unknown key 'modul' in step 'train' \(did you mean 'module'\?\)$/);
  has(/^pipeline\.yaml:\d+:\d+: missing required key 'module' in step 'train'$/);
  has(/unknown key 'reed' in the permissions of step 'train' \(did you mean 'read'\?\)/);
  has(/unknown key 'core' in the resources of step 'train' \(did you mean 'cores'\?\)/);
  has(/unknown key 'parms' in profile 'smoke' \(did you mean 'params'\?\)/);
});

Deno.test("positions point at the offending node", () => {
  const e = errors(GOOD.replace("  P: [4, 9, 16]", "  P: [4, [9], 16]"));
  deepStrictEqual(e, [
    "pipeline.yaml:6:10: axis 'P': a matrix value must be a number, string or boolean, got a list",
  ]);
});

Deno.test("missing required keys", () => {
  const e = errors("version: 1\nsteps:\n  a:\n    description: x\n");
  deepStrictEqual(e, [
    "pipeline.yaml:4:5: missing required key 'module' in step 'a'",
    "pipeline.yaml:4:5: missing required key 'outputs' in step 'a'",
  ]);
  match(
    errors("steps:\n  a: { module: steps/a.ts, outputs: { x: x } }\n")[0],
    /missing required key 'version'/,
  );
});

Deno.test("a cycle is printed", () => {
  const e = errors(`version: 1
steps:
  a: { module: steps/a.ts, inputs: { i: c.z }, outputs: { x: x } }
  b: { module: steps/b.ts, inputs: { i: a.x }, outputs: { y: y } }
  c: { module: steps/c.ts, inputs: { i: b.y }, outputs: { z: z } }
`);
  equal(e.length, 1);
  equal(
    e[0],
    "pipeline.yaml:3:3: the steps form a cycle: a -> b -> c -> a (a step cannot depend on its own outputs, even indirectly)",
  );
});

Deno.test("a missing module file", () => {
  deepStrictEqual(
    errors("version: 1\nsteps:\n  a: { module: steps/nope.ts, outputs: { x: x } }\n"),
    [
      "pipeline.yaml:3:16: module 'steps/nope.ts' of step 'a' does not exist (paths are relative to the pipeline file's directory)",
    ],
  );
});

Deno.test("bad input references list the valid steps or outputs", () => {
  const e = errors(
    GOOD.replace("inputs: { data: prep.x }", "inputs: { data: prep.z, more: prepp.x, bad: nodot }"),
  );
  deepStrictEqual(e, [
    "pipeline.yaml:16:21: input 'data' of step 'train': step 'prep' has no output 'z' (did you mean 'x'? valid outputs of 'prep': x, y)",
    "pipeline.yaml:16:35: input 'more' of step 'train' names no step 'prepp' (did you mean 'prep'? valid steps: prep, train, table)",
    "pipeline.yaml:16:49: input 'bad' of step 'train' must be '<step>.<output>', got 'nodot'",
  ]);
});

Deno.test("undefined axes and params, profile overrides of unknown names", () => {
  const e = errors(
    GOOD.replace("matrix: [P, seed]", "matrix: [P, sed]")
      .replace("params: [epochs, data_dir]", "params: [epoch, data_dir]")
      .replace(
        "smoke: { params: { epochs: 1 }, matrix: { P: [4] } }",
        "smoke: { params: { epoks: 1 }, matrix: { Q: [4] } }",
      ),
  );
  ok(e.some((l) => /uses undefined axis 'sed' \(did you mean 'seed'\?\)/.test(l)), e.join("\n"));
  ok(e.some((l) => /declares undefined parameter 'epoch' \(did you mean 'epochs'\?\)/.test(l)));
  ok(
    e.some((l) =>
      /profile 'smoke' overrides unknown parameter 'epoks' \(did you mean 'epochs'\?\)/.test(l)
    ),
  );
  ok(e.some((l) => /profile 'smoke' overrides unknown axis 'Q' \(did you mean 'P'\?\)/.test(l)));
});

Deno.test("matrix values must be scalars, unique, and step subsets must exist", () => {
  const e = errors(
    GOOD.replace("seed: [1001, 1002]", "seed: [1001, 1001, null]")
      .replace("matrix: { P: all, seed: first }", "matrix: { P: [4, 5], seed: first }"),
  );
  ok(e.some((l) => /axis 'seed': duplicate value 1001/.test(l)), e.join("\n"));
  ok(
    e.some((l) =>
      /axis 'seed': a matrix value must be a number, string or boolean, got nothing \(null\)/.test(
        l,
      )
    ),
  );
  ok(e.some((l) => /value 5 is not a value of axis 'P'/.test(l)));
});

Deno.test("duplicate output files, bad file names and bad resources", () => {
  const e = errors(
    GOOD.replace("outputs: { x: x.npy, y: y.npy }", "outputs: { x: x.npy, y: x.npy, z: ../z }")
      .replace(
        'resources: { cores: 2, memory: 4G, time: "2h" }',
        "resources: { cores: 0, memory: lots, time: soon }",
      ),
  );
  ok(
    e.some((l) => /outputs 'x' and 'y' of step 'prep' have the same file name 'x.npy'/.test(l)),
    e.join("\n"),
  );
  ok(e.some((l) => /bad file name '..\/z' for output 'z'/.test(l)));
  ok(
    e.some((l) =>
      /resources.cores of step 'train' must be a positive integer, got number 0/.test(l)
    ),
  );
  ok(e.some((l) => /bad resources.memory of step 'train'/.test(l)));
  ok(e.some((l) => /bad resources.time of step 'train'/.test(l)));
});

Deno.test("permissions may only interpolate the step's own params and axes", () => {
  const e = errors(
    GOOD.replace('read: ["${data_dir}"]', 'read: ["${epochs}/${nope}", "${seed}x"]').replace(
      "matrix: [P, seed]",
      "matrix: [P]",
    ),
  );
  ok(
    e.some((l) =>
      /'\$\{nope\}' in permissions.read of step 'train' is not a parameter of this step/.test(l)
    ),
  );
  ok(
    e.some((l) => /'\$\{seed\}' .* \(add axis 'seed' to the step's matrix\)/.test(l)),
    e.join("\n"),
  );
  equal(e.some((l) => l.includes("${epochs}")), false);
});

Deno.test("all problems are reported at once, in file order", () => {
  const e = errors(
    GOOD.replace("    module: steps/a.ts", "    module: steps/zz.ts")
      .replace("inputs: { runs: train.traj }", "inputs: { runs: train.nope }")
      .replace("smoke: { params: { epochs: 1 }", "smoke: { params: { nope: 1 }"),
  );
  equal(e.length, 3, e.join("\n"));
  const lines = e.map((l) => Number(/^pipeline\.yaml:(\d+):/.exec(l)![1]));
  deepStrictEqual(lines, [...lines].sort((a, b) => a - b));
});

Deno.test("an input that resolves to nothing under some profile is an error naming it", () => {
  const e = errors(
    GOOD.replace("matrix: { P: all, seed: first }", "matrix: { P: [16], seed: first }")
      .replace("  table:", "  table:\n    description: t").replace(
        "  smoke: {",
        "  tiny: { matrix: { P: [9] } }\n  smoke: {",
      ).replace("inputs: { runs: train.traj }", "inputs: { runs: train.traj }").replace(
        "publish: tables",
        "publish: tables\n  after:\n    module: steps/a.ts\n    inputs: { t: table.table }\n    outputs: { o: o }",
      ),
  );
  ok(
    e.some((l) =>
      /input 't' of after matches no instance of step 'table' under profile '(smoke|tiny)'/.test(l)
    ),
    e.join("\n"),
  );
});

Deno.test("YAML syntax errors carry a position", () => {
  const e = errors("version: 1\nsteps:\n  a: [unclosed\n");
  match(e[0], /^pipeline\.yaml:\d+:\d+: YAML: /);
});

Deno.test("default_profile must name a profile", () => {
  const e = errors(GOOD.replace("version: 1", "version: 1\ndefault_profile: smok"));
  match(e[0], /default_profile 'smok' is not a profile \(did you mean 'smoke'\?\)/);
  equal(
    load(GOOD.replace("version: 1", "version: 1\ndefault_profile: smoke")).spec.defaultProfile,
    "smoke",
  );
});

Deno.test("only version 1 is read", () => {
  match(
    errors(GOOD.replace("version: 1", "version: 2"))[0],
    /unsupported version number 2 \(this engine reads version 1\)/,
  );
});

Deno.test("memory and time parsing", () => {
  equal(parseMemory("4G"), 4096);
  equal(parseMemory("512M"), 512);
  equal(parseMemory("1.5GiB"), 1536);
  equal(parseMemory(2048), 2048);
  equal(parseMemory("lots"), undefined);
  equal(parseMemory("0G"), undefined);
  equal(parseDuration("2h"), 7200);
  equal(parseDuration("1h30m"), 5400);
  equal(parseDuration("90s"), 90);
  equal(parseDuration("1d"), 86400);
  equal(parseDuration("01:02:03"), 3723);
  equal(parseDuration("2-00:00:00"), 172800);
  equal(parseDuration(30), 1800);
  equal(parseDuration("soon"), undefined);
  equal(parseDuration("00:61"), undefined);
});

Deno.test("PipelineError is what loading throws", () => {
  throws(() => load("version: 1\n"), PipelineError);
});

Deno.test("open must name a file inside a published directory", () => {
  match(
    errors(GOOD.replace("version: 1", "version: 1\nopen: report/index.html"))[0],
    /^pipeline\.yaml:2:7: 'open' must be '<publish name>\/<file>' inside a published directory, got 'report\/index\.html' \(published directories: tables\)$/,
  );
  match(errors(GOOD.replace("version: 1", "version: 1\nopen: tables"))[0], /'open' must be/);
  match(errors(GOOD.replace("version: 1", "version: 1\nopen: tables/../x"))[0], /'open' must be/);
  equal(load(GOOD.replace("version: 1", "version: 1\nopen: tables/t.md")).spec.open, "tables/t.md");
});
