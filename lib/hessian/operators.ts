/**
 * Hessian-vector products of a model's mean loss over a data set, and the
 * paper's split of the Hessian (Section 2.2):
 *
 *   H = J^T (d2L/dz2) J  +  sum_k dL/dz_k * d2z_k/dtheta2
 *       (Gauss-Newton)      (curvature)
 *
 * where z are the logits (100 x the mean of the QNN outputs). The Gauss-Newton
 * term couples pairs of QNN outputs and is predicted to scale as 1/P^2; the
 * curvature term is block-diagonal across QNNs and predicted to scale as 1/P.
 *
 * Full products are central differences of exact float64 gradients; the
 * Gauss-Newton product is exact (a Jacobian-vector product, the softmax
 * Hessian, a vector-Jacobian product); the curvature product is their
 * difference.
 *
 * @module
 */

import { crossEntropyHessianProduct } from "../qnn/loss.ts";
import type { Simulator } from "../qnn/simulator.ts";

/** What the operators need from a simulator (float64). */
export type DifferentiableModel = Pick<Simulator, "forward" | "lossGrad" | "vjp" | "jvp">;

/** A symmetric linear operator on R^n (one application may take seconds). */
export type Operator = (v: Float64Array) => Promise<Float64Array>;

/** The Hessian operators at one point. */
export interface HessianOperators {
  n: number;
  /** Full Hessian-vector product (central differences of exact gradients). */
  hvp: Operator;
  /** Gauss-Newton term times v (exact). */
  gaussNewton: Operator;
  /** Curvature term times v: hvp(v) - gaussNewton(v). */
  curvature: Operator;
  /** Number of gradient-equivalent passes over the data so far. */
  passes(): number;
}

/** Builds the operators at `params` for the mean cross-entropy over (images, labels). */
export async function hessianOperators(
  model: DifferentiableModel,
  params: Float64Array,
  images: Float32Array | Float64Array,
  labels: Uint8Array,
  { epsilon = 1e-4 }: { epsilon?: number } = {},
): Promise<HessianOperators> {
  const n = params.length;
  const count = labels.length;
  const logits = await model.forward(params, images);
  let passes = 1;

  const hvp: Operator = async (v) => {
    checkLength(v, n);
    const norm = Math.sqrt(dotSelf(v));
    if (norm === 0) return new Float64Array(n);
    // Step along the unit direction so the truncation error does not depend on |v|.
    const h = epsilon / norm;
    const plus = params.slice();
    const minus = params.slice();
    for (let i = 0; i < n; i++) {
      plus[i] += h * v[i];
      minus[i] -= h * v[i];
    }
    const [gp, gm] = [
      (await model.lossGrad(plus, images, labels)).grad,
      (await model.lossGrad(minus, images, labels)).grad,
    ];
    passes += 2;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = (gp[i] - gm[i]) / (2 * h);
    return out;
  };

  const gaussNewton: Operator = async (v) => {
    checkLength(v, n);
    const jv = await model.jvp(params, images, v);
    // The softmax Hessian (diag(p) - p p^T) per sample, over the count (the loss is a mean).
    const u = crossEntropyHessianProduct(logits, jv, count);
    passes += 2;
    return await model.vjp(params, images, u);
  };

  const curvature: Operator = async (v) => {
    const full = await hvp(v);
    const gn = await gaussNewton(v);
    for (let i = 0; i < n; i++) full[i] -= gn[i];
    return full;
  };

  return { n, hvp, gaussNewton, curvature, passes: () => passes };
}

/**
 * Estimates the relative error of the central-difference product along `v`
 * by Richardson's rule: the error of D(eps) is about 4/3 |D(eps) - D(eps/2)|.
 */
export async function hvpRelativeError(
  model: DifferentiableModel,
  params: Float64Array,
  images: Float32Array | Float64Array,
  labels: Uint8Array,
  v: Float64Array,
  epsilon: number,
): Promise<number> {
  const a = await (await hessianOperators(model, params, images, labels, { epsilon })).hvp(v);
  const b = await (await hessianOperators(model, params, images, labels, { epsilon: epsilon / 2 }))
    .hvp(v);
  let diff = 0;
  let size = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    size += b[i] ** 2;
  }
  return size === 0 ? 0 : (4 / 3) * Math.sqrt(diff / size);
}

function dotSelf(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}

function checkLength(v: Float64Array, n: number): void {
  if (v.length !== n) {
    throw new Error(`Hessian operator: vector of length ${v.length}, expected ${n}`);
  }
}
