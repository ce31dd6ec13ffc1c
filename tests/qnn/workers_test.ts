import { equal, ok } from "node:assert/strict";
import { CHUNK } from "../../lib/qnn/plan.ts";
import { createSimulator } from "../../lib/qnn/simulator.ts";
import { modelParamCount, type ModelSpec } from "../../lib/qnn/spec.ts";
import { randomProblem, rng, sameBits } from "./_problems.ts";

// Work items are (QNN, column part): more workers than QNNs share them, and the bits must not
// depend on how many there are.
Deno.test("fast: more workers than QNNs (P = 4 on 6 workers) give the bits of 1 worker: loss, gradient, jvp, H v", async () => {
  const spec: ModelSpec = { P: 4, d: 2 };
  const r = rng(91);
  const v = Float64Array.from({ length: modelParamCount(spec) }, () => r() - 0.5);
  const cases = [["f32", CHUNK + 37], ["f64", 70]] as const;
  for (
    const [[precision, B], blocks] of cases.flatMap((c) => [[c, "unitary"], [c, "direct"]] as const)
  ) {
    const { params, images, labels } = randomProblem(spec, B, 92);
    const results = [];
    for (const workers of [1, 6, 3]) {
      const sim = await createSimulator(spec, { precision, workers, hvp: true, blocks });
      try {
        const lg = await sim.lossGrad(params, images, labels);
        const h = await sim.hvp(params, images, labels, v);
        results.push({ ...lg, jvp: await sim.jvp(params, images, v), hv: h.hvp, hloss: h.loss });
      } finally {
        sim.close();
      }
    }
    for (const other of results.slice(1)) {
      equal(other.loss, results[0].loss);
      ok(sameBits(other.grad, results[0].grad), `${precision} ${blocks}: gradient bits differ`);
      ok(sameBits(other.logits, results[0].logits), `${precision} ${blocks}: logits bits differ`);
      ok(sameBits(other.jvp, results[0].jvp), `${precision} ${blocks}: jvp bits differ`);
      ok(sameBits(other.hv, results[0].hv), `${precision} ${blocks}: H v bits differ`);
      equal(other.hloss, results[0].hloss);
    }
  }
});
