/**
 * The report: one self-contained HTML page (no external resources: figures
 * inline as SVG, styles inline, system fonts) with a table of contents, the
 * profile and its parameters, every table, every figure, the study's notes
 * and the provenance of the inputs. Readable on a laptop screen, printable.
 *
 * @module
 */

import type { UpstreamRecord } from "../step/mod.ts";
import type { Grid, Table, TablesDocument } from "../artifacts/mod.ts";
import { inlineSvg } from "./svg_inline.ts";

/** A figure as the report receives it (from the charts step's manifest). */
export interface ReportFigure {
  name: string;
  title: string;
  caption: string;
  notes: string[];
  /** The SVG document, or null when the figure was not drawn. */
  svg: string | null;
}

/** Everything the report shows. */
export interface ReportInput {
  /** The profile's name (`profile_name` parameter), if given. */
  profileName: string | null;
  /** The step's parameters, shown as given. */
  params: Record<string, unknown>;
  tables: TablesDocument;
  figures: ReportFigure[];
  /** Provenance of the upstream instances (omit unless it is part of the caller's key). */
  upstream?: UpstreamRecord[];
  /** The Deno version that rendered the report (omit unless it is part of the caller's key). */
  denoVersion?: string;
}

/** Escapes text for HTML element content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function multiline(s: string): string {
  return s.split("\n").map(esc).join("<br>");
}

const STYLE = `
:root { --ink: #1d1d1f; --muted: #5b5b63; --rule: #d9d9de; --band: #f5f6f8; --accent: #1f5fa8; }
* { box-sizing: border-box; }
html { font-size: 16px; }
body { margin: 0; color: var(--ink); background: #fff;
  font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
  line-height: 1.5; }
main { max-width: 1240px; margin: 0 auto; padding: 2rem 2.2rem 4rem; }
header.top { border-bottom: 2px solid var(--ink); padding-bottom: 1rem; margin-bottom: 1.5rem; }
h1 { font-size: 1.75rem; line-height: 1.2; margin: 0 0 .4rem; }
h2 { font-size: 1.35rem; margin: 2.6rem 0 .6rem; padding-top: .4rem; border-top: 1px solid var(--rule); }
h3 { font-size: 1.08rem; margin: 2rem 0 .4rem; }
p, li { max-width: 78ch; }
.lede { color: var(--muted); margin: .2rem 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
nav.toc { background: var(--band); border: 1px solid var(--rule); border-radius: 6px;
  padding: .8rem 1.2rem; margin: 1rem 0 1.5rem; columns: 2 22rem; }
nav.toc h2 { border: 0; margin: 0 0 .3rem; padding: 0; font-size: 1rem; column-span: all; }
nav.toc ol { margin: 0; padding-left: 1.3rem; }
nav.toc li { break-inside: avoid; }
nav.toc ol ol { padding-left: 1.1rem; font-size: .93rem; }
.scroll { overflow-x: auto; margin: .6rem 0; }
table { border-collapse: collapse; font-size: .9rem; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--rule); padding: .35rem .6rem; vertical-align: top; }
thead th { background: var(--band); text-align: center; font-weight: 600; }
tbody th { background: var(--band); text-align: left; font-weight: 600; white-space: nowrap; }
td { text-align: right; white-space: nowrap; }
td .sub { color: var(--muted); font-size: .85em; }
table.kv td { text-align: left; white-space: normal; }
table.claims th, table.claims td { text-align: left; white-space: normal; font-size: .86rem; }
table.claims tbody th { white-space: normal; width: 24%; }
table.claims td:nth-child(2) { width: 30%; }
table.claims ul { margin: .3rem 0; padding-left: 1.1rem; }
.verdict { display: inline-block; padding: .1rem .45rem; border-radius: 4px; font-weight: 600;
  white-space: nowrap; }
.verdict.holds { background: #dff3e4; color: #13602b; }
.verdict.fails { background: #fbe1e1; color: #8a1c1c; }
.verdict.unclear { background: #eeeef1; color: #4a4a55; }
table.kv td code { white-space: pre-wrap; word-break: break-word; }
ul.notes { color: var(--muted); font-size: .9rem; padding-left: 1.2rem; margin: .4rem 0 1rem; }
.empty { color: var(--muted); font-style: italic; }
.reference { margin-top: .8rem; }
.reference > p { font-weight: 600; margin: .2rem 0; }
figure { margin: 1.2rem 0 2.2rem; }
figure .svg { overflow-x: auto; border: 1px solid var(--rule); border-radius: 6px; padding: .5rem; }
figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: .92rem; color: var(--muted); margin-top: .5rem; max-width: 95ch; }
figcaption strong { color: var(--ink); }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: .86em; }
details { margin: .6rem 0; }
summary { cursor: pointer; color: var(--accent); }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--rule);
  padding-top: .8rem; }
@media print {
  html { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav.toc { columns: 1; }
  h2 { break-before: auto; break-after: avoid; }
  h3 { break-after: avoid; }
  figure, .scroll, table { break-inside: avoid; }
  /* Keep a table's or figure's heading with it when the whole fits on a page. */
  section.table, section.figure { break-inside: avoid-page; }
  .scroll, figure .svg { overflow: visible; }
  a { color: inherit; }
  details > *:not(summary) { display: block; }
}
`;

function gridHtml(g: Grid): string {
  if (g.columns.length === 0) return "";
  const head = `<thead><tr>${g.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join("")}` +
    `</tr></thead>`;
  const body = g.rows.map((r) =>
    `<tr><th scope="row">${multiline(r[0])}</th>` +
    r.slice(1).map((c) => {
      const [first, ...rest] = c.split("\n");
      const sub = rest.length > 0
        ? `<br><span class="sub">${rest.map(esc).join("<br>")}</span>`
        : "";
      return `<td>${esc(first)}${sub}</td>`;
    }).join("") + `</tr>`
  ).join("\n");
  return `<div class="scroll"><table>${head}<tbody>\n${body}\n</tbody></table></div>`;
}

function notesHtml(notes: readonly string[]): string {
  return notes.length === 0
    ? ""
    : `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>`;
}

/** The claims table: a verdict badge per claim, text that wraps. */
function claimsHtml(g: Grid): string {
  const cls = (v: string) => v === "holds" ? "holds" : v === "does not hold" ? "fails" : "unclear";
  const cell = (s: string) => {
    const [first, ...rest] = s.split("\n");
    return esc(first) +
      (rest.length > 0
        ? `<details><summary>${rest.length} comparison${rest.length > 1 ? "s" : ""}</summary>` +
          `<ul>${rest.map((r) => `<li>${esc(r)}</li>`).join("")}</ul></details>`
        : "");
  };
  const body = g.rows.map((r) =>
    `<tr><th scope="row">${esc(r[0])}</th><td>${multiline(r[1])}</td><td>${cell(r[2])}</td>` +
    `<td><span class="verdict ${cls(r[3])}">${esc(r[3])}</span></td></tr>`
  ).join("\n");
  return `<div class="scroll"><table class="claims"><thead><tr>${
    g.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join("")
  }</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function tableSection(t: Table): string {
  const body = t.grid.rows.length > 0
    ? (t.id === "claims" ? claimsHtml(t.grid) : gridHtml(t.grid))
    : `<p class="empty">No values for this profile: see the notes.</p>`;
  const ref = t.reference
    ? `<div class="reference"><p>${esc(t.reference.title)}</p>${gridHtml(t.reference.grid)}</div>`
    : "";
  return `<section id="${esc(t.id)}" class="table">
<h3>${esc(t.title)}</h3>
<p>${esc(t.description)}</p>
${body}
${notesHtml(t.notes)}
${ref}
</section>`;
}

