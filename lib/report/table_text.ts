/**
 * A table of the report as text: the long-form CSV for machines (full
 * precision) and the Markdown section for people (display grid, notes, the
 * paper's table). The table model itself is the `tables.json` format
 * (lib/artifacts), which the HTML report renders too.
 *
 * @module
 */

import type { CsvCell, Grid, Table } from "../artifacts/mod.ts";

function csvQuote(c: CsvCell): string {
  if (c === null) return "";
  if (typeof c === "number" && !Number.isFinite(c)) return Number.isNaN(c) ? "NaN" : String(c);
  const s = String(c);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The CSV text of a table (header row, LF line ends, trailing newline). */
export function tableCsv(t: Table): string {
  const lines = [t.csv.columns.map(csvQuote).join(",")];
  for (const r of t.csv.rows) {
    if (r.length !== t.csv.columns.length) {
      throw new Error(`${t.id}: a CSV row has ${r.length} cells for ${t.csv.columns.length}`);
    }
    lines.push(r.map(csvQuote).join(","));
  }
  return lines.join("\n") + "\n";
}

function mdCell(s: string): string {
  return s.replaceAll("|", "\\|").replaceAll("\n", "<br>");
}

/** A Markdown pipe table of a grid (first column left-aligned, the others right-aligned). */
export function gridMarkdown(g: Grid): string {
  if (g.columns.length === 0) return "";
  const head = `| ${g.columns.map(mdCell).join(" | ")} |`;
  const rule = `|${g.columns.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`;
  const body = g.rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`);
  return [head, rule, ...body].join("\n");
}

/** The Markdown section of one table (heading level 2). */
export function tableMarkdown(t: Table): string {
  const parts = [`## ${t.title}`, "", t.description, ""];
  if (t.grid.rows.length > 0) parts.push(gridMarkdown(t.grid), "");
  else parts.push("_No rows: see the notes._", "");
  if (t.notes.length > 0) {
    parts.push(...t.notes.map((n) => `- ${n}`), "");
  }
  if (t.reference) {
    parts.push(`**${t.reference.title}**`, "", gridMarkdown(t.reference.grid), "");
  }
  return parts.join("\n");
}
