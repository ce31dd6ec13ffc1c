/**
 * The Hessian operators against independent evidence: an explicit Hessian
 * built from the gate-by-gate reference simulator (parameter-shift gradients,
 * central differences), the Gauss-Newton term formed from the reference's
 * explicit Jacobian, and the curvature term from central differences of the
 * reference's output gradients at a fixed cotangent.
 */
import { ok } from "node:assert/strict";
import { analyseHessian } from "../../lib/hessian/analysis.ts";
import { hessianOperators, hvpRelativeError } from "../../lib/hessian/operators.ts";
import { createSimulator } from "../../lib/qnn/mod.ts";
import { softmaxCrossEntropy } from "../../lib/qnn/loss.ts";
import {
  referenceForward,
  referenceLossGrad,
  referenceVjp,
} from "../../lib/qnn/reference_simulator.ts";
import { modelParamCount, type ModelSpec, qnnParamCount } from "../../lib/qnn/spec.ts";
import { assertClose, randomProblem } from "../qnn/_problems.ts";

const spec: ModelSpec = { P: 4, d: 1 };
const B = 2;
const nPhi = qnnParamCount(spec.d);
const n = modelParamCount(spec);
// Columns to check: an encoding angle of QNN 0, a parameter of QNN 3, and a bias pixel that all
// four patches cover.
const COLUMNS = [130, 3 * nPhi + 50, 4 * nPhi + 6 * 14 + 7];

const H = 1e-4;

function unit(j: number): Float64Array {
  const e = new Float64Array(n);
  e[j] = 1;
  return e;
}

/** Column j of the loss Hessian by central differences of the reference's parameter-shift gradient. */
function referenceHessianColumn(
  params: Float64Array,
  images: Float64Array,
  labels: Uint8Array,
  j: number,
): Float64Array {
  const plus = params.slice();
  const minus = params.slice();
  plus[j] += H;
  minus[j] -= H;
  const gp = referenceLossGrad(spec, plus, images, labels).grad;
  const gm = referenceLossGrad(spec, minus, images, labels).grad;
  return gp.map((g, i) => (g - gm[i]) / (2 * H));
}

/** The explicit Jacobian of the logits: one reference vjp per unit cotangent (row k = dz_k/dtheta). */
function referenceJacobian(params: Float64Array, images: Float64Array): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let k = 0; k < B * 10; k++) {
    const c = new Float64Array(B * 10);
    c[k] = 1;
    rows.push(referenceVjp(spec, params, images, c));
  }
  return rows;
}

/** Column j of J^T S J from the reference's explicit Jacobian of the logits. */
function referenceGaussNewtonColumn(
  rows: Float64Array[],
  logits: Float64Array,
  j: number,
): Float64Array {
  const jv = Float64Array.from(rows, (r) => r[j]);
  // S = block-diag (diag(p) - p p^T) / B.
  const u = new Float64Array(B * 10);
  for (let b = 0; b < B; b++) {
    const z = logits.subarray(b * 10, b * 10 + 10);
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, v) => a + v, 0);
    const p = e.map((v) => v / s);
    let pj = 0;
    for (let k = 0; k < 10; k++) pj += p[k] * jv[b * 10 + k];
    for (let k = 0; k < 10; k++) u[b * 10 + k] = (p[k] * (jv[b * 10 + k] - pj)) / B;
  }
  const out = new Float64Array(n);
  rows.forEach((r, k) => {
    for (let i = 0; i < n; i++) out[i] += u[k] * r[i];
  });
  return out;
}

/** Column j of sum_k dL/dz_k d2z_k/dtheta2, the cotangent held fixed at the point. */
function referenceCurvatureColumn(
  params: Float64Array,
  images: Float64Array,
  dlogits: Float64Array,
  j: number,
): Float64Array {
  const plus = params.slice();
  const minus = params.slice();
  plus[j] += H;
  minus[j] -= H;
  const gp = referenceVjp(spec, plus, images, dlogits);
  const gm = referenceVjp(spec, minus, images, dlogits);
  return gp.map((g, i) => (g - gm[i]) / (2 * H));
}

Deno.test("Hessian operators (exact and central): full, Gauss-Newton and curvature products match the reference's explicit columns", async () => {
  const { params, images, labels } = randomProblem(spec, B, 7);
  const logits = referenceForward(spec, params, images);
  const { dlogits } = softmaxCrossEntropy(logits, labels);
  const jacobian = referenceJacobian(params, images);
  const sim = await createSimulator(spec, { precision: "f64", workers: 0, hvp: true });
  try {
    const exact = await hessianOperators(sim, params, images, labels);
    const central = await hessianOperators(sim, params, images, labels, { method: "central" });
    for (const [j, ops] of COLUMNS.flatMap((j) => [[j, exact], [j, central]] as const)) {
      const full = referenceHessianColumn(params, images, labels, j);
      const gn = referenceGaussNewtonColumn(jacobian, logits, j);
      const curv = referenceCurvatureColumn(params, images, dlogits, j);
      // The theory's split holds on the independent side too: H = GN + curvature.
      assertClose(
        gn.map((g, i) => g + curv[i]),
        full,
        1e-6,
        `reference GN + curvature, column ${j}`,
      );
      assertClose(await ops.hvp(unit(j)), full, 1e-6, `hvp column ${j}`);
      assertClose(await ops.gaussNewton(unit(j)), gn, 1e-9, `Gauss-Newton column ${j}`);
      assertClose(await ops.curvature(unit(j)), curv, 1e-6, `curvature column ${j}`);
    }
  } finally {
    sim.close();
  }
});

