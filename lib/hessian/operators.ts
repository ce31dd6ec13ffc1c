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
 * Full products are exact by default (the simulator's forward-over-reverse
 * `hvp`, float32 or float64), which also gives the curvature product directly;
 * central differences of exact float64 gradients remain as a cross-check
 * (`method: "central"`, the curvature product then being H v - G v). The
 * Gauss-Newton product is exact either way (with exact products the simulator's
 * Gauss-Newton sweep; otherwise a Jacobian-vector product, the softmax Hessian, a
 * vector-Jacobian product). Exact products stream the data set through the simulator in
 * chunks of 1,000 images: memory does not grow with the number of images beyond the images
 * themselves, a copy of them (`hessianAt`) and the states a simulator keeps between products
 * (as many images as it was made to keep).
 *
 * @module
 */

import { crossEntropyHessianProduct, type HessianProductKind, type Simulator } from "../qnn/mod.ts";
import type { Operator } from "../linalg/mod.ts";

/** What the operators need from a simulator (float64). */
export type DifferentiableModel = Pick<Simulator, "forward" | "lossGrad" | "vjp" | "jvp"> & {
  hvp?: Simulator["hvp"];
  /** One part only, without the Gauss-Newton sweep (preferred over hvp when present). */
  hessianProduct?: Simulator["hessianProduct"];
  /** Products at one point that keep its states (preferred over hessianProduct: same bits). */
  hessianAt?: Simulator["hessianAt"];
};

/** How full products are computed. */
export type HvpMethod = "exact" | "central";

/** The Hessian operators at one point. */
export interface HessianOperators {
  n: number;
  /** Full Hessian-vector product. */
  hvp: Operator;
  /** Gauss-Newton term times v (exact). */
  gaussNewton: Operator;
  /** Curvature term times v (exact, or hvp(v) - gaussNewton(v) with central differences). */
  curvature: Operator;
}

/**
 * The full Hessian-vector product of the mean cross-entropy at `params` by
 * central differences of exact gradients, stepping `epsilon` along the unit
 * direction of v (so the truncation error does not depend on |v|).
 */
export function centralDifferenceHvp(
  model: DifferentiableModel,
  params: Float64Array,
  images: Float32Array | Float64Array,
  labels: Uint8Array,
  epsilon: number,
): Operator {
  const n = params.length;
  return async (v) => {
    checkLength(v, n);
    const norm = Math.sqrt(dotSelf(v));
    if (norm === 0) return new Float64Array(n);
    const h = epsilon / norm;
    const plus = params.slice();
    const minus = params.slice();
    for (let i = 0; i < n; i++) {
      plus[i] += h * v[i];
      minus[i] -= h * v[i];
    }
    const gp = (await model.lossGrad(plus, images, labels)).grad;
    const gm = (await model.lossGrad(minus, images, labels)).grad;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = (gp[i] - gm[i]) / (2 * h);
    return out;
  };
}

/**
 * Builds the operators at `params` for the mean cross-entropy over (images, labels): exact
 * products (the default; the model needs `hvp`, i.e. a simulator made with `hvp: true`) or
 * central differences with step `epsilon`.
 */
export function hessianOperators(
  model: DifferentiableModel,
  params: Float64Array,
  images: Float32Array | Float64Array,
  labels: Uint8Array,
  { epsilon = 1e-4, method = "exact" }: { epsilon?: number; method?: HvpMethod } = {},
): Promise<HessianOperators> {
  try {
    return Promise.resolve(buildOperators(model, params, images, labels, epsilon, method));
  } catch (e) {
    return Promise.reject(e);
  }
}

function buildOperators(
  model: DifferentiableModel,
  params: Float64Array,
  images: Float32Array | Float64Array,
  labels: Uint8Array,
  epsilon: number,
  method: HvpMethod,
): HessianOperators {
  const n = params.length;
  const count = labels.length;
  // The logits at the point, for the Gauss-Newton term's softmax Hessian (jvp and vjp; exact
  // products with hessianProduct stream the data set inside the simulator and need none).
  let logitsAt: Promise<Float64Array> | undefined;
  const logits = () => logitsAt ??= model.forward(params, images);
  const exact = model.hvp?.bind(model);
  // Every product here is at the same point: one that keeps the point's states is cheaper.
  const point = method === "exact" ? model.hessianAt?.(params, images, labels) : undefined;
  const single = point
    ? (_p: unknown, _x: unknown, _y: unknown, v: Float64Array, kind: HessianProductKind) =>
      point.product(v, kind)
    : model.hessianProduct?.bind(model);
  if (method === "exact" && !exact) {
    throw new Error("Hessian operators: exact products need a simulator made with hvp: true");
  }
  if (method !== "exact" && method !== "central") {
    throw new Error(`Hessian operators: method must be "exact" or "central", got ${method}`);
  }
  const hvp: Operator = method === "exact"
    ? async (v) => {
      checkLength(v, n);
      if (single) return await single(params, images, labels, v, "full");
      return (await exact!(params, images, labels, v)).hvp;
    }
    : centralDifferenceHvp(model, params, images, labels, epsilon);

  const gaussNewton: Operator = async (v) => {
    checkLength(v, n);
    if (single && method === "exact") return await single(params, images, labels, v, "gaussNewton");
    const jv = await model.jvp(params, images, v);
    // The softmax Hessian (diag(p) - p p^T) per sample, over the count (the loss is a mean).
    const u = crossEntropyHessianProduct(await logits(), jv, count);
    return await model.vjp(params, images, u);
  };

  const curvature: Operator = method === "exact"
    ? async (v) => {
      checkLength(v, n);
      if (single) return await single(params, images, labels, v, "curvature");
      return (await exact!(params, images, labels, v)).curvature;
    }
    : async (v) => {
      const full = await hvp(v);
      const gn = await gaussNewton(v);
      for (let i = 0; i < n; i++) full[i] -= gn[i];
      return full;
    };

  return { n, hvp, gaussNewton, curvature };
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
  const a = await centralDifferenceHvp(model, params, images, labels, epsilon)(v);
  const b = await centralDifferenceHvp(model, params, images, labels, epsilon / 2)(v);
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
