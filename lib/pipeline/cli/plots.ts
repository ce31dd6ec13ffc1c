/**
 * Generic figures of the experiment commands, from metric data only (the
 * engine knows no study): Vega-Lite specs for CSV metric series (one line
 * per instance and side) and for JSON metrics against a numeric matrix axis,
 * a timeline of instances, rendered headless to SVG (vega's "none"
 * renderer) and PNG (resvg compiled to WebAssembly, DejaVu Sans), and an
 * HTML page holding them. The study's own figures live in lib/charts/,
 * which the engine may not import; this is the small domain-free part.
 *
 * @module
 */

import * as vl from "vega-lite";
import * as vega from "vega";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import dejavuPackage from "dejavu-fonts-ttf/package.json" with { type: "json" };

/** A Vega-Lite spec (kept loose: the specs here are built from data, not typed by hand). */
export type VegaLiteSpec = Record<string, unknown>;

/** One figure: a file stem, a title and its spec. */
export interface Figure {
  name: string;
  title: string;
  spec: VegaLiteSpec;
}

/** Renders a Vega-Lite spec to an SVG document. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

let fonts: Promise<Uint8Array[]> | null = null;

function npmFile(specifier: string): string {
  const url = import.meta.resolve(specifier);
  if (!url.startsWith("file:")) throw new Error(`cannot locate ${specifier} (resolved to ${url})`);
  return decodeURIComponent(new URL(url).pathname);
}

/** SVG to PNG bytes (twice the SVG's size), text in DejaVu Sans. */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  if (!fonts) {
    fonts = (async () => {
      await initWasm(await Deno.readFile(npmFile("@resvg/resvg-wasm/index_bg.wasm")));
      void dejavuPackage; // in the module graph so import.meta.resolve finds the fonts
      return [await Deno.readFile(npmFile("dejavu-fonts-ttf/ttf/DejaVuSans.ttf"))];
    })();
  }
  const fontBuffers = await fonts;
  const r = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 2 },
    background: "white",
    font: { fontBuffers, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  try {
    const img = r.render();
    try {
      return img.asPng();
    } finally {
      img.free();
    }
  } finally {
    r.free();
  }
}

/** Points of a metric series for one side and instance. */
export interface SeriesRow {
  side: string;
  instance: string;
  x: number;
  y: number;
}

/**
 * Lines of one CSV metric over its first column: colour = side, one line
 * per instance (dashed for the second side).
 */
export function seriesFigure(
  name: string,
  metric: string,
  xName: string,
  rows: SeriesRow[],
): Figure {
  return {
    name,
    title: metric,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: metric,
      width: 480,
      height: 280,
      data: { values: rows },
      mark: { type: "line", point: rows.length <= 200 },
      encoding: {
        x: { field: "x", type: "quantitative", title: xName },
        y: { field: "y", type: "quantitative", title: metric, scale: { zero: false } },
        color: { field: "side", type: "nominal", title: "run" },
        strokeDash: { field: "side", type: "nominal", title: "run" },
        detail: { field: "instance", type: "nominal" },
        tooltip: [{ field: "instance" }, { field: "x" }, { field: "y" }],
      },
    },
  };
}

/** A JSON metric against a numeric matrix axis: one line per side (and other axes' values). */
export function axisFigure(
  name: string,
  metric: string,
  axis: string,
  rows: { side: string; group: string; x: number; y: number }[],
): Figure {
  return {
    name,
    title: `${metric} against ${axis}`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: `${metric} against ${axis}`,
      width: 480,
      height: 280,
      data: { values: rows },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "x", type: "quantitative", title: axis },
        y: { field: "y", type: "quantitative", title: metric, scale: { zero: false } },
        color: { field: "side", type: "nominal", title: "run" },
        strokeDash: { field: "side", type: "nominal", title: "run" },
        detail: { field: "group", type: "nominal" },
      },
    },
  };
}

/** Instances as bars over time (start to end), coloured by step. */
export function timelineFigure(
  rows: { instance: string; step: string; start: string; end: string }[],
): Figure {
  return {
    name: "timeline",
    title: "timeline",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: "instances over time",
      width: 640,
      height: { step: 14 },
      data: { values: rows },
      mark: "bar",
      encoding: {
        y: { field: "instance", type: "nominal", sort: { field: "start" }, title: null },
        x: { field: "start", type: "temporal", title: "time" },
        x2: { field: "end" },
        color: { field: "step", type: "nominal" },
        tooltip: [{ field: "instance" }, { field: "start" }, { field: "end" }],
      },
    },
  };
}

function esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * Writes every figure as `<name>.svg`, `<name>.png` and `<name>.vl.json`,
 * and `index.html` with the SVGs inline (plus `extraHtml`, e.g. a table).
 * Returns the paths written.
 */
export async function writeFigures(
  dir: string,
  title: string,
  figures: Figure[],
  extraHtml = "",
): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const written: string[] = [];
  const parts: string[] = [];
  for (const f of figures) {
    const svg = await renderSvg(f.spec);
    for (
      const [file, data] of [
        [`${f.name}.svg`, svg],
        [`${f.name}.vl.json`, JSON.stringify(f.spec, null, 2) + "\n"],
      ] as const
    ) {
      await Deno.writeTextFile(`${dir}/${file}`, data);
      written.push(`${dir}/${file}`);
    }
    await Deno.writeFile(`${dir}/${f.name}.png`, await svgToPng(svg));
    written.push(`${dir}/${f.name}.png`);
    parts.push(`<figure><figcaption>${esc(f.title)}</figcaption>\n${svg}\n</figure>`);
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:1em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style>
</head><body><h1>${esc(title)}</h1>
${extraHtml}
${parts.join("\n")}
</body></html>
`;
  await Deno.writeTextFile(`${dir}/index.html`, html);
  written.push(`${dir}/index.html`);
  return written;
}

/** An HTML table (cells escaped). */
export function htmlTable(head: string[], rows: string[][]): string {
  const tr = (cells: string[], tag: string) =>
    `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join("")}</tr>`;
  return `<table>${tr(head, "th")}${rows.map((r) => tr(r, "td")).join("")}</table>`;
}