function figureSection(f: ReportFigure): string {
  const content = f.svg
    ? `<div class="svg">${inlineSvg(f.svg, `fig-${f.name}`, f.title)}</div>`
    : `<p class="empty">Not drawn for this profile.</p>`;
  return `<section id="fig-${esc(f.name)}" class="figure">
<h3>${esc(f.title)}</h3>
<figure data-figure="${esc(f.name)}">
${content}
<figcaption><strong>${esc(f.title)}.</strong> ${esc(f.caption)}</figcaption>
</figure>
${notesHtml(f.notes)}
</section>`;
}

function paramValue(v: unknown): string {
  if (typeof v === "string") return esc(v);
  return `<code>${esc(JSON.stringify(v))}</code>`;
}

function paramsTable(params: Record<string, unknown>): string {
  const keys = Object.keys(params).sort();
  if (keys.length === 0) return `<p class="empty">The step was given no parameters.</p>`;
  return `<div class="scroll"><table class="kv"><thead><tr><th>parameter</th><th>value</th></tr></thead><tbody>
${
    keys.map((k) => `<tr><th scope="row">${esc(k)}</th><td>${paramValue(params[k])}</td></tr>`)
      .join("\n")
  }
</tbody></table></div>`;
}

/** Upstream records grouped by step: instances, distinct code hashes, npm packages. */
export function groupUpstream(records: readonly UpstreamRecord[]): {
  step: string;
  instances: number;
  code: string[];
  npm: string[];
  records: UpstreamRecord[];
}[] {
  const steps = [...new Set(records.map((r) => r.step))];
  return steps.map((step) => {
    const rs = records.filter((r) => r.step === step);
    return {
      step,
      instances: rs.length,
      code: [...new Set(rs.map((r) => r.code))],
      npm: [...new Set(rs.flatMap((r) => r.npm ?? []))].sort(),
      records: rs,
    };
  });
}

