/**
 * `tables/tables.json` of step `tables`: every table of the report as a
 * model (display grid, long-form CSV, notes, the paper's table) and a
 * summary of the study, which step `report` renders to HTML.
 *
 * @module
 */

import { jsonText, readTaggedDocument } from "./file_checks.ts";

/** A simple grid: column headers and rows of display strings ("\n" breaks a line). */
export interface Grid {
  columns: string[];
  rows: string[][];
}

/** A CSV cell: numbers keep full precision; null is an empty cell. */
export type CsvCell = string | number | boolean | null;

/** One table of the report. */
export interface Table {
  /** File stem and anchor, e.g. `table1`. */
  id: string;
  /** Heading, e.g. `Table 1: test loss and accuracy at the minimum-training-loss epoch`. */
  title: string;
  /** One paragraph: what the table shows and how to read its cells. */
  description: string;
  /** What a person reads (empty rows when there is nothing to show; the notes say why). */
  grid: Grid;
  /** The same content in long form for machines. */
  csv: { columns: string[]; rows: CsvCell[][] };
  /** Caveats: comparability, missing inputs, statistics used. */
  notes: string[];
  /** The paper's table, printed separately when the profile's cells are not all comparable. */
  reference?: { title: string; grid: Grid };
}

/** The format tag of `tables.json`. */
export const TABLES_FORMAT = "qnn-tables/1";

/** What `tables.json` holds. */
export interface TablesDocument {
  format: typeof TABLES_FORMAT;
  study: {
    Ps: number[];
    ds: number[];
    seeds: number[];
    first_seed: number;
    runs: number;
    available: Record<string, boolean>;
    notes: string[];
  };
  tables: Table[];
}

/** The file name of the document inside the `tables/` directory. */
export const TABLES_JSON = "tables.json";

/** The text of `tables.json` (keys in the document's own order). */
export function tablesJson(doc: TablesDocument): string {
  return jsonText(doc);
}

/**
 * Reads and checks `tables.json` of a `tables/` directory (its format tag and table list).
 *
 * @example
 * ```ts
 * const doc = await readTablesDocument(inputDir(ctx, "tables"));
 * ```
 */
export async function readTablesDocument(dir: string): Promise<TablesDocument> {
  return await readTaggedDocument<TablesDocument>(
    `${dir}/${TABLES_JSON}`,
    TABLES_FORMAT,
    "tables",
    "the tables",
    "a tables document",
  );
}
