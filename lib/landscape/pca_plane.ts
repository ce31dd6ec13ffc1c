/**
 * The loss landscape along an optimisation trajectory (the paper's Section
 * 2.3, after Li et al. 2018): PCA of the recorded QNN parameter vectors,
 * coordinates relative to the minimum-training-loss point, a grid over the
 * projected trajectory plus a margin, and the loss at every grid point.
 *
 * @module
 */

import { pca } from "../linalg/mod.ts";

/** The plane spanned by the first two principal components of a trajectory. */
export interface LandscapePlane {
  /** Two unit vectors over the QNN parameters. */
  components: [Float64Array, Float64Array];
  explainedVarianceRatio: [number, number];
  /** Each recorded point's coordinates relative to the minimum (which is [0, 0]). */
  trajectory: [number, number][];
}

/**
 * PCA of rows `0..rows-1` of `trajectory` (rows x n), restricted to the first
 * `qnnCount` entries of each row (the QNN parameters; the bias is left out),
 * with coordinates relative to row `minRow`.
 */
export function landscapePlane(
  trajectory: Float64Array,
  rows: number,
  n: number,
  qnnCount: number,
  minRow: number,
): LandscapePlane {
  if (trajectory.length !== rows * n) {
    throw new Error(`landscape: trajectory of ${trajectory.length} numbers is not ${rows} x ${n}`);
  }
  if (!(minRow >= 0 && minRow < rows)) {
    throw new Error(`landscape: minimum row ${minRow} out of range`);
  }
  if (rows < 3) {
    throw new Error(`landscape: need at least 3 recorded points for two components, got ${rows}`);
  }
  const vectors = Array.from(
    { length: rows },
    (_, t) => trajectory.subarray(t * n, t * n + qnnCount),
  );
  const result = pca(vectors, 2);
  const [c1, c2] = result.components;
  const ref = vectors[minRow];
  const coords = vectors.map((v): [number, number] => {
    let a = 0;
    let b = 0;
    for (let j = 0; j < qnnCount; j++) {
      const dv = v[j] - ref[j];
      a += dv * c1[j];
      b += dv * c2[j];
    }
    return [a, b];
  });
  return {
    components: [c1, c2],
    explainedVarianceRatio: [result.explainedVarianceRatio[0], result.explainedVarianceRatio[1]],
    trajectory: coords,
  };
}

/** `size` evenly spaced values from min - margin to max + margin of `values` (both ends included). */
export function gridAxis(values: number[], size: number, margin: number): number[] {
  if (!Number.isInteger(size) || size < 2) {
    throw new Error(`landscape: grid size must be >= 2, got ${size}`);
  }
  if (!(margin >= 0)) throw new Error(`landscape: margin must be >= 0, got ${margin}`);
  const lo = Math.min(...values) - margin;
  const hi = Math.max(...values) + margin;
  return Array.from({ length: size }, (_, i) => lo + ((hi - lo) * i) / (size - 1));
}

/**
 * The parameter vector at grid point (x, y): the minimum's QNN parameters
 * moved by x and y along the two components; every other entry (the bias) as
 * at the minimum.
 */
export function pointAt(
  minimum: Float64Array,
  plane: LandscapePlane,
  x: number,
  y: number,
): Float64Array {
  const p = minimum.slice();
  const [c1, c2] = plane.components;
  for (let j = 0; j < c1.length; j++) p[j] += x * c1[j] + y * c2[j];
  return p;
}