function short(hash: string): string {
  return hash.length > 16 ? hash.slice(0, 16) + "…" : hash;
}

function provenance(input: ReportInput): string {
  // Only what the inputs, the parameters and the code decide (no dates, no
  // file times): a rerun on the same inputs writes the same bytes.
  const rows = input.denoVersion === undefined ? [] : [["Deno", esc(input.denoVersion)]];
  const kv = rows.length === 0
    ? ""
    : `<div class="scroll"><table class="kv"><tbody>${
      rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join("")
    }</tbody></table></div>`;
  const up = input.upstream ?? [];
  if (up.length === 0) {
    // The report step passes none: they are not part of its key (docs/report.md).
    return kv + `<p class="empty">Code hashes, npm versions and cache keys of the runs behind ` +
      `these results are in the store's run records (<code>explain</code>) and in an archive's ` +
      `<code>ro-crate-metadata.json</code>; they are left out of this page, which is cached by ` +
      `the content of its inputs only.</p>`;
  }
  const groups = groupUpstream(up);
  const summary =
    `<div class="scroll"><table class="kv"><thead><tr><th>step</th><th>instances</th>` +
    `<th>code hash</th><th>npm packages</th></tr></thead><tbody>\n${
      groups.map((g) =>
        `<tr><th scope="row">${esc(g.step)}</th><td>${g.instances}</td><td>${
          g.code.map((c) => `<code title="${esc(c)}">${esc(short(c))}</code>`).join("<br>")
        }</td><td>${
          g.npm.length
            ? g.npm.map((n) => `<code>${esc(n)}</code>`).join(", ")
            : "none"
        }</td></tr>`
      ).join("\n")
    }\n</tbody></table></div>`;
  const all = `<details><summary>All ${up.length} upstream instances</summary>
<div class="scroll"><table class="kv"><thead><tr><th>instance</th><th>code</th><th>cache key</th></tr></thead><tbody>
${
    up.map((r) =>
      `<tr><th scope="row">${esc(r.id)}</th><td><code>${esc(r.code)}</code></td><td><code>${
        esc(r.key)
      }</code></td></tr>`
    ).join("\n")
  }
</tbody></table></div></details>`;
  const multi = groups.filter((g) => g.code.length > 1);
  const warn = multi.length > 0
    ? `<p><strong>Note:</strong> ${multi.map((g) => esc(g.step)).join(", ")} ran with more than ` +
      `one code version across instances.</p>`
    : "";
  return kv + summary + warn + all;
}

/** The report's sections after the profile: the paper's story, each figure beside its tables. */
export const SECTIONS: readonly { id: string; title: string; intro: string; items: string[] }[] = [
  {
    id: "findings",
    title: "Findings",
    intro: "The paper's claims, each with the paper's evidence, this run's, and a verdict " +
      "computed by a written rule (docs/report.md, “Findings”).",
    items: ["table:claims"],
  },
  {
    id: "model",
    title: "The model",
    intro: "How an image becomes P overlapping patches, and the circuit of the QNN that reads " +
      "each patch.",
    items: ["fig:fig2_patches", "fig:fig5_circuit"],
  },
  {
    id: "training",
    title: "Training and generalisation",
    intro: "Loss curves, the reported model's test performance, and model sizes.",
    items: ["fig:fig1_loss", "table:table1", "table:table4", "table:table2"],
  },
  {
    id: "landscape",
    title: "Loss landscapes",
    intro: "The training loss on the plane of the trajectory's first two principal components.",
    items: ["fig:fig3_landscape", "table:table6"],
  },
  {
    id: "hessian",
    title: "Hessian at the minimum",
    intro: "Sharpness of the minimum: the largest Hessian eigenvalue, its spectrum, and how it " +
      "scales with the number of patches against the theory's 1/P² (Gauss-Newton) and 1/P " +
      "(curvature) terms.",
    items: [
      "table:table3",
      "table:table5",
      "fig:lambda_max",
      "table:lambda_ratios",
      "table:exponents",
      "fig:hessian_split",
      "table:hessian_split",
      "fig:fig4_density",
      "table:spectrum",
      "table:aggregate_variant",
    ],
  },
];

