/**
 * The report side of the study: the paper's tables computed from the
 * collected study (beside the paper's values), their CSV and Markdown text
 * and the `tables/` directory, and the self-contained HTML report that
 * embeds the tables and the figures.
 *
 * ```ts
 * const tables = buildTables(study);
 * await writeTables(dir, study, tables);
 * const html = reportHtml({ profileName: "smoke", params, tables: doc, figures, upstream: [], denoVersion });
 * ```
 *
 * @module
 */

export { buildTables } from "./paper_tables.ts";
export { gridMarkdown, tableCsv, tableMarkdown } from "./table_text.ts";
export { tablesDocument, tablesReadme, writeTables } from "./tables_dir.ts";
export { fixed, meanStd, MISSING, signed, signedPercent, thousands } from "./format.ts";
export {
  esc,
  groupUpstream,
  type ReportFigure,
  reportHtml,
  type ReportInput,
  SECTIONS,
} from "./html.ts";
export { inlineSvg, namespaceSvgIds } from "./svg_inline.ts";
