/**
 * The Lanczos process with full reorthogonalisation, for symmetric operators
 * whose applications are expensive (Hessian-vector products), and the
 * top-k eigenvalues from its Ritz values.
 *
 * After m steps, with orthonormal q_0..q_{m-1} spanning the Krylov space
 * K_m(A, q_0), A Q_m = Q_m T_m + r_m e_m^T where T_m is symmetric
 * tridiagonal with diagonal alpha_0..alpha_{m-1} and off-diagonal
 * beta_0..beta_{m-2}. One step (j >= 1 first turns the pending residual into
 * q_j, then applies the operator once):
 *
 * ```
 * w = A q_j;  alpha_j = <w, q_j>;  r = w - alpha_j q_j - beta_{j-1} q_{j-1}
 * ```
 *
 * Two variants differ only in how the residual r becomes beta_j and q_{j+1}:
 * - `"standard"`: r is orthogonalised against every q_i by modified
 *   Gram–Schmidt, twice ("twice is enough"), then beta_j = ||r|| and
 *   q_{j+1} = r / beta_j. If beta_j <= breakdownTol * ||T||_est (or j+1 = n)
 *   the Krylov space is invariant: the process stops early and T's
 *   eigenvalues are exact eigenvalues of A.
 * - `"pyhessian"`: exactly PyHessian's `density()` loop: beta_j = ||r||
 *   BEFORE reorthogonalisation; if beta_j != 0, q_{j+1} = orthnormal(r), else
 *   (exact breakdown) a fresh Gaussian vector is orthonormalised instead;
 *   orthnormal is one modified Gram–Schmidt pass over q_0..q_j followed by
 *   PyHessian's normalisation r / (||r|| + 1e-6); the start vector is also
 *   normalised that way. It never stops early.
 *
 * @module
 */

import type { Prng } from "../util/mod.ts";
import type { Operator } from "./operator.ts";
import { tridiagonalEigen } from "./tridiagonal.ts";
import { axpy, dot, norm, normalize, orthogonalize } from "./vector.ts";

/** How the residual becomes the next basis vector (see the module notes). */
export type LanczosVariant = "standard" | "pyhessian";

/** Options of the Lanczos process. */
export interface LanczosOptions {
  /** Starting vector (copied, then normalised); otherwise a Gaussian vector from `rng`. */
  start?: Float64Array;
  /** Source of the random start and of PyHessian's breakdown restarts. */
  rng?: Prng;
  /** Default "standard". */
  variant?: LanczosVariant;
  /** Standard variant: stop when beta <= breakdownTol * ||T||_est. Default 1e-12. */
  breakdownTol?: number;
}

/** PyHessian's normalisation constant: v / (||v|| + 1e-6). */
export const PYHESSIAN_NORM_EPS = 1e-6;

/** An incremental Lanczos process: call `step()` until it returns false or you have enough. */
export class LanczosProcess {
  /** Diagonal of T (one entry per step). */
  readonly alpha: number[] = [];
  /** Off-diagonal of T: beta[j] couples steps j and j+1 (length steps - 1). */
  readonly beta: number[] = [];
  /** The orthonormal Krylov basis q_0, q_1, ... (one per step). */
  readonly basis: Float64Array[] = [];
  #op: Operator;
  #n: number;
  #variant: LanczosVariant;
  #tol: number;
  #rng?: Prng;
  #start?: Float64Array;
  #residual: Float64Array | null = null;
  #applications = 0;
  #stopped = false;
  #breakdown = false;
  #tnorm = 0;

