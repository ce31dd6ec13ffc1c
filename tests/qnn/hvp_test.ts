/**
 * Exact Hessian-vector products of the fast simulator (`Simulator.hvp`) against independent
 * evidence: Richardson-extrapolated central differences of the reference simulator's
 * parameter-shift gradients (a product of the explicit Hessian with v, built without the fast
 * simulator), the existing Gauss-Newton path (jvp, softmax Hessian, vjp), symmetry, the
 * curvature term's block structure, chunking, worker counts and f32 against f64.
 */

import { ok } from "node:assert/strict";
import { crossEntropyHessianProduct } from "../../lib/qnn/loss.ts";
import { referenceLossGrad } from "../../lib/qnn/reference_simulator.ts";
import { createSimulator } from "../../lib/qnn/simulator.ts";
import { modelParamCount, type ModelSpec, qnnParamCount } from "../../lib/qnn/spec.ts";
import { assertClose, direction, randomProblem, relErr, rng, sameBits } from "./_problems.ts";

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** H v from reference gradients: (4 D(h/2) - D(h)) / 3, D(h) the central difference along v. */
function referenceHvp(
  spec: ModelSpec,
  params: Float64Array,
  images: Float64Array,
  labels: Uint8Array,
  v: Float64Array,
  h: number,
): Float64Array {
  const D = (s: number) => {
    const gp = referenceLossGrad(spec, params.map((x, i) => x + s * v[i]), images, labels).grad;
    const gm = referenceLossGrad(spec, params.map((x, i) => x - s * v[i]), images, labels).grad;
    return gp.map((x, i) => (x - gm[i]) / (2 * s));
  };
  const a = D(h), b = D(h / 2);
  return b.map((x, i) => (4 * x - a[i]) / 3);
}

for (const [P, d, B] of [[4, 1, 2], [4, 2, 1], [9, 1, 1], [9, 2, 1]] as const) {
  Deno.test(`hvp f64 P=${P} d=${d}: H v matches differences of reference parameter-shift gradients to 1e-8`, async () => {
    const spec: ModelSpec = { P, d };
    const { params, images, labels } = randomProblem(spec, B, 100 + 10 * P + d);
    const v = direction(params.length, P * 7 + d);
    const sim = await createSimulator(spec, { precision: "f64", hvp: true });
    try {
      const out = await sim.hvp(params, images, labels, v);
      const ref = referenceHvp(spec, params, images, labels, v, 1e-3);
      assertClose(out.hvp, ref, 1e-8, "H v (all parameters)");
      const nb = params.length - 196;
      assertClose(out.hvp.subarray(nb), ref.subarray(nb), 1e-8, "H v (bias entries)");
      const g = referenceLossGrad(spec, params, images, labels);
      assertClose(out.grad, g.grad, 1e-12, "gradient");
      ok(Math.abs(out.loss - g.loss) <= 1e-13 * Math.abs(g.loss));
    } finally {
      sim.close();
    }
  });
}

Deno.test("hvp f64: symmetric (v^T H w = w^T H v), G v equals the jvp/vjp Gauss-Newton product, C v = H v - G v", async () => {
  const spec: ModelSpec = { P: 9, d: 2 };
  const { params, images, labels } = randomProblem(spec, 13, 5);
  const n = params.length;
  const v = direction(n, 1), w = direction(n, 2);
  const sim = await createSimulator(spec, { precision: "f64", hvp: true });
  try {
    const hv = await sim.hvp(params, images, labels, v);
    const hw = await sim.hvp(params, images, labels, w);
    const a = dot(w, hv.hvp), b = dot(v, hw.hvp);
    ok(Math.abs(a - b) <= 1e-12 * Math.abs(a), `w^T H v ${a} vs v^T H w ${b}`);
    const c = dot(w, hv.curvature), e = dot(v, hw.curvature);
    ok(Math.abs(c - e) <= 1e-12 * Math.abs(c), `curvature: ${c} vs ${e}`);
    const logits = await sim.forward(params, images);
    const jv = await sim.jvp(params, images, v);
    const gn = await sim.vjp(params, images, crossEntropyHessianProduct(logits, jv, 13));
    assertClose(hv.gaussNewton, gn, 1e-13, "G v against jvp/vjp");
    const diff = hv.hvp.map((x, i) => x - gn[i]);
    assertClose(hv.curvature, diff, 1e-12, "C v against H v - G v");
  } finally {
    sim.close();
  }
});

