/**
 * The top eigenvalue(s) of a symmetric operator by power iteration, with
 * PyHessian's rules (`hessian.eigenvalues(maxIter=100, tol=1e-3, top_n=1)`
 * in `pyhessian/hessian.py`, with `normalization` and `orthnormal` from
 * `pyhessian/utils.py`), reproduced step for step:
 *
 * ```
 * for each eigenpair (top_n times):
 *   eigenvalue = None
 *   v = normalization(randn(n))                 # v / (||v|| + 1e-6)
 *   for i in range(maxIter):
 *     v = orthnormal(v, eigenvectors)           # MGS vs. found vectors, then normalization
 *     Hv = H v;  tmp = <Hv, v>
 *     v = normalization(Hv)
 *     if eigenvalue is None: eigenvalue = tmp
 *     elif |eigenvalue - tmp| / (|eigenvalue| + 1e-6) < tol: break
 *     else: eigenvalue = tmp
 *   record (eigenvalue, v)
 * ```
 *
 * Note what PyHessian returns on convergence: `eigenvalue` is the PREVIOUS
 * Rayleigh quotient (the break skips the assignment), while `v` is already
 * the newest normalised H v. Both are reproduced. `normalization` divides by
 * ||v|| + 1e-6, so the vectors have norm ||v|| / (||v|| + 1e-6), slightly
 * below 1: v passes two normalisations per iteration (after H v, and in
 * `orthnormal`), so the Rayleigh quotient <Hv, v> is biased low by about
 * 2e-6 relative, in PyHessian as here. `normEps` sets that constant (0 for
 * exact normalisation and an unbiased quotient).
 *
 * It is a power iteration on H, so it finds the eigenvalue of largest
 * MAGNITUDE (a large negative one if that dominates), as PyHessian does.
 * The random start comes from a `Prng` (PyHessian uses `torch.randn`), so the
 * iterates differ from PyHessian's run by run but follow the same rules.
 *
 * @module
 */

import type { Prng } from "../util/mod.ts";
import type { Operator } from "./operator.ts";
import { dot, normalize, orthogonalize } from "./vector.ts";

/** Options (PyHessian's defaults). */
export interface PowerIterationOptions {
  /** Iterations (operator applications) per eigenpair at most; default 100. */
  maxIter?: number;
  /** Relative change for convergence; default 1e-3. */
  tol?: number;
  /** Source of the Gaussian start vectors (one per eigenpair). */
  rng?: Prng;
  /** An explicit start vector for the first eigenpair instead of a random one (copied). */
  start?: Float64Array;
  /** The constant in v / (||v|| + normEps); default 1e-6 as PyHessian. */
  normEps?: number;
  /** Called after every operator application. */
  onIteration?: (info: { pair: number; iteration: number; estimate: number }) => void;
}

/** One eigenpair estimate. */
export interface EigenEstimate {
  /** PyHessian's returned eigenvalue (the previous Rayleigh quotient when converged). */
  eigenvalue: number;
  /** The last normalised H v. */
  eigenvector: Float64Array;
  /** Operator applications used for this pair. */
  iterations: number;
  /** True when the tolerance test broke the loop (false when maxIter ran out). */
  converged: boolean;
}

/** The top eigenpair (PyHessian's `eigenvalues(top_n=1)`). */
export async function powerIteration(
  op: Operator,
  n: number,
  opts: PowerIterationOptions = {},
): Promise<EigenEstimate> {
  return (await powerIterationTopN(op, n, 1, opts))[0];
}

/**
 * The top `topN` eigenpairs, each found after deflating the previous ones by
 * orthogonalisation at every iteration (PyHessian's `top_n`).
 */
export async function powerIterationTopN(
  op: Operator,
  n: number,
  topN: number,
  opts: PowerIterationOptions = {},
): Promise<EigenEstimate[]> {
  const maxIter = opts.maxIter ?? 100;
  const tol = opts.tol ?? 1e-3;
  const eps = opts.normEps ?? 1e-6;
  if (!Number.isInteger(topN) || topN < 1) {
    throw new RangeError(`power iteration: bad topN ${topN}`);
  }
  if (!Number.isInteger(maxIter) || maxIter < 1) {
    throw new RangeError(`power iteration: bad maxIter ${maxIter}`);
  }
  if (opts.start && opts.start.length !== n) {
    throw new RangeError(`power iteration: start vector of length ${opts.start.length} != ${n}`);
  }
  const found: EigenEstimate[] = [];
  const vectors: Float64Array[] = [];
  for (let pair = 0; pair < topN; pair++) {
    let v: Float64Array;
    if (pair === 0 && opts.start) {
      v = opts.start.slice();
    } else {
      if (!opts.rng) throw new Error("power iteration: give a start vector or an rng");
      v = new Float64Array(n);
      opts.rng.fillNormal(v);
    }
    normalize(v, eps);
    let eigenvalue: number | null = null;
    let iterations = 0;
    let converged = false;
    for (let i = 0; i < maxIter; i++) {
      orthogonalize(v, vectors);
      normalize(v, eps);
      const hv = await op(v);
      if (hv.length !== n) throw new RangeError(`power iteration: operator returned ${hv.length}`);
      iterations++;
      const tmp = dot(hv, v);
      normalize(hv, eps);
      v = hv;
      opts.onIteration?.({ pair, iteration: iterations, estimate: tmp });
      if (eigenvalue === null) {
        eigenvalue = tmp;
      } else if (Math.abs(eigenvalue - tmp) / (Math.abs(eigenvalue) + 1e-6) < tol) {
        converged = true;
        break;
      } else {
        eigenvalue = tmp;
      }
    }
    found.push({ eigenvalue: eigenvalue!, eigenvector: v, iterations, converged });
    vectors.push(v);
  }
  return found;
}
