/**
 * `density.csv` of step `hessian`: the SLQ spectral density on a grid
 * (columns `lambda,density`), for Figure 4.
 *
 * @module
 */

import { toCsv } from "../util/csv.ts";
import { fail, parseNumericCsv, readText } from "./file_checks.ts";

/** One row of `density.csv`. */
export interface DensityRow {
  lambda: number;
  density: number;
}

/** The columns of `density.csv`, in order. */
export const DENSITY_COLUMNS = ["lambda", "density"] as const;

/** The text of `density.csv` from `[lambda, density]` pairs in grid order. */
export function densityCsv(rows: readonly (readonly [number, number])[]): string {
  return toCsv([...DENSITY_COLUMNS], rows.map(([l, v]) => [l, v]));
}

/** Writes `density.csv`. */
export async function writeDensity(
  path: string,
  rows: readonly (readonly [number, number])[],
): Promise<void> {
  await Deno.writeTextFile(path, densityCsv(rows));
}

/** Parses and checks the text of `density.csv` (rows sorted by lambda). */
export function parseDensity(text: string, path: string): DensityRow[] {
  const rows = parseNumericCsv(text, DENSITY_COLUMNS, path) as unknown as DensityRow[];
  if (rows.length === 0) fail(path, "no rows");
  return rows.sort((a, b) => a.lambda - b.lambda);
}

/** Reads and checks `density.csv`. */
export async function readDensity(path: string): Promise<DensityRow[]> {
  return parseDensity(await readText(path), path);
}
