/**
 * The smoothed spectral density of SLQ nodes and weights, exactly as
 * PyHessian's `density_generate(eigenvalues, weights, num_bins=10000,
 * sigma_squared=1e-5, overhead=0.01)` (`density_plot.py`):
 *
 * ```
 * lambda_max = mean over probes of max(nodes) + overhead
 * lambda_min = mean over probes of min(nodes) - overhead
 * grid = linspace(lambda_min, lambda_max, num_bins)
 * sigma = sigma_squared * max(1, lambda_max - lambda_min)     # used as a VARIANCE
 * density_p(x) = sum_k weights_pk * exp(-(x - nodes_pk)^2 / (2 sigma)) / sqrt(2 pi sigma)
 * density = mean over probes of density_p
 * density /= sum(density) * (grid[1] - grid[0])               # Riemann sum = 1
 * ```
 *
 * Note the grid bounds are the MEANS of the per-probe extremes (not the
 * overall min and max), and despite its name `sigma` is the Gaussian's
 * variance. Evaluation follows NumPy's order: `linspace` as
 * `start + j * ((stop - start) / (num - 1))` with the last point set to
 * `stop`, and sums over nodes and over the grid with NumPy's pairwise
 * summation; `exp` may differ from NumPy's by an ulp.
 *
 * @module
 */

import { pairwiseSum } from "./vector.ts";

/** PyHessian's defaults. */
export interface DensityOptions {
  numBins?: number;
  sigmaSquared?: number;
  overhead?: number;
}

/** The density on its grid. */
export interface Density {
  grid: Float64Array;
  density: Float64Array;
}

/** PyHessian's `density_generate` on per-probe nodes and weights. */
export function densityGenerate(
  nodes: readonly (readonly number[])[],
  weights: readonly (readonly number[])[],
  opts: DensityOptions = {},
): Density {
  const numBins = opts.numBins ?? 10000;
  const sigmaSquared = opts.sigmaSquared ?? 1e-5;
  const overhead = opts.overhead ?? 0.01;
  const runs = nodes.length;
  if (runs === 0 || weights.length !== runs) {
    throw new RangeError("densityGenerate: need the same non-zero number of node and weight lists");
  }
  nodes.forEach((nd, i) => {
    if (nd.length === 0 || nd.length !== weights[i].length) {
      throw new RangeError(
        `densityGenerate: probe ${i} has ${nd.length} nodes and ${weights[i].length} weights`,
      );
    }
  });
  if (!Number.isInteger(numBins) || numBins < 2) throw new RangeError(`bad numBins ${numBins}`);
  const maxes = nodes.map((nd) => nd.reduce((a, b) => Math.max(a, b)));
  const mins = nodes.map((nd) => nd.reduce((a, b) => Math.min(a, b)));
  const lambdaMax = pairwiseSum(maxes) / runs + overhead;
  const lambdaMin = pairwiseSum(mins) / runs - overhead;
  const grid = new Float64Array(numBins);
  const step = (lambdaMax - lambdaMin) / (numBins - 1);
  for (let j = 0; j < numBins; j++) grid[j] = j * step + lambdaMin;
  grid[numBins - 1] = lambdaMax;
  const range = lambdaMax - lambdaMin;
  const sigma = sigmaSquared * (range > 1 ? range : 1);
  const twoSigma = 2.0 * sigma;
  const root = Math.sqrt(2 * Math.PI * sigma);
  const density = new Float64Array(numBins);
  for (let i = 0; i < runs; i++) {
    const nd = nodes[i], w = weights[i];
    const terms = new Float64Array(nd.length);
    for (let j = 0; j < numBins; j++) {
      const x0 = grid[j];
      for (let k = 0; k < nd.length; k++) {
        const t = x0 - nd[k];
        terms[k] = Math.exp(-(t * t) / twoSigma) / root * w[k];
      }
      density[j] += pairwiseSum(terms);
    }
  }
  for (let j = 0; j < numBins; j++) density[j] = density[j] / runs;
  const normalization = pairwiseSum(density) * (grid[1] - grid[0]);
  for (let j = 0; j < numBins; j++) density[j] = density[j] / normalization;
  return { grid, density };
}
