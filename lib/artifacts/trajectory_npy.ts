/**
 * `trajectory.npy` of step `train`: `<f8` `[epochs + 1, N]`, row 0 the
 * initial parameters, row e the parameters after epoch e (N: the model's
 * flat parameter count, docs/conventions.md).
 *
 * @module
 */

import { decodeNpy, writeNpy } from "../io/mod.ts";
import { ArtifactError, fail } from "./file_checks.ts";

/** A recorded trajectory: `rows` parameter vectors of `n` numbers, row-major. */
export interface Trajectory {
  data: Float64Array;
  /** Recorded points: epochs + 1. */
  rows: number;
  /** Parameters per point. */
  n: number;
}

/**
 * Writes `trajectory.npy`.
 *
 * @example
 * ```ts
 * await writeTrajectory(ctx.output("trajectory"), { data, rows: epochs + 1, n });
 * ```
 */
export async function writeTrajectory(path: string, t: Trajectory): Promise<void> {
  if (t.data.length !== t.rows * t.n) {
    throw new Error(`trajectory: ${t.data.length} numbers for ${t.rows} x ${t.n}`);
  }
  await writeNpy(path, t.data, [t.rows, t.n]);
}

/** Decodes and checks the bytes of `trajectory.npy` (float64, two dimensions, at least one row). */
export function decodeTrajectory(bytes: Uint8Array, path: string): Trajectory {
  let arr;
  try {
    arr = decodeNpy(bytes, path);
  } catch (e) {
    return fail(path, (e as Error).message.replace(`${path}: `, ""));
  }
  if (arr.dtype !== "f8") fail(path, `dtype must be <f8, found ${arr.dtype}`);
  if (arr.shape.length !== 2) fail(path, `shape must be [epochs + 1, N], found [${arr.shape}]`);
  const [rows, n] = arr.shape;
  if (rows < 1) fail(path, "no recorded points");
  return { data: arr.data as Float64Array, rows, n };
}

/**
 * Reads and checks `trajectory.npy`.
 *
 * @example
 * ```ts
 * const { data, rows, n } = await readTrajectory(ctx.input("trajectory"));
 * ```
 */
export async function readTrajectory(path: string): Promise<Trajectory> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new ArtifactError(path, `${path}: cannot read (${(e as Error).message})`);
  }
  return decodeTrajectory(bytes, path);
}
