/**
 * `landscape.json` of step `landscape`: the PCA plane of one training
 * trajectory, the full-training-set loss on a grid over it, and the
 * trajectory's points in that plane.
 *
 * @module
 */

import { fail, jsonText, num, numberArray, readJsonObject } from "./file_checks.ts";

/** `landscape.json`: the PCA plane, the loss grid and the trajectory. */
export interface Landscape {
  P: number;
  d: number;
  seed: number;
  min_epoch: number;
  explained_variance_ratio: [number, number];
  x: number[];
  y: number[];
  /** `y.length` rows of `x.length` losses. */
  loss: number[][];
  /** `[x, y]` per recorded epoch (0 = initialisation), relative to the minimum. */
  trajectory: [number, number][];
  /** Training images the losses are computed on (written by the step; optional when read). */
  n_samples?: number;
  /**
   * The grid's plane: `trajectory_mean` (the paper's: the PCA plane through the
   * trajectory's mean, (0, 0) at the minimum's projection) or `minimum` (the
   * parallel plane through the minimum). Absent in older files.
   */
  plane?: "trajectory_mean" | "minimum";
  /** |minimum − its projection on the PCA plane| over the QNN parameters (absent in older files). */
  min_residual?: number;
  /** |minimum − trajectory mean|, the residual's scale (absent in older files). */
  min_offset?: number;
}

/** The text of `landscape.json`: fields in the documented order. */
export function landscapeJson(l: Landscape): string {
  return jsonText({
    P: l.P,
    d: l.d,
    seed: l.seed,
    min_epoch: l.min_epoch,
    explained_variance_ratio: l.explained_variance_ratio,
    x: l.x,
    y: l.y,
    loss: l.loss,
    trajectory: l.trajectory,
    n_samples: l.n_samples,
    plane: l.plane,
    min_residual: l.min_residual,
    min_offset: l.min_offset,
  });
}

/** Writes `landscape.json`. */
export async function writeLandscape(path: string, l: Landscape): Promise<void> {
  await Deno.writeTextFile(path, landscapeJson(l));
}

/** Checks a parsed `landscape.json`: grid shape, trajectory points. */
export function checkLandscape(o: Record<string, unknown>, path: string): Landscape {
  for (const k of ["P", "d", "seed", "min_epoch"]) num(o, k, path);
  const evr = numberArray(o.explained_variance_ratio, path, "explained_variance_ratio");
  if (evr.length < 2) fail(path, "explained_variance_ratio needs two values");
  const x = numberArray(o.x, path, "x");
  const y = numberArray(o.y, path, "y");
  if (x.length < 2 || y.length < 2) fail(path, "x and y need at least two grid coordinates");
  if (!Array.isArray(o.loss) || o.loss.length !== y.length) {
    fail(path, `loss must have ${y.length} rows (one per y)`);
  }
  const loss = (o.loss as unknown[]).map((row, i) => {
    const r = numberArray(row, path, `loss[${i}]`);
    if (r.length !== x.length) fail(path, `loss[${i}] has ${r.length} values, x has ${x.length}`);
    return r;
  });
  if (!Array.isArray(o.trajectory) || o.trajectory.length === 0) {
    fail(path, "trajectory must be a non-empty array of [x, y]");
  }
  const trajectory = (o.trajectory as unknown[]).map((p, i) => {
    const q = numberArray(p, path, `trajectory[${i}]`);
    if (q.length !== 2) fail(path, `trajectory[${i}] must be [x, y]`);
    return [q[0], q[1]] as [number, number];
  });
  return {
    P: o.P as number,
    d: o.d as number,
    seed: o.seed as number,
    min_epoch: o.min_epoch as number,
    explained_variance_ratio: [evr[0], evr[1]],
    x,
    y,
    loss,
    trajectory,
    ...(typeof o.n_samples === "number" ? { n_samples: o.n_samples } : {}),
    ...(o.plane === "trajectory_mean" || o.plane === "minimum" ? { plane: o.plane } : {}),
    ...(typeof o.min_residual === "number" ? { min_residual: o.min_residual } : {}),
    ...(typeof o.min_offset === "number" ? { min_offset: o.min_offset } : {}),
  };
}

/**
 * Reads and checks `landscape.json`.
 *
 * @example
 * ```ts
 * const { x, y, loss } = await readLandscape(g.path);
 * ```
 */
export async function readLandscape(path: string): Promise<Landscape> {
  return checkLandscape(await readJsonObject(path), path);
}
