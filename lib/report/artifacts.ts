/**
 * Readers for the upstream artifacts the tables, charts and report consume
 * (`docs/artifacts.md`): `best.json` and `metrics.csv` of `train`,
 * `hessian.json` and `density.csv` of `hessian`, `landscape.json` of
 * `landscape`. Each reader checks the fields it relies on and names the file
 * in its error, because a malformed upstream file should stop the step with
 * a message that says which instance to look at.
 *
 * @module
 */

import { parseCsv } from "../util/csv.ts";
import { StepError } from "../step/context.ts";

/** `best.json`: the minimum-training-loss epoch of one training run. */
export interface Best {
  P: number;
  d: number;
  seed: number;
  n_params: number;
  n_qnn_params: number;
  epoch: number;
  train_loss: number;
  train_acc: number;
  test_loss: number;
  test_acc: number;
  epochs: number;
  n_train: number;
  n_test: number;
}

/** One row of `metrics.csv`. */
export interface MetricsRow {
  epoch: number;
  lr: number;
  train_loss: number;
  train_acc: number;
  test_loss: number;
  test_acc: number;
  /** Wall-clock seconds of the epoch, in train's `metrics.csv` only (not in `history.csv`). */
  seconds?: number;
}

/** `hessian.json` (the fields used here; others are kept as they come). */
export interface Hessian {
  P: number;
  d: number;
  seed: number;
  n_params: number;
  epoch: number;
  lambda_max: number;
  gauss_newton?: { lambda_max: number; iterations?: number } | null;
  curvature?: { lambda_max: number; lambda_min?: number; iterations?: number } | null;
  power?: { eigenvalue: number; iterations: number; converged: boolean } | null;
  n_samples?: number;
  [key: string]: unknown;
}

/** One row of `density.csv`. */
export interface DensityRow {
  lambda: number;
  density: number;
}

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
}

function fail(path: string, what: string): never {
  throw new StepError(`${path}: ${what} (format: docs/artifacts.md)`);
}

function num(obj: Record<string, unknown>, key: string, path: string): number {
  const v = obj[key];
  if (typeof v !== "number" || Number.isNaN(v)) {
    fail(path, `field '${key}' must be a number, got ${JSON.stringify(v)}`);
  }
  return v;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new StepError(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== "object" || Array.isArray(v)) fail(path, "not a JSON object");
    return v;
  } catch (e) {
    if (e instanceof StepError) throw e;
    throw new StepError(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/** Parses a numeric CSV with a header row into records (every cell a number). */
export function parseNumericCsv(
  text: string,
  required: readonly string[],
  path: string,
): Record<string, number>[] {
  if (text.trim() === "") fail(path, "empty CSV (no header row)");
  let records: Record<string, string>[];
  try {
    records = parseCsv(text.trimEnd() + "\n", path);
  } catch (e) {
    return fail(path, (e as Error).message.replace(`${path}: `, ""));
  }
  const header = text.slice(0, text.search(/\r?\n|$/)).split(",").map((h) =>
    h.trim().replace(/^"(.*)"$/, "$1")
  );
  for (const r of required) {
    if (!header.includes(r)) fail(path, `missing column '${r}' (header: ${header.join(",")})`);
  }
  return records.map((rec, i) => {
    const out: Record<string, number> = {};
    for (const [h, cell] of Object.entries(rec)) {
      const s = cell.trim();
      const v = s === "" ? NaN : Number(s);
      if (Number.isNaN(v) && required.includes(h) && !/^nan$/i.test(s)) {
        fail(path, `line ${i + 2}, column '${h}': not a number: ${JSON.stringify(s)}`);
      }
      out[h] = v;
    }
    return out;
  });
}

const BEST_FIELDS = [
  "P",
  "d",
  "seed",
  "n_params",
  "n_qnn_params",
  "epoch",
  "train_loss",
  "train_acc",
  "test_loss",
  "test_acc",
  "epochs",
  "n_train",
  "n_test",
] as const;

/** Reads and checks `best.json`. */
export async function readBest(path: string): Promise<Best> {
  const o = await readJson(path);
  const b: Record<string, number> = {};
  for (const k of BEST_FIELDS) b[k] = num(o, k, path);
  return b as unknown as Best;
}

const METRICS_COLUMNS = [
  "epoch",
  "lr",
  "train_loss",
  "train_acc",
  "test_loss",
  "test_acc",
] as const;

/** Parses the text of `metrics.csv` (rows sorted by epoch). */
export function parseMetrics(text: string, path: string): MetricsRow[] {
  const rows = parseNumericCsv(text, METRICS_COLUMNS, path) as unknown as MetricsRow[];
  if (rows.length === 0) fail(path, "no rows");
  return rows.sort((a, b) => a.epoch - b.epoch);
}

/** Reads and checks `metrics.csv`. */
export async function readMetrics(path: string): Promise<MetricsRow[]> {
  return parseMetrics(await readText(path), path);
}

/** Reads and checks `hessian.json`. */
export async function readHessian(path: string): Promise<Hessian> {
  const o = await readJson(path);
  for (const k of ["P", "d", "seed", "lambda_max"]) num(o, k, path);
  for (const part of ["gauss_newton", "curvature"]) {
    const v = o[part];
    if (v !== undefined && v !== null) {
      if (typeof v !== "object") fail(path, `field '${part}' must be an object or null`);
      num(v as Record<string, unknown>, "lambda_max", `${path} (${part})`);
    }
  }
  return o as unknown as Hessian;
}

/** Parses the text of `density.csv` (rows sorted by lambda). */
export function parseDensity(text: string, path: string): DensityRow[] {
  const rows = parseNumericCsv(text, ["lambda", "density"], path) as unknown as DensityRow[];
  if (rows.length === 0) fail(path, "no rows");
  return rows.sort((a, b) => a.lambda - b.lambda);
}

/** Reads and checks `density.csv`. */
export async function readDensity(path: string): Promise<DensityRow[]> {
  return parseDensity(await readText(path), path);
}

function numberArray(v: unknown, path: string, what: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number" && x !== null)) {
    fail(path, `${what} must be an array of numbers`);
  }
  // JSON has no NaN: a writer may emit null for a failed grid point.
  return v.map((x) => (x === null ? NaN : x));
}

/** Reads and checks `landscape.json` (grid shape, trajectory points). */
export async function readLandscape(path: string): Promise<Landscape> {
  const o = await readJson(path);
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
  };
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new StepError(`${path}: cannot read (${(e as Error).message})`);
  }
}
