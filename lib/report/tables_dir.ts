/**
 * Writes the `tables/` directory: per table `<id>.csv` and `<id>.md`, all
 * tables in one `README.md`, and `tables.json` (the table models and a
 * summary of the study) which the report step renders to HTML.
 *
 * @module
 */

import {
  type Table,
  TABLES_FORMAT,
  TABLES_JSON,
  type TablesDocument,
  tablesJson,
} from "../artifacts/mod.ts";
import type { Study } from "../study/mod.ts";
import { tableCsv, tableMarkdown } from "./table_text.ts";

/** The JSON document of the tables (stable key order). */
export function tablesDocument(study: Study, tables: Table[]): TablesDocument {
  return {
    format: TABLES_FORMAT,
    study: {
      Ps: study.Ps,
      ds: study.ds,
      seeds: study.seeds,
      first_seed: study.firstSeed,
      runs: study.runs.length,
      available: study.available,
      notes: study.notes,
    },
    tables,
  };
}

/** All tables as one Markdown document. */
export function tablesReadme(study: Study, tables: Table[]): string {
  const head = [
    "# Tables",
    "",
    `Profile grid: P ∈ {${study.Ps.join(", ")}} × d ∈ {${study.ds.join(", ")}}, ` +
    `seeds ${study.seeds.join(", ")} (first seed ${study.firstSeed}), ${study.runs.length} runs.`,
    "",
    ...study.notes.map((n) => `- ${n}`),
    ...(study.notes.length > 0 ? [""] : []),
  ];
  return [...head, ...tables.map(tableMarkdown)].join("\n");
}

/** Writes every file of the tables directory. */
export async function writeTables(dir: string, study: Study, tables: Table[]): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const files: string[] = [];
  const write = async (name: string, text: string) => {
    await Deno.writeTextFile(`${dir}/${name}`, text);
    files.push(name);
  };
  for (const t of tables) {
    await write(`${t.id}.csv`, tableCsv(t));
    await write(`${t.id}.md`, tableMarkdown(t));
  }
  await write("README.md", tablesReadme(study, tables));
  await write(TABLES_JSON, tablesJson(tablesDocument(study, tables)));
  return files;
}
