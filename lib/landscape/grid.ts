/**
 * The loss grid of a landscape, row by row, resumable after a kill: finished
 * rows are saved to a checkpoint directory with `lib/util/checkpoint.ts` (so
 * with its integrity check), and a rerun evaluates only the rows not yet
 * there. Each grid point is an independent evaluation, so the resumed grid is
 * bit-for-bit the uninterrupted one.
 *
 * @module
 */

import { loadLatest, saveSnapshot, type Snapshot } from "../util/mod.ts";

/** Thrown when `stopAfterRows` rows are done: a simulated kill, for tests. */
export class GridStop extends Error {
  constructor(readonly rows: number) {
    super(`stopped after ${rows} grid rows (as requested)`);
    this.name = "GridStop";
  }
}

/** Checkpointing of a grid. */
export interface GridCheckpoint {
  dir: string;
  /** Save finished rows when at least this many seconds passed since the last save (0: every row). */
  intervalSeconds: number;
  /** Tests only: after this many rows, save and throw a `GridStop` (as a kill right after a checkpoint). */
  stopAfterRows?: number;
  /** Warnings (a discarded checkpoint) and the resume line. */
  log?(line: string): void;
}

/**
 * `loss[i][j] = f(xs[j], ys[i])`, resuming from the rows in `ckpt.dir` when
 * they were computed on the same axes.
 *
 * @example
 * ```ts
 * const loss = await gridLosses(xs, ys, (x, y) => lossAt(x, y), { dir, intervalSeconds: 60 });
 * ```
 */
export async function gridLosses(
  xs: number[],
  ys: number[],
  f: (x: number, y: number, i: number, j: number) => Promise<number>,
  ckpt: GridCheckpoint,
): Promise<number[][]> {
  const axes = JSON.stringify({ x: xs, y: ys });
  const loss = await loadLatest(ckpt.dir, (snap) => decodeRows(snap, axes, xs.length), {
    onDiscard: (label, reason) => ckpt.log?.(`warning: checkpoint ${label} discarded: ${reason}`),
  }) ?? [];
  if (loss.length > 0) ckpt.log?.(`resuming from the checkpoint: ${loss.length} grid rows done`);
  let lastSave = Date.now();
  for (let i = loss.length; i < ys.length; i++) {
    const row: number[] = [];
    for (let j = 0; j < xs.length; j++) row.push(await f(xs[j], ys[i], i, j));
    loss.push(row);
    const stop = ckpt.stopAfterRows !== undefined && loss.length >= ckpt.stopAfterRows;
    if (stop || Date.now() - lastSave >= ckpt.intervalSeconds * 1000) {
      await saveRows(ckpt.dir, axes, loss);
      lastSave = Date.now();
    }
    if (stop && i + 1 < ys.length) throw new GridStop(loss.length);
  }
  return loss;
}

async function saveRows(dir: string, axes: string, loss: number[][]): Promise<void> {
  const width = loss[0].length;
  const bytes = new Uint8Array(loss.length * width * 8);
  const view = new DataView(bytes.buffer);
  // The doubles' exact bits (not JSON text), little-endian, so a resumed grid is bit-identical.
  loss.forEach((row, i) => row.forEach((v, j) => view.setFloat64((i * width + j) * 8, v, true)));
  await saveSnapshot(dir, `rows-${String(loss.length).padStart(6, "0")}`, {
    "axes.json": new TextEncoder().encode(axes),
    "loss.f64": bytes,
  });
}

function decodeRows(snap: Snapshot, axes: string, width: number): number[][] {
  if (new TextDecoder().decode(snap.files.get("axes.json")) !== axes) {
    throw new Error("it was computed on other grid axes");
  }
  const bytes = snap.files.get("loss.f64")!;
  if (bytes.length % (width * 8) !== 0) throw new Error("its rows do not match the grid's width");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows = bytes.length / (width * 8);
  return Array.from(
    { length: rows },
    (_, i) => Array.from({ length: width }, (_, j) => view.getFloat64((i * width + j) * 8, true)),
  );
}