Deno.test("Hessian operators: the curvature term is block-diagonal across QNNs, the Gauss-Newton term is not", async () => {
  const { params, images, labels } = randomProblem(spec, B, 11);
  const sim = await createSimulator(spec, { precision: "f64", workers: 0, hvp: true });
  try {
    const ops = await hessianOperators(sim, params, images, labels);
    const j = 5; // a parameter of QNN 0
    const curv = await ops.curvature(unit(j));
    const gn = await ops.gaussNewton(unit(j));
    const scale = Math.max(...curv.map(Math.abs));
    for (let q = 1; q < spec.P; q++) {
      const block = curv.subarray(q * nPhi, (q + 1) * nPhi);
      ok(Math.max(...block.map(Math.abs)) < 1e-6 * scale, `curvature couples QNN 0 and QNN ${q}`);
      ok(
        Math.max(...gn.subarray(q * nPhi, (q + 1) * nPhi).map(Math.abs)) > 1e-6,
        `GN block ${q} empty`,
      );
    }
    ok(Math.max(...curv.subarray(0, nPhi).map(Math.abs)) > 0);
  } finally {
    sim.close();
  }
});

Deno.test("Hessian analyses on a small model: power iteration, Lanczos and SLQ agree with the dense spectrum", async () => {
  const small: ModelSpec = { P: 4, d: 1 };
  const { params, images, labels } = randomProblem(small, 2, 3);
  const sim = await createSimulator(small, { precision: "f64", workers: 0 });
  try {
    // Central products: with exact ones the explicit Hessian has exactly null rows (block C's
    // last-layer angles on wires 5-7 reach no output), which the dense eigensolver does not
    // handle yet.
    const ops = await hessianOperators(sim, params, images, labels, { method: "central" });
    const result = await analyseHessian(ops, {
      seed: 1,
      powerMaxIter: 100,
      powerTol: 1e-6,
      topK: 3,
      splitSteps: 40,
      slqProbes: 2,
      slqSteps: 60,
      exactMaxParams: n,
      densityBins: 200,
    });
    const exact = result.exact!.eigenvalues;
    ok(result.exact!.asymmetry < 1e-6, `explicit Hessian asymmetric: ${result.exact!.asymmetry}`);
    const top = exact[exact.length - 1];
    const bottom = exact[0];
    // Power iteration finds the eigenvalue of largest magnitude.
    const dominant = Math.abs(top) >= Math.abs(bottom) ? top : bottom;
    ok(
      Math.abs(result.power.eigenvalue - dominant) < 1e-3 * Math.abs(dominant),
      `power ${result.power.eigenvalue} vs ${dominant}`,
    );
    ok(
      Math.abs(result.lanczos.eigenvalue - top) < 1e-5 * Math.abs(top),
      `lanczos ${result.lanczos.eigenvalue} vs ${top}`,
    );
    ok(Math.abs(result.lanczos.top[1] - exact[exact.length - 2]) < 1e-4 * Math.abs(top));
    // SLQ weights are a probability distribution over nodes within the spectrum's range.
    for (const [p, nodes] of result.slq.nodes.entries()) {
      const w = result.slq.weights[p];
      ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-9);
      ok(
        Math.min(...nodes) >= bottom - 1e-6 * Math.abs(top) &&
          Math.max(...nodes) <= top + 1e-6 * Math.abs(top),
      );
    }
    // Ritz values lie inside the spectrum: the Gauss-Newton term is positive semi-definite, and
    // neither term's top value exceeds what the full Hessian's range allows by much.
    const gn = result.gauss_newton;
    ok(gn.lambda_min > -1e-9 * gn.lambda_max, `Gauss-Newton Ritz value ${gn.lambda_min} < 0`);
    ok(gn.lambda_max > 0 && result.curvature.lambda_max < top + gn.lambda_max);
  } finally {
    sim.close();
  }
});

Deno.test("HVP truncation error estimate is small and finite in float64", async () => {
  const { params, images, labels } = randomProblem(spec, B, 5);
  const sim = await createSimulator(spec, { precision: "f64", workers: 0 });
  try {
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const err = await hvpRelativeError(sim, params, images, labels, v, 1e-4);
    ok(err > 0 && err < 1e-6, `estimated relative error ${err}`);
  } finally {
    sim.close();
  }
});