  constructor(op: Operator, n: number, opts: LanczosOptions = {}) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Lanczos: bad dimension ${n}`);
    if (opts.start && opts.start.length !== n) {
      throw new RangeError(`Lanczos: start vector of length ${opts.start.length} != ${n}`);
    }
    if (!opts.start && !opts.rng) throw new Error("Lanczos: give a start vector or an rng");
    this.#op = op;
    this.#n = n;
    this.#variant = opts.variant ?? "standard";
    this.#tol = opts.breakdownTol ?? 1e-12;
    this.#rng = opts.rng;
    this.#start = opts.start;
  }

  /** Steps done (= rows of T). */
  get steps(): number {
    return this.alpha.length;
  }

  /** Operator applications so far (one per step). */
  get applications(): number {
    return this.#applications;
  }

  /** True once the standard variant found an invariant subspace (T is then exact). */
  get breakdown(): boolean {
    return this.#breakdown;
  }

  /** ||r|| of the pending residual (the beta of the next step, before any reorthogonalisation). */
  residualNorm(): number {
    return this.#residual ? norm(this.#residual) : 0;
  }

  /**
   * One Lanczos step (one operator application). Returns false, without
   * applying the operator, when the standard variant breaks down or the
   * space is exhausted.
   */
  async step(): Promise<boolean> {
    if (this.#stopped) return false;
    const pyh = this.#variant === "pyhessian";
    let q: Float64Array;
    let b = 0;
    if (this.steps === 0) {
      q = this.#start ? this.#start.slice() : this.#gaussian();
      normalize(q, pyh ? PYHESSIAN_NORM_EPS : 0);
    } else {
      const r = this.#residual!;
      if (pyh) {
        b = norm(r);
        q = b !== 0 ? r : this.#gaussian();
        orthogonalize(q, this.basis);
        normalize(q, PYHESSIAN_NORM_EPS);
      } else {
        orthogonalize(r, this.basis);
        orthogonalize(r, this.basis);
        b = norm(r);
        if (this.steps >= this.#n || !(b > this.#tol * this.#tnorm)) {
          this.#stopped = true;
          this.#breakdown = true;
          return false;
        }
        q = r;
        for (let i = 0; i < q.length; i++) q[i] = q[i] / b;
      }
      this.beta.push(b);
    }
    this.basis.push(q);
    const w = await this.#op(q);
    if (w.length !== this.#n) throw new RangeError(`Lanczos: operator returned length ${w.length}`);
    this.#applications++;
    const a = dot(w, q);
    this.alpha.push(a);
    // The operator's result is ours to reuse as the residual.
    axpy(-a, q, w);
    if (this.steps > 1) axpy(-b, this.basis[this.basis.length - 2], w);
    this.#residual = w;
    this.#tnorm = Math.max(this.#tnorm, Math.abs(a) + b);
    return true;
  }

  #gaussian(): Float64Array {
    if (!this.#rng) throw new Error("Lanczos: a random vector is needed but no rng was given");
    const v = new Float64Array(this.#n);
    this.#rng.fillNormal(v);
    return v;
  }
}

/** The outcome of `lanczos`. */
export interface LanczosResult {
  alpha: Float64Array;
  /** Length alpha.length - 1. */
  beta: Float64Array;
  /** The Krylov basis, when `keepBasis` was set. */
  basis?: Float64Array[];
  applications: number;
  /** True when the standard variant stopped on an invariant subspace. */
  breakdown: boolean;
}

/** Runs up to `steps` Lanczos steps (fewer on breakdown) and returns T (and the basis if asked). */
export async function lanczos(
  op: Operator,
  n: number,
  steps: number,
  opts: LanczosOptions & { keepBasis?: boolean } = {},
): Promise<LanczosResult> {
  const proc = new LanczosProcess(op, n, opts);
  for (let j = 0; j < steps; j++) if (!(await proc.step())) break;
  return {
    alpha: Float64Array.from(proc.alpha),
    beta: Float64Array.from(proc.beta),
    basis: opts.keepBasis ? proc.basis : undefined,
    applications: proc.applications,
    breakdown: proc.breakdown,
  };
}

/** Ritz values (ascending) of T, and the Ritz vectors Q s when a basis is given. */
export function ritz(
  alpha: ArrayLike<number>,
  beta: ArrayLike<number>,
  basis?: readonly Float64Array[],
): { values: Float64Array; vectors?: Float64Array[] } {
  const m = alpha.length;
  const eig = tridiagonalEigen(alpha, beta, { vectors: basis !== undefined });
  if (!basis) return { values: eig.values };
  if (basis.length < m) throw new RangeError(`ritz: need ${m} basis vectors`);
  const n = basis[0].length;
  const vectors = eig.vectors!.map((s) => {
    const y = new Float64Array(n);
    for (let i = 0; i < m; i++) axpy(s[i], basis[i], y);
    return y;
  });
  return { values: eig.values, vectors };
}

/** Options of `lanczosTopEigen`. */
export interface TopEigenOptions {
  /** How many of the largest eigenvalues (default 1). */
  k?: number;
  /** At most this many steps / operator applications (default 100). */
  maxSteps?: number;
  /** Stop when each of the top k Ritz values changed by at most tol relative in one step (default 1e-6). */
  tol?: number;
  /** Start vector source (Gaussian start). */
  rng?: Prng;
  /** Explicit start vector instead. */
  start?: Float64Array;
  /** Also return the Ritz vectors of the top k values. */
  vectors?: boolean;
  /** Called after every step with the current top Ritz values (descending). */
  onStep?: (steps: number, top: number[]) => void;
}

/** The largest eigenvalues found by `lanczosTopEigen`. */
export interface TopEigenResult {
  /** The top k Ritz values, descending. */
  values: number[];
  /** Their Ritz vectors, when asked for. */
  vectors?: Float64Array[];
  /** Residual bounds ||A y - theta y|| = |beta_m s_m| of each (0 on breakdown). */
  residuals: number[];
  /** Operator applications used (= steps). */
  applications: number;
  steps: number;
  /** True when the tolerance was met or the Krylov space became invariant. */
  converged: boolean;
}

/**
 * The top-k eigenvalues of a symmetric operator by Lanczos (standard variant,
 * full reorthogonalisation), stopping once the top k Ritz values change by
 * less than `tol` relative between consecutive steps.
 */
export async function lanczosTopEigen(
  op: Operator,
  n: number,
  opts: TopEigenOptions = {},
): Promise<TopEigenResult> {
  const k = opts.k ?? 1;
  const maxSteps = Math.min(opts.maxSteps ?? 100, n);
  const tol = opts.tol ?? 1e-6;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`lanczosTopEigen: bad k ${k}`);
  const proc = new LanczosProcess(op, n, { start: opts.start, rng: opts.rng });
  let prev: number[] | null = null;
  let top: number[] = [];
  let converged = false;
  while (proc.steps < maxSteps) {
    if (!(await proc.step())) {
      converged = true;
      break;
    }
    const values = ritz(proc.alpha, proc.beta).values;
    top = Array.from(values).reverse().slice(0, k);
    opts.onStep?.(proc.steps, top);
    if (prev && top.length === k && prev.length === k) {
      const still = top.every((t, i) => Math.abs(t - prev![i]) <= tol * Math.abs(t));
      if (still) {
        converged = true;
        break;
      }
    }
    prev = top;
  }
  if (!converged && proc.breakdown) converged = true;
  // Final Ritz pairs and residual bounds |beta_m * s_m[last]|.
  const m = proc.steps;
  const eig = tridiagonalEigen(proc.alpha, proc.beta, { vectors: true });
  const order = Array.from({ length: m }, (_, i) => m - 1 - i).slice(0, k);
  const rnorm = proc.breakdown ? 0 : proc.residualNorm();
  const residuals = order.map((i) => Math.abs(rnorm * eig.vectors![i][m - 1]));
  let vectors: Float64Array[] | undefined;
  if (opts.vectors) {
    vectors = order.map((i) => {
      const y = new Float64Array(n);
      for (let j = 0; j < m; j++) axpy(eig.vectors![i][j], proc.basis[j], y);
      return y;
    });
  }
  return {
    values: order.map((i) => eig.values[i]),
    vectors,
    residuals,
    applications: proc.applications,
    steps: m,
    converged,
  };
}
