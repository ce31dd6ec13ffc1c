import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { escapeId, escapeIdForGrant, instanceId } from "../../lib/pipeline/spec/expand.ts";
import { expandPipeline, loadPipelineText } from "../../lib/pipeline/spec/load.ts";

const probe = { isFile: () => true, glob: () => [] };

const TEXT = `version: 1
params: { epochs: 3, lr: 0.1, unused: x }
matrix:
  P: [4, 9]
  d: [2, 50]
  seed: [1001, 1002]
steps:
  prep: { module: p.ts, outputs: { x: x } }
  train:
    module: t.ts
    matrix: [P, d, seed]
    params: [epochs]
    inputs: { data: prep.x }
    outputs: { traj: traj }
  hess:
    module: h.ts
    matrix: { seed: first, P: all, d: [50] }
    inputs: { traj: train.traj }
    outputs: { h: h }
  by_p:
    module: b.ts
    matrix: [P]
    inputs: { runs: train.traj }
    outputs: { t: t }
  table:
    module: c.ts
    params: [lr]
    inputs: { runs: train.traj, hs: hess.h }
    outputs: { t: t }
profiles:
  smoke: { params: { epochs: 1 }, matrix: { P: [4], seed: [7] } }
`;

const pipeline = loadPipelineText(TEXT, "/p/pipeline.yaml", probe);

Deno.test("instances are the cartesian product of the step's axes, in the step's axis order", () => {
  const exp = expandPipeline(pipeline, "default");
  deepStrictEqual(exp.byStep.get("train")!.map((i) => i.id), [
    "train[P=4,d=2,seed=1001]",
    "train[P=4,d=2,seed=1002]",
    "train[P=4,d=50,seed=1001]",
    "train[P=4,d=50,seed=1002]",
    "train[P=9,d=2,seed=1001]",
    "train[P=9,d=2,seed=1002]",
    "train[P=9,d=50,seed=1001]",
    "train[P=9,d=50,seed=1002]",
  ]);
  // first / subset / all, listed as seed, P, d
  deepStrictEqual(exp.byStep.get("hess")!.map((i) => i.id), [
    "hess[seed=1001,P=4,d=50]",
    "hess[seed=1001,P=9,d=50]",
  ]);
  deepStrictEqual(exp.byStep.get("prep")!.map((i) => i.id), ["prep"]);
});

Deno.test("an instance's params are its declared params plus its matrix values", () => {
  const exp = expandPipeline(pipeline, "default");
  deepStrictEqual(exp.byId.get("train[P=9,d=2,seed=1002]")!.params, {
    epochs: 3,
    P: 9,
    d: 2,
    seed: 1002,
  });
  deepStrictEqual(exp.byId.get("table")!.params, { lr: 0.1 });
  deepStrictEqual(exp.byId.get("hess[seed=1001,P=4,d=50]")!.params, { seed: 1001, P: 4, d: 50 });
});

Deno.test("inputs resolve to one upstream instance when its axes are a subset, else gather", () => {
  const exp = expandPipeline(pipeline, "default");
  const h = exp.byId.get("hess[seed=1001,P=9,d=50]")!;
  equal(h.inputs[0].gather, false);
  deepStrictEqual(h.inputs[0].upstream.map((u) => u.id), ["train[P=9,d=50,seed=1001]"]);
  const t = exp.byId.get("train[P=4,d=2,seed=1001]")!;
  deepStrictEqual([t.inputs[0].gather, t.inputs[0].upstream.map((u) => u.id)], [false, ["prep"]]);
  // by_p gathers the train instances that share its P, in expansion order.
  const b = exp.byId.get("by_p[P=9]")!;
  equal(b.inputs[0].gather, true);
  deepStrictEqual(b.inputs[0].upstream.map((u) => u.id), [
    "train[P=9,d=2,seed=1001]",
    "train[P=9,d=2,seed=1002]",
    "train[P=9,d=50,seed=1001]",
    "train[P=9,d=50,seed=1002]",
  ]);
  const table = exp.byId.get("table")!;
  deepStrictEqual(table.inputs.map((i) => [i.spec.name, i.gather, i.upstream.length]), [[
    "runs",
    true,
    8,
  ], [
    "hs",
    true,
    2,
  ]]);
});

