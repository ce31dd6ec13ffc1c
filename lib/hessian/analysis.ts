/**
 * The Hessian analyses of one trained model at its minimum-training-loss
 * point: the largest eigenvalue by PyHessian's power iteration and by
 * Lanczos, the top-k eigenvalues, the Gauss-Newton / curvature split, the
 * stochastic-Lanczos-quadrature spectral density, and (for small models) the
 * exact spectrum by dense eigendecomposition.
 *
 * @module
 */

import { symmetricEigen } from "../linalg/dense_eig.ts";
import { densityGenerate } from "../linalg/density.ts";
import { explicitMatrix } from "../linalg/explicit.ts";
import { lanczos, lanczosTopEigen, ritz } from "../linalg/lanczos.ts";
import { powerIteration } from "../linalg/power_iteration.ts";
import { slq } from "../linalg/slq.ts";
import { Prng } from "../util/prng.ts";
import type { HessianOperators, Operator } from "./operators.ts";

/** Sizes of each analysis. */
export interface HessianAnalysisOptions {
  seed: number;
  /** Power iteration: at most this many products, relative tolerance (PyHessian: 100, 1e-3). */
  powerMaxIter: number;
  powerTol: number;
  /** Lanczos steps for the top-k eigenvalues. */
  lanczosSteps: number;
  topK: number;
  /** Lanczos steps for each term of the Gauss-Newton / curvature split. */
  splitSteps: number;
  /** SLQ: probes and Lanczos steps per probe (PyHessian: 1, 100). */
  slqProbes: number;
  slqSteps: number;
  /** Dense spectrum when the model has at most this many parameters (0: never). */
  exactMaxParams: number;
  /** Density grid points (PyHessian: 10,000). */
  densityBins: number;
}

/** One term of the split. */
export interface TermSpectrum {
  lambda_max: number;
  lambda_min: number;
  /** The top Ritz values, descending. */
  top: number[];
  iterations: number;
}

/** Everything the analyses found (the `hessian.json` body without the identity fields). */
export interface HessianAnalysis {
  lambda_max: number;
  power: { eigenvalue: number; iterations: number; converged: boolean };
  lanczos: { eigenvalue: number; iterations: number; converged: boolean; top: number[] };
  gauss_newton: TermSpectrum;
  curvature: TermSpectrum;
  slq: { probes: number; steps: number; nodes: number[][]; weights: number[][] };
  exact: { eigenvalues: number[]; asymmetry: number } | null;
  /** Operator products used by each part. */
  products: Record<string, number>;
}

/** Progress callback: a phase name and its fraction done. */
export type AnalysisProgress = (phase: string, fraction: number) => void;

/** Runs every analysis on the operators; products are counted per phase. */
export async function analyseHessian(
  ops: HessianOperators,
  opts: HessianAnalysisOptions,
  progress: AnalysisProgress = () => {},
): Promise<HessianAnalysis> {
  const n = ops.n;
  const products: Record<string, number> = {};
  const counted = (phase: string, op: Operator, expected: number): Operator => {
    products[phase] = 0;
    return async (v) => {
      const out = await op(v);
      products[phase]++;
      progress(phase, Math.min(1, products[phase] / Math.max(1, expected)));
      return out;
    };
  };

  const power = await powerIteration(counted("power", ops.hvp, opts.powerMaxIter), n, {
    maxIter: opts.powerMaxIter,
    tol: opts.powerTol,
    rng: Prng.from(opts.seed, "hessian-power"),
  });

  const top = await lanczosTopEigen(counted("lanczos", ops.hvp, opts.lanczosSteps), n, {
    k: Math.min(opts.topK, n),
    maxSteps: opts.lanczosSteps,
    tol: 1e-6,
    rng: Prng.from(opts.seed, "hessian-lanczos"),
  });

  const term = async (name: string, op: Operator): Promise<TermSpectrum> => {
    const steps = Math.min(opts.splitSteps, n);
    const t = await lanczos(counted(name, op, steps), n, steps, {
      rng: Prng.from(opts.seed, `hessian-${name}`),
    });
    const values = Array.from(ritz(t.alpha, t.beta).values);
    return {
      lambda_max: values[values.length - 1],
      lambda_min: values[0],
      top: values.slice().reverse().slice(0, Math.min(opts.topK, values.length)),
      iterations: t.applications,
    };
  };
  const gaussNewton = await term("gauss_newton", ops.gaussNewton);
  const curvature = await term("curvature", ops.curvature);

  const density = await slq(counted("slq", ops.hvp, opts.slqProbes * opts.slqSteps), n, {
    probes: opts.slqProbes,
    steps: Math.min(opts.slqSteps, n),
    rng: Prng.from(opts.seed, "hessian-slq"),
    // Near n steps the Krylov space is exhausted; the standard variant stops there cleanly.
    variant: opts.slqSteps >= n ? "standard" : "pyhessian",
  });

  let exact: HessianAnalysis["exact"] = null;
  if (n <= opts.exactMaxParams) {
    const m = await explicitMatrix(counted("exact", ops.hvp, n), n, { symmetrize: true });
    exact = { eigenvalues: Array.from(symmetricEigen(m.matrix, n).values), asymmetry: m.asymmetry };
  }

  return {
    lambda_max: power.eigenvalue,
    power: {
      eigenvalue: power.eigenvalue,
      iterations: power.iterations,
      converged: power.converged,
    },
    lanczos: {
      eigenvalue: top.values[0],
      iterations: top.applications,
      converged: top.converged,
      top: top.values,
    },
    gauss_newton: gaussNewton,
    curvature,
    slq: {
      probes: opts.slqProbes,
      steps: opts.slqSteps,
      nodes: density.nodes,
      weights: density.weights,
    },
    exact,
    products,
  };
}

/** The SLQ density on PyHessian's grid, as rows for `density.csv`. */
export function densityRows(
  slqResult: { nodes: number[][]; weights: number[][] },
  bins: number,
): [number, number][] {
  const { grid, density } = densityGenerate(slqResult.nodes, slqResult.weights, { numBins: bins });
  return Array.from(grid, (x, i) => [x, density[i]]);
}