interface Item {
  key: string;
  anchor: string;
  title: string;
  html: () => string;
  drawn: boolean;
}

/** The sections with their items; anything not placed by SECTIONS lands in "Other results". */
function arrange(
  input: ReportInput,
): { id: string; title: string; intro: string; items: Item[] }[] {
  const items = new Map<string, Item>();
  for (const t of input.tables.tables) {
    items.set(`table:${t.id}`, {
      key: `table:${t.id}`,
      anchor: t.id,
      title: t.title,
      html: () => tableSection(t),
      drawn: t.grid.rows.length > 0,
    });
  }
  for (const f of input.figures) {
    items.set(`fig:${f.name}`, {
      key: `fig:${f.name}`,
      anchor: `fig-${f.name}`,
      title: f.title,
      html: () => figureSection(f),
      drawn: f.svg !== null,
    });
  }
  const placed = new Set<string>();
  const out = SECTIONS.map((sec) => ({
    ...sec,
    items: sec.items.flatMap((k) => {
      const it = items.get(k);
      if (!it) return [];
      placed.add(k);
      return [it];
    }),
  }));
  const rest = [...items.values()].filter((it) => !placed.has(it.key));
  if (rest.length > 0) {
    out.push({ id: "other", title: "Other results", intro: "", items: rest });
  }
  return out.filter((sec) => sec.items.length > 0);
}

/** Renders the whole report page. */
export function reportHtml(input: ReportInput): string {
  const s = input.tables.study;
  const name = input.profileName ?? "(unnamed profile)";
  const title = `Distributed QNN loss landscapes — ${name}`;
  const all = arrange(input);
  // The findings come first, before the profile: what the run says, then how it was made.
  const findings = all.filter((sec) => sec.id === "findings");
  const sections = all.filter((sec) => sec.id !== "findings");
  const first = findings.length;
  const tocOf = (secs: typeof sections) =>
    secs.map((sec) =>
      `<li><a href="#${sec.id}">${esc(sec.title)}</a><ol>${
        sec.items.map((it) =>
          `<li><a href="#${esc(it.anchor)}">${esc(it.title)}</a>${it.drawn ? "" : " (empty)"}</li>`
        ).join("")
      }</ol></li>`
    ).join("\n");
  const toc = tocOf(sections);
  const section = (sec: (typeof sections)[number], number: number) =>
    `<section id="${sec.id}">
<h2>${number}. ${esc(sec.title)}</h2>
${sec.intro ? `<p>${esc(sec.intro)}</p>` : ""}
${sec.items.map((it) => it.html()).join("\n")}
</section>`;
  const body = sections.map((sec, i) => section(sec, i + first + 2)).join("\n");
  const top = findings.map((sec) => section(sec, 1)).join("\n");
  const summary = `P ∈ {${s.Ps.join(", ")}} × d ∈ {${s.ds.join(", ")}}, seeds ` +
    `${s.seeds.join(", ")} (first seed ${s.first_seed}), ${s.runs} runs`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header class="top">
<h1>${esc(title)}</h1>
<p class="lede">Reproduction of “The effect of the number of parameters and the number of local ` +
    `feature patches on loss landscapes in distributed quantum neural networks”: tables and ` +
    `figures of profile <strong>${esc(name)}</strong>.</p>
<p class="lede">${esc(summary)}. Where a configuration lies on the paper's grid ` +
    `(P ∈ {4, 9, 16}, d ∈ {50, 100, 150, 200}), table cells show the paper's value and ` +
    `Δ = ours − paper under our value.</p>
</header>
<nav class="toc" aria-label="Contents">
<h2>Contents</h2>
<ol>
${tocOf(findings)}
<li><a href="#profile">Profile and parameters</a></li>
${toc}
<li><a href="#provenance">Provenance</a></li>
</ol>
</nav>
${top}
<section id="profile">
<h2>${first + 1}. Profile and parameters</h2>
<p>Profile <strong>${esc(name)}</strong>: ${esc(summary)}.</p>
${paramsTable(input.params)}
${s.notes.length > 0 ? `<h3>Notes on the inputs</h3>${notesHtml(s.notes)}` : ""}
</section>
${body}
<section id="provenance">
<h2>${sections.length + first + 2}. Provenance</h2>
${provenance(input)}
</section>
<footer>Generated by the pipeline's <code>report</code> step. Self-contained: figures are inline ` +
    `SVG; no external resources.</footer>
</main>
</body>
</html>
`;
}
