import { ok } from "node:assert/strict";
import { VECTOR_MAX } from "../../lib/qnn/plan.ts";
import { createSimulator } from "../../lib/qnn/simulator.ts";
import { modelParamCount, type ModelSpec } from "../../lib/qnn/spec.ts";
import { assertClose, randomProblem, rng } from "./_problems.ts";

// In f64, chunks of at most VECTOR_MAX samples take blocks B and C as per-sample vectors; larger
// ones go through the unitaries. Both paths must agree to rounding.
Deno.test("fast f64: small chunks (per-sample vectors) agree with the unitary path", async () => {
  const spec: ModelSpec = { P: 4, d: 3 };
  const B = VECTOR_MAX + 8;
  const { params, images, labels } = randomProblem(spec, B, 71);
  const r = rng(72);
  const v = Float64Array.from({ length: modelParamCount(spec) }, () => r() - 0.5);
  const sim = await createSimulator(spec, { precision: "f64", workers: 0, blocks: "unitary" });
  try {
    const whole = await sim.lossGrad(params, images, labels); // one chunk: unitaries
    const cut = VECTOR_MAX * 196;
    const a = await sim.lossGrad(params, images.subarray(0, cut), labels.subarray(0, VECTOR_MAX));
    const b = await sim.lossGrad(params, images.subarray(cut), labels.subarray(VECTOR_MAX));
    const logits = new Float64Array([...a.logits, ...b.logits]);
    assertClose(logits, whole.logits, 1e-13, "logits");
    const grad = a.grad.map((x, i) => (x * VECTOR_MAX + b.grad[i] * 8) / B);
    assertClose(grad, whole.grad, 1e-12, "gradient");
    ok(Math.abs((a.loss * VECTOR_MAX + b.loss * 8) / B - whole.loss) < 1e-12);
    const jv = await sim.jvp(params, images, v);
    const jva = await sim.jvp(params, images.subarray(0, cut), v);
    const jvb = await sim.jvp(params, images.subarray(cut), v);
    assertClose(new Float64Array([...jva, ...jvb]), jv, 1e-12, "jvp");
    const fwd = await sim.forward(params, images.subarray(cut));
    assertClose(fwd, b.logits, 0, "forward = lossGrad logits");
  } finally {
    sim.close();
  }
});
