/**
 * The Hessian analyses of one trained model at its minimum-training-loss
 * point: the largest eigenvalue by PyHessian's power iteration and by
 * Lanczos, the top-k eigenvalues, the Gauss-Newton / curvature split, the
 * stochastic-Lanczos-quadrature spectral density, and (for small models) the
 * exact spectrum by dense eigendecomposition.
 *
 * @module
 */

import type { HessianJson, TermSpectrum } from "../artifacts/mod.ts";
import {
  densityGenerate,
  explicitMatrix,
  lanczos,
  type Operator,
  powerIteration,
  ritz,
  slq,
  symmetricEigen,
} from "../linalg/mod.ts";
import { Prng } from "../util/mod.ts";
import type { HessianOperators } from "./operators.ts";

/** Sizes of each analysis. */
export interface HessianAnalysisOptions {
  seed: number;
  /** Power iteration: at most this many products, relative tolerance (PyHessian: 100, 1e-3). */
  powerMaxIter: number;
  powerTol: number;
  /** How many of the largest eigenvalues to report (from the first SLQ probe's Ritz values). */
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

/**
 * Everything the analyses found: the `hessian.json` body without the run's
 * identity, the HVP cross-check and the sample count, which the step adds.
 */
export type HessianAnalysis = Omit<
  HessianJson,
  "P" | "d" | "seed" | "n_params" | "epoch" | "hvp" | "n_samples"
>;

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

  // The SLQ run is Lanczos from a Rademacher start: its first probe also gives the Lanczos
  // estimate of the top eigenvalues, with no extra products. `iterations` is the number of
  // products after which the top Ritz value changed by less than the power iteration's tolerance,
  // so the two methods' counts compare at the same tolerance.
  const k = Math.min(opts.topK, n);
  let lanczosConverged = 0;
  let previous = NaN;
  const density = await slq(counted("slq", ops.hvp, opts.slqProbes * opts.slqSteps), n, {
    probes: opts.slqProbes,
    steps: Math.min(opts.slqSteps, n),
    rng: Prng.from(opts.seed, "hessian-slq"),
    // Near n steps the Krylov space is exhausted; the standard variant stops there cleanly.
    variant: opts.slqSteps >= n ? "standard" : "pyhessian",
    onStep: (probe, step, t) => {
      if (probe !== 0 || lanczosConverged > 0) return;
      const values = ritz(t.alpha, t.beta).values;
      const top = values[values.length - 1];
      if (Math.abs(top - previous) < opts.powerTol * Math.abs(top)) lanczosConverged = step;
      previous = top;
    },
  });
  const probe0 = density.nodes[0];
  const lanczosTop = probe0.slice().reverse().slice(0, k);

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
      eigenvalue: lanczosTop[0],
      iterations: lanczosConverged > 0 ? lanczosConverged : probe0.length,
      converged: lanczosConverged > 0,
      steps: probe0.length,
      top: lanczosTop,
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
