/**
 * Plain-text, TSV and Markdown tables for the CLI's reports.
 *
 * @module
 */

/**
 * Aligned columns (two spaces apart); columns listed in `right` are
 * right-aligned (numbers).
 *
 * @example
 * ```ts
 * table(["a", "n"], [["x", "12"]], [1]); // ["a   n", "x  12"]
 * ```
 */
export function table(head: string[], rows: string[][], right: number[] = []): string[] {
  const w = head.map((h, i) =>
    Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? "")].length))
  );
  const line = (r: string[]) =>
    r.map((c, i) => {
      const pad = " ".repeat(w[i] - [...c].length);
      return right.includes(i) ? pad + c : c + pad;
    }).join("  ").trimEnd();
  return [line(head), ...rows.map(line)];
}

/** Tab-separated values (tabs and newlines in cells become spaces). */
export function tsv(head: string[], rows: string[][]): string[] {
  const cell = (c: string) => c.replace(/[\t\n]/g, " ");
  return [head, ...rows].map((r) => r.map(cell).join("\t"));
}

/** A GitHub-flavoured Markdown table. */
export function markdownTable(head: string[], rows: string[][]): string[] {
  const cell = (c: string) => c.replaceAll("|", "\\|").replace(/\n/g, " ");
  return [
    `| ${head.map(cell).join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
}
