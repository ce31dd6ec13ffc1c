/**
 * Stochastic Lanczos quadrature (SLQ) of a symmetric operator's spectral
 * density, as PyHessian's `hessian.density(iter=100, n_v=1)`:
 *
 * ```
 * for each of n_v probes:
 *   v = Rademacher(+-1)^n;  v = normalization(v)       # v / (||v|| + 1e-6)
 *   Lanczos for `iter` steps with full reorthogonalisation (PyHessian's loop,
 *     see lanczos.ts, variant "pyhessian")
 *   T = tridiag(alpha, beta);  T = S diag(theta) S^T
 *   nodes = theta;  weights = S[0, :]^2                 # first components squared
 * ```
 *
 * For one probe q, sum_k weights_k f(nodes_k) is the Gauss quadrature of
 * q^T f(A) q (exact for polynomials of degree < 2 iter), and the average
 * over Rademacher probes estimates tr f(A) / n; `density.ts` turns nodes and
 * weights into PyHessian's smoothed density.
 *
 * Differences from PyHessian that do not change the method: the probes come
 * from a `Prng` (Rademacher = the top bit of a xoshiro output) instead of
 * `torch.randint`; T is decomposed in float64 by a symmetric tridiagonal
 * solver (PyHessian builds T in float32 and calls the general
 * `torch.linalg.eig`, keeping the real parts), so nodes agree to float32
 * precision at best; nodes come out ascending (PyHessian's are in LAPACK's
 * unsorted order, which the density does not depend on).
 *
 * PyHessian's normalisation constant (q = w / (||w|| + 1e-6)) makes its basis
 * vectors slightly shorter than 1, so its nodes are scaled by about
 * (1 - 1e-6 / beta) (relative errors ~1e-6 in the tests); the "standard"
 * variant has no such bias.
 *
 * @module
 */

import { Prng } from "../util/mod.ts";
import { LanczosProcess, type LanczosVariant } from "./lanczos.ts";
import type { Operator } from "./operator.ts";
import { tridiagonalEigen } from "./tridiagonal.ts";

/** Options (PyHessian's defaults: 1 probe, 100 steps). */
export interface SlqOptions {
  /** Number of probe vectors, PyHessian's n_v; default 1. */
  probes?: number;
  /** Lanczos steps per probe, PyHessian's iter; default 100. */
  steps?: number;
  /** Source of the Rademacher probes (and of PyHessian's breakdown restarts). */
  rng?: Prng;
  /**
   * "pyhessian" (default) runs PyHessian's Lanczos loop exactly, always
   * `steps` steps; "standard" reorthogonalises twice and stops early when the
   * Krylov space becomes invariant (useful when steps approach n).
   */
  variant?: LanczosVariant;
  /** Called after every operator application, with the probe's tridiagonal so far. */
  onStep?: (probe: number, step: number, t: { alpha: number[]; beta: number[] }) => void;
}

/** Quadrature nodes and weights, one list per probe. */
export interface SlqResult {
  nodes: number[][];
  weights: number[][];
  /** Operator applications used in total. */
  applications: number;
}

/** PyHessian's SLQ nodes and weights for `probes` Rademacher probes. */
export async function slq(op: Operator, n: number, opts: SlqOptions = {}): Promise<SlqResult> {
  const probes = opts.probes ?? 1;
  const steps = opts.steps ?? 100;
  const rng = opts.rng ?? Prng.from(0, "slq");
  const variant = opts.variant ?? "pyhessian";
  if (!Number.isInteger(probes) || probes < 1) throw new RangeError(`slq: bad probes ${probes}`);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`slq: bad steps ${steps}`);
  const nodes: number[][] = [];
  const weights: number[][] = [];
  let applications = 0;
  for (let p = 0; p < probes; p++) {
    const start = new Float64Array(n);
    rng.fillRademacher(start);
    const proc = new LanczosProcess(op, n, { start, rng, variant });
    for (let j = 0; j < steps; j++) {
      if (!(await proc.step())) break;
      opts.onStep?.(p, j + 1, proc);
    }
    applications += proc.applications;
    const eig = tridiagonalEigen(proc.alpha, proc.beta, { vectors: true });
    nodes.push(Array.from(eig.values));
    weights.push(eig.vectors!.map((s) => s[0] * s[0]));
  }
  return { nodes, weights, applications };
}
