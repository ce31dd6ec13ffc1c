/**
 * `density.csv` of step `hessian`: the SLQ spectral density on a grid
 * (columns `lambda,density`), for Figure 4.
 *
 * @module
 */

import { toCsv } from "../util/mod.ts";
import { parseRows, readText } from "./file_checks.ts";

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
  return parseRows<DensityRow>(text, path, DENSITY_COLUMNS, "lambda");
}

/** Reads and checks `density.csv`. */
export async function readDensity(path: string): Promise<DensityRow[]> {
  return parseDensity(await readText(path), path);
}
