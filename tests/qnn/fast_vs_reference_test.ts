import { ok } from "node:assert/strict";
import { referenceForward, referenceLossGrad } from "../../lib/qnn/reference_simulator.ts";
import { createSimulator } from "../../lib/qnn/simulator.ts";
import { layout, modelParamCount, type ModelSpec, qnnParamCount } from "../../lib/qnn/spec.ts";
import { assertClose, randomProblem } from "./_problems.ts";

// Small random models against the gate-by-gate reference (parameter-shift gradients).
const CASES: { spec: ModelSpec; B: number }[] = [
  { spec: { P: 4, d: 1 }, B: 3 },
  { spec: { P: 4, d: 3, aggregate: "sqrt" }, B: 2 },
  { spec: { P: 9, d: 2 }, B: 2 },
  { spec: { P: 9, d: 1, aggregate: "sqrt" }, B: 2 },
  { spec: { P: 16, d: 1 }, B: 2 },
  { spec: { P: 16, d: 2, aggregate: "sqrt" }, B: 1 },
];

for (const [i, { spec, B }] of CASES.entries()) {
  const name = `P=${spec.P} d=${spec.d} ${spec.aggregate ?? "mean"}`;
  Deno.test(`fast vs reference: logits, loss, every gradient entry (${name}, f64 and f32)`, async () => {
    const { params, images, labels } = randomProblem(spec, B, 100 + i);
    const ref = referenceLossGrad(spec, params, images, labels);
    const nPhi = qnnParamCount(spec.d);
    // The unitaries and GEMMs (f64 on so few images: the per-sample vectors); direct blocks are
    // held against the reference in direct_blocks_test.ts.
    for (const [precision, tol] of [["f64", 1e-10], ["f32", 1e-4]] as const) {
      const sim = await createSimulator(spec, { precision, blocks: "unitary" });
      try {
        const got = await sim.lossGrad(params, images, labels);
        assertClose(got.logits, ref.logits, tol, `${precision} logits`);
        assertClose([got.loss], [ref.loss], tol, `${precision} loss`);
        for (let p = 0; p < spec.P; p++) {
          const a = got.grad.subarray(p * nPhi, (p + 1) * nPhi),
            b = ref.grad.subarray(p * nPhi, (p + 1) * nPhi);
          assertClose(a, b, tol, `${precision} grad of QNN ${p}`);
        }
        const off = spec.P * nPhi;
        assertClose(got.grad.subarray(off), ref.grad.subarray(off), tol, `${precision} bias grad`);
        assertClose(await sim.forward(params, images), ref.logits, tol, `${precision} forward`);
      } finally {
        sim.close();
      }
    }
  });
}

Deno.test("fast: all-zero parameters and images give X = 0, Z = 1 on every QNN (logits by hand)", async () => {
  for (const aggregate of ["mean", "sqrt"] as const) {
    const spec: ModelSpec = { P: 9, d: 2, aggregate };
    const sim = await createSimulator(spec, { precision: "f64", workers: 2 });
    try {
      const logits = await sim.forward(
        new Float64Array(modelParamCount(spec)),
        new Float64Array(2 * 196),
      );
      const z = aggregate === "mean" ? 100 : 100 * 9 / 3;
      for (let b = 0; b < 2; b++) {
        for (let o = 0; o < 10; o++) {
          ok(Math.abs(logits[b * 10 + o] - (o < 5 ? 0 : z)) < 1e-12, `${o}: ${logits[b * 10 + o]}`);
        }
      }
    } finally {
      sim.close();
    }
  }
});

Deno.test("fast: a final RY(b) RX(a) on wire 3 of every QNN gives <X3> = cos a sin b, <Z3> = cos a cos b", async () => {
  const spec: ModelSpec = { P: 4, d: 3 };
  const nPhi = qnnParamCount(spec.d);
  const params = new Float64Array(modelParamCount(spec));
  const a = 0.4, b = 2.1;
  const base = layout.layer(spec.d, "C", spec.d - 1);
  for (let p = 0; p < spec.P; p++) {
    params[p * nPhi + base + 3] = a;
    params[p * nPhi + base + 8 + 3] = b;
  }
  const sim = await createSimulator(spec, { precision: "f64" });
  try {
    const logits = await sim.forward(params, new Float64Array(196));
    ok(Math.abs(logits[3] - 100 * Math.cos(a) * Math.sin(b)) < 1e-12);
    ok(Math.abs(logits[8] - 100 * Math.cos(a) * Math.cos(b)) < 1e-12);
    const ref = referenceForward(spec, params, new Float64Array(196));
    assertClose(logits, ref, 1e-12, "logits");
  } finally {
    sim.close();
  }
});
