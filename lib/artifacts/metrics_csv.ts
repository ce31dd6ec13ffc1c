/**
 * `metrics.csv` and `history.csv` of step `train`: one row per epoch (row 0
 * the initial parameters). The two files hold the same rows; `metrics.csv`
 * adds each epoch's wall-clock `seconds`, which `history.csv` leaves out so
 * that it is a pure function of the step's inputs (downstream steps read it).
 *
 * @module
 */

import { type Cell, toCsv } from "../util/mod.ts";
import { parseRows, readText } from "./file_checks.ts";

/** One row of `history.csv`: the epoch's rate and the full-set losses and accuracies. */
export interface HistoryRow {
  epoch: number;
  /** The learning rate used during the epoch (row 0: the first epoch's rate). */
  lr: number;
  train_loss: number;
  train_acc: number;
  test_loss: number;
  test_acc: number;
}

/** One row of `metrics.csv`: a history row and the wall-clock seconds of the epoch (0 for row 0). */
export interface MetricsRow extends HistoryRow {
  seconds: number;
}

/** The columns of `history.csv`, in order. */
export const HISTORY_COLUMNS = [
  "epoch",
  "lr",
  "train_loss",
  "train_acc",
  "test_loss",
  "test_acc",
] as const satisfies readonly (keyof HistoryRow)[];

/** The columns of `metrics.csv`, in order. */
export const METRICS_COLUMNS = [...HISTORY_COLUMNS, "seconds"] as const;

function historyCells(r: HistoryRow): Cell[] {
  return HISTORY_COLUMNS.map((c) => r[c]);
}

/** The text of `history.csv`. */
export function historyCsv(rows: readonly HistoryRow[]): string {
  return toCsv([...HISTORY_COLUMNS], rows.map(historyCells));
}

/** The text of `metrics.csv` (seconds rounded to milliseconds: more would be noise). */
export function metricsCsv(rows: readonly MetricsRow[]): string {
  return toCsv(
    [...METRICS_COLUMNS],
    rows.map((r) => [...historyCells(r), Number(r.seconds.toFixed(3))]),
  );
}

/** Writes `metrics.csv`. */
export async function writeMetrics(path: string, rows: readonly MetricsRow[]): Promise<void> {
  await Deno.writeTextFile(path, metricsCsv(rows));
}

/**
 * The reported model's epoch: the row with the smallest full-training-set
 * loss over every row, the initialisation (epoch 0) included, the first on
 * ties; null for no rows. The one rule of "the minimum" (training writes it
 * to best.json; the tables and figures check and draw it).
 *
 * @example
 * ```ts
 * minTrainingLossEpoch([{ epoch: 0, train_loss: 2.3 }, { epoch: 1, train_loss: 0.4 }]); // 1
 * ```
 */
export function minTrainingLossEpoch(
  rows: readonly Pick<HistoryRow, "epoch" | "train_loss">[],
): number | null {
  let best: Pick<HistoryRow, "epoch" | "train_loss"> | null = null;
  for (const r of rows) if (!best || r.train_loss < best.train_loss) best = r;
  return best?.epoch ?? null;
}

/** Writes `history.csv`. */
export async function writeHistory(path: string, rows: readonly HistoryRow[]): Promise<void> {
  await Deno.writeTextFile(path, historyCsv(rows));
}

/**
 * Parses and checks the text of `history.csv` or `metrics.csv` (rows sorted
 * by epoch). Columns beyond the history's, such as `seconds`, are kept.
 */
export function parseHistory(text: string, path: string): HistoryRow[] {
  return parseRows<HistoryRow>(text, path, HISTORY_COLUMNS, "epoch");
}

/**
 * Reads and checks `history.csv` (or `metrics.csv`, read as its history).
 *
 * @example
 * ```ts
 * const rows = await readHistory(g.path);
 * const last = rows[rows.length - 1].train_loss;
 * ```
 */
export async function readHistory(path: string): Promise<HistoryRow[]> {
  return parseHistory(await readText(path), path);
}

/** Parses and checks the text of `metrics.csv` (the `seconds` column required). */
export function parseMetrics(text: string, path: string): MetricsRow[] {
  return parseRows<MetricsRow>(text, path, METRICS_COLUMNS, "epoch");
}

/** Reads and checks `metrics.csv`. */
export async function readMetrics(path: string): Promise<MetricsRow[]> {
  return parseMetrics(await readText(path), path);
}
