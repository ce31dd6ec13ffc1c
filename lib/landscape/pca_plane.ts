/**
 * The loss landscape along an optimisation trajectory (the paper's Section
 * 2.3, after Li et al. 2018): PCA of the recorded QNN parameter vectors,
 * coordinates relative to the minimum-training-loss point, a grid over the
 * projected trajectory plus a margin, and the loss at every grid point.
 *
 * @module
 */

import { pca } from "../linalg/mod.ts";

/**
 * Which plane the grid lies on: `trajectory_mean`, the paper's (its code
 * evaluates `pca.inverse_transform(grid + projected_minimum)`: the PCA plane
 * through the trajectory's mean, grid (0, 0) at the minimum's projection),
 * or `minimum`, the parallel plane through the minimum itself (grid (0, 0)
 * is the minimum). They differ by the minimum's out-of-plane residual.
 */
export type LandscapeOrigin = "trajectory_mean" | "minimum";

/** The landscape planes, the paper's first. */
export const LANDSCAPE_ORIGINS: readonly LandscapeOrigin[] = ["trajectory_mean", "minimum"];

/** The plane spanned by the first two principal components of a trajectory. */
export interface LandscapePlane {
  /** Two unit vectors over the QNN parameters. */
  components: [Float64Array, Float64Array];
  /** The trajectory's mean over the QNN parameters (PCA's centre). */
  mean: Float64Array;
  /** The minimum's PCA coordinates, (minimum − mean) · components. */
  minimumProjection: [number, number];
  /** The norm of the minimum's component off the plane: |minimum − its projection on it|. */
  minimumResidual: number;
  /** |minimum − mean|, the scale the residual compares with. */
  minimumOffset: number;
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
  const mean = result.mean;
  const [m1, m2] = result.scores[minRow];
  let residual = 0;
  let offset = 0;
  for (let j = 0; j < qnnCount; j++) {
    const dv = ref[j] - mean[j];
    offset += dv * dv;
    residual += (dv - m1 * c1[j] - m2 * c2[j]) ** 2;
  }
  return {
    components: [c1, c2],
    mean,
    minimumProjection: [m1, m2],
    minimumResidual: Math.sqrt(residual),
    minimumOffset: Math.sqrt(offset),
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
 * The parameter vector at grid point (x, y), coordinates relative to the
 * minimum's projection. On the paper's plane (`trajectory_mean`, the
 * default) the QNN parameters are mean + (x + m1) c1 + (y + m2) c2, (m1, m2)
 * the minimum's projection; on `minimum` they are the minimum's moved by x c1
 * + y c2. Every other entry (the bias) is the minimum's in both.
 *
 * @example
 * ```ts
 * const p = pointAt(minimum, plane, 0, 0); // the minimum's projection on the plane
 * ```
 */
export function pointAt(
  minimum: Float64Array,
  plane: LandscapePlane,
  x: number,
  y: number,
  origin: LandscapeOrigin = "trajectory_mean",
): Float64Array {
  const p = minimum.slice();
  const [c1, c2] = plane.components;
  if (origin === "minimum") {
    for (let j = 0; j < c1.length; j++) p[j] += x * c1[j] + y * c2[j];
    return p;
  }
  const a = x + plane.minimumProjection[0];
  const b = y + plane.minimumProjection[1];
  for (let j = 0; j < c1.length; j++) p[j] = plane.mean[j] + a * c1[j] + b * c2[j];
  return p;
}
