/**
 * Reads what the report step consumes: the `tables/` directory of the
 * tables step (`tables.json`) and the `figures/` directory of the charts
 * step (`manifest.json` and the SVG files).
 *
 * @module
 */

import { StepError } from "../step/context.ts";
import type { ReportFigure } from "./html.ts";
import type { TablesDocument } from "./write_tables.ts";
import type { FiguresManifest } from "../charts/figures.ts";

async function readJsonFile<T>(path: string, what: string): Promise<T> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (e) {
    throw new StepError(`${path}: cannot read ${what} (${(e as Error).message})`);
  }
}

/** Reads `tables.json` of a tables directory. */
export async function readTablesDir(dir: string): Promise<TablesDocument> {
  const doc = await readJsonFile<TablesDocument>(`${dir}/tables.json`, "the tables");
  if (doc?.format !== "qnn-tables/1" || !Array.isArray(doc.tables)) {
    throw new StepError(`${dir}/tables.json: not a tables document (format qnn-tables/1)`);
  }
  return doc;
}

/** Reads the figures manifest and each drawn figure's SVG. */
export async function readFiguresDir(dir: string): Promise<ReportFigure[]> {
  const m = await readJsonFile<FiguresManifest>(`${dir}/manifest.json`, "the figures manifest");
  if (m?.format !== "qnn-figures/1" || !Array.isArray(m.figures)) {
    throw new StepError(`${dir}/manifest.json: not a figures manifest (format qnn-figures/1)`);
  }
  return await Promise.all(m.figures.map(async (f) => ({
    name: f.name,
    title: f.title,
    caption: f.caption,
    notes: f.notes ?? [],
    svg: f.files ? await Deno.readTextFile(`${dir}/${f.files.svg}`) : null,
  })));
}
