/**
 * The table model shared by the Markdown, CSV and HTML outputs: a display
 * grid for people (cells may hold several lines), a long-form CSV for
 * machines (full precision, one row per cell of the study), notes, and the
 * paper's own table when ours cannot be compared cell by cell.
 *
 * @module
 */

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
