/**
 * Minimal CSV for the study's tables (RFC 4180 quoting). Kept in one module
 * so a switch to a CSV library is a one-file change.
 *
 * @module
 */

/** A cell: numbers are written with full precision (shortest round-trip form). */
export type Cell = string | number | boolean | null | undefined;

function quote(cell: Cell): string {
  if (cell === null || cell === undefined) return "";
  const s = String(cell);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Formats a header row and data rows as CSV text (LF line ends, trailing newline). */
export function toCsv(header: string[], rows: Cell[][]): string {
  const lines = [header.map(quote).join(",")];
  for (const r of rows) {
    if (r.length !== header.length) {
      throw new Error(`csv: a row has ${r.length} cells but the header has ${header.length}`);
    }
    lines.push(r.map(quote).join(","));
  }
  return lines.join("\n") + "\n";
}

/** Parses CSV text with a header row into records of strings. */
export function parseCsv(text: string, what = "csv"): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else cell += ch;
      i++;
      continue;
    }
    if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
    i++;
  }
  if (quoted) throw new Error(`${what}: unterminated quoted cell`);
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  if (rows.length === 0) throw new Error(`${what}: empty (no header row)`);
  const [header, ...data] = rows;
  return data.map((r, n) => {
    if (r.length !== header.length) {
      throw new Error(
        `${what}: line ${n + 2} has ${r.length} cells, the header has ${header.length}`,
      );
    }
    return Object.fromEntries(header.map((h, j) => [h, r[j]]));
  });
}