Deno.test("profiles override params and axis values", () => {
  const exp = expandPipeline(pipeline, "smoke");
  deepStrictEqual(exp.byStep.get("train")!.map((i) => i.id), [
    "train[P=4,d=2,seed=7]",
    "train[P=4,d=50,seed=7]",
  ]);
  equal(exp.byId.get("train[P=4,d=2,seed=7]")!.params.epochs, 1);
  deepStrictEqual(exp.byStep.get("hess")!.map((i) => i.id), ["hess[seed=7,P=4,d=50]"]);
  deepStrictEqual(exp.instances.map((i) => i.step.name), [
    "prep",
    "train",
    "train",
    "hess",
    "by_p",
    "table",
  ]);
});

Deno.test("instance ids and their file-name form", () => {
  equal(instanceId("prep", [], {}), "prep");
  equal(instanceId("t", ["a", "b"], { a: "x y", b: true }), "t[a=x y,b=true]");
  equal(escapeId("train[P=4,d=2,seed=1001]"), "train[P=4,d=2,seed=1001]");
  // Paths granted to a step escape commas too: a Deno permission list cannot hold them.
  equal(escapeIdForGrant("train[P=4,d=2,seed=1001]"), "train[P=4%2Cd=2%2Cseed=1001]");
  equal(escapeId("t[a=x/y z]"), "t[a=x%2Fy%20z]");
  equal(escapeId("t[a=é]"), "t[a=%C3%A9]");
});

const QUIET = `version: 1
matrix:
  P: [4, 9]
  agg: { type: enum, choices: [mean, sqrt], values: [mean], in_id: when_varied }
steps:
  train:
    module: t.ts
    matrix: [P, agg]
    outputs: { traj: traj }
  only_mean:
    module: m.ts
    matrix: { P: all, agg: [mean] }
    inputs: { traj: train.traj }
    outputs: { x: x }
  table:
    module: c.ts
    inputs: { runs: train.traj }
    outputs: { t: t }
profiles:
  both: { matrix: { agg: [mean, sqrt] } }
`;

Deno.test("an axis declared in_id: when_varied is named in ids only where a step takes several of its values", () => {
  const p = loadPipelineText(QUIET, "/p/pipeline.yaml", probe);
  const one = expandPipeline(p, "default");
  deepStrictEqual(one.byStep.get("train")!.map((i) => i.id), ["train[P=4]", "train[P=9]"]);
  // The value is still the instance's: in its matrix and its parameters (so in its key).
  deepStrictEqual(one.byId.get("train[P=4]")!.matrix, { P: 4, agg: "mean" });
  equal(one.byId.get("train[P=4]")!.params.agg, "mean");
  deepStrictEqual(one.byId.get("train[P=4]")!.idAxes, ["P"]);
  const both = expandPipeline(p, "both");
  deepStrictEqual(both.byStep.get("train")!.map((i) => i.id), [
    "train[P=4,agg=mean]",
    "train[P=4,agg=sqrt]",
    "train[P=9,agg=mean]",
    "train[P=9,agg=sqrt]",
  ]);
  // A step that takes one value of it keeps it out of its ids, and reads the matching upstream.
  deepStrictEqual(both.byStep.get("only_mean")!.map((i) => i.id), [
    "only_mean[P=4]",
    "only_mean[P=9]",
  ]);
  deepStrictEqual(
    both.byId.get("only_mean[P=9]")!.inputs[0].upstream.map((u) => u.id),
    ["train[P=9,agg=mean]"],
  );
  // A gather sees every value.
  equal(both.byId.get("table")!.inputs[0].upstream.length, 4);
});

Deno.test("in_id takes only 'always' or 'when_varied'", () => {
  const bad = QUIET.replace("in_id: when_varied", "in_id: sometimes");
  throws(
    () => loadPipelineText(bad, "/p/pipeline.yaml", probe),
    /pipeline\.yaml:4:\d+: axis 'agg': in_id must be 'always' or 'when_varied'/,
  );
});