Deno.test("hvp f64: the curvature term is block-diagonal across QNNs (a direction in QNN p's block moves only p's block and the bias)", async () => {
  const spec: ModelSpec = { P: 4, d: 2 };
  const { params, images, labels } = randomProblem(spec, 5, 9);
  const nPhi = qnnParamCount(spec.d);
  const v = new Float64Array(params.length);
  const r = rng(4);
  for (let i = 2 * nPhi; i < 3 * nPhi; i++) v[i] = r() - 0.5;
  const sim = await createSimulator(spec, { precision: "f64", hvp: true });
  try {
    const { curvature, gaussNewton } = await sim.hvp(params, images, labels, v);
    let inside = 0, outside = 0, gnOutside = 0;
    for (let p = 0; p < spec.P; p++) {
      for (let i = p * nPhi; i < (p + 1) * nPhi; i++) {
        if (p === 2) inside = Math.max(inside, Math.abs(curvature[i]));
        else {
          outside = Math.max(outside, Math.abs(curvature[i]));
          gnOutside = Math.max(gnOutside, Math.abs(gaussNewton[i]));
        }
      }
    }
    ok(inside > 0 && outside === 0, `inside ${inside}, outside ${outside}`);
    ok(gnOutside > 0, "the Gauss-Newton term couples the QNNs");
  } finally {
    sim.close();
  }
});

Deno.test("hvp: bit-identical for 0 and 3 workers; chunks of 1,000 sum to the whole set", async () => {
  const spec: ModelSpec = { P: 4, d: 1 };
  const n = 1003;
  const { params, images, labels } = randomProblem(spec, n, 3);
  const v = direction(params.length, 6);
  const runs = [];
  for (const workers of [0, 3]) {
    const sim = await createSimulator(spec, { precision: "f64", workers, hvp: true });
    try {
      runs.push(await sim.hvp(params, images, labels, v));
    } finally {
      sim.close();
    }
  }
  for (const r of runs.slice(1)) {
    ok(sameBits(r.hvp, runs[0].hvp) && sameBits(r.curvature, runs[0].curvature));
    ok(sameBits(r.gaussNewton, runs[0].gaussNewton) && sameBits(r.grad, runs[0].grad));
  }
  const sim = await createSimulator(spec, { precision: "f64", hvp: true });
  try {
    const head = await sim.hvp(params, images.subarray(0, 1000 * 196), labels.subarray(0, 1000), v);
    const tail = await sim.hvp(params, images.subarray(1000 * 196), labels.subarray(1000), v);
    const whole = head.hvp.map((x, i) => (1000 * x + 3 * tail.hvp[i]) / n);
    assertClose(runs[0].hvp, whole, 1e-12, "chunked H v");
  } finally {
    sim.close();
  }
});

Deno.test("hvp f32 agrees with f64 to 1e-4 (H v, G v, C v); hvp needs hvp: true", async () => {
  const spec: ModelSpec = { P: 9, d: 2 };
  const { params, images, labels } = randomProblem(spec, 20, 8);
  const v = direction(modelParamCount(spec), 3);
  const s64 = await createSimulator(spec, { precision: "f64", hvp: true });
  const s32 = await createSimulator(spec, { precision: "f32", hvp: true });
  const plain = await createSimulator(spec, { precision: "f64", workers: 0 });
  try {
    const a = await s64.hvp(params, images, labels, v);
    const b = await s32.hvp(params, images, labels, v);
    for (const k of ["hvp", "gaussNewton", "curvature", "grad"] as const) {
      const e = relErr(b[k], a[k]);
      ok(e <= 1e-4, `${k}: f32 vs f64 relative error ${e}`);
    }
    let threw = false;
    try {
      await plain.hvp(params, images, labels, v);
    } catch {
      threw = true;
    }
    ok(threw, "hvp without hvp: true must fail");
  } finally {
    s64.close();
    s32.close();
    plain.close();
  }
});
