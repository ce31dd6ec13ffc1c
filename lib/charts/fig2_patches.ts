/**
 * Figure 2: how an image is cut into overlapping patches. One panel per
 * number of patches P (the study's, else the paper's 4, 9, 16), side by
 * side: the 14 x 14 pooled example digit as a grey heatmap, and the P
 * 8 x 8 windows as outlined rectangles, one colour and a numbered badge per
 * window, numbered in patch order (row by row, SPEC.md "Data"). The window
 * geometry comes from `lib/data/patches.ts` (`layoutForPatchCount`), the
 * code that cuts the patches for training, never re-derived here.
 *
 * @module
 */

import { layoutForPatchCount, type PatchLayout } from "../data/mod.ts";
import { readNpy } from "../io/mod.ts";
import { PAPER_P } from "../study/mod.ts";
import { StepError } from "../step/mod.ts";
import type { TopLevelSpec } from "./deps.ts";
import type { Figure } from "./figure_spec.ts";
import { CONFIG, sig } from "./theme.ts";

/** The image the figure cuts: side `n`, `n * n` values row-major. */
export interface ExampleImage {
  n: number;
  pixels: ArrayLike<number>;
}

/** Pixels per image pixel. */
const CELL = 16;
/** Window side (SPEC.md: 8 x 8 windows). */
const WINDOW = 8;
/** The largest value a preprocessed pixel takes: byte 255 -> 2pi/8. */
const X_MAX = Math.PI / 4;
/** Outline colours by patch number (1-based), saturated enough to show over the grey digit. */
export const WINDOW_COLORS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#17becf",
  "#8c564b",
  "#e377c2",
  "#7a7d00",
  "#393b79",
  "#e7298a",
  "#3f8f00",
  "#a6761d",
  "#1b9e77",
  "#6a51a3",
  "#d95f02",
];
/**
 * Outline insets (in image pixels) so that coinciding edges of different windows stay apart:
 * `INSET_BASE` plus a step per window row or column, at most `INSET_MAX` in all.
 */
const INSET_BASE = 0.1;
const INSET_STEP = 0.14;
const INSET_MAX = 0.46;
/** Badge size in image pixels. */
const BADGE_W = 1.35;
const BADGE_H = 1;

/**
 * Reads the first image of a preprocessed image array (`train_x.npy`: `<f4`
 * `[n, side, side]`); null when it holds no image.
 */
export async function readFirstImage(path: string): Promise<ExampleImage | null> {
  const a = await readNpy(path);
  const [count, rows, cols] = a.shape;
  if (a.dtype !== "f4" || a.shape.length !== 3 || rows !== cols) {
    throw new StepError(
      `${path}: expected preprocessed images, <f4 [n, 14, 14]; found ${a.dtype} [${a.shape}]`,
    );
  }
  if (count === 0) return null;
  return { n: rows, pixels: a.data.slice(0, rows * cols) };
}

/** The P values to draw: the study's, else the paper's. */
export function patchCounts(studyPs: readonly number[]): number[] {
  return studyPs.length > 0 ? [...studyPs] : [...PAPER_P];
}

/** One window as the spec's inline data holds it: offsets exactly as the layout gives them. */
export interface WindowRow {
  P: number;
  /** 1-based, in patch order. */
  patch: number;
  /** Top-left corner (row, column) and side, in image pixels. */
  r: number;
  c: number;
  k: number;
  /** Outline and badge colour. */
  color: string;
  /** The drawn outline (inset so coinciding edges stay apart) and badge corner. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** The windows of a layout, in patch order. */
export function windowRows(layout: PatchLayout, P: number): WindowRow[] {
  return layout.offsets.map(([r, c], p) => {
    // Windows of one row share their top and bottom edges, windows of one column their left
    // and right edges: inset the horizontal edges by column index and the vertical ones by row
    // index, so no two outlines run along the same line.
    const i = r / layout.s;
    const j = c / layout.s;
    const step = Math.min(INSET_STEP, (INSET_MAX - INSET_BASE) / Math.max(1, layout.perSide - 1));
    const dx = INSET_BASE + step * i;
    const dy = INSET_BASE + step * j;
    return {
      P,
      patch: p + 1,
      r,
      c,
      k: layout.k,
      color: WINDOW_COLORS[p % WINDOW_COLORS.length],
      x0: sig(c + dx, 4),
      x1: sig(c + layout.k - dx, 4),
      y0: sig(r + dy, 4),
      y1: sig(r + layout.k - dy, 4),
    };
  });
}

/** The window edges: the axis ticks of a panel. */
function edges(layout: PatchLayout): number[] {
  const s = new Set<number>();
  for (const [, c] of layout.offsets) {
    s.add(c);
    s.add(c + layout.k);
  }
  return [...s].sort((a, b) => a - b);
}

function panel(image: ExampleImage, layout: PatchLayout, P: number): Record<string, unknown> {
  const n = image.n;
  const pixels: Record<string, number>[] = [];
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      pixels.push({ row, col, x: sig(image.pixels[row * n + col], 4) });
    }
  }
  const ticks = edges(layout);
  const scale = { domain: [0, n], nice: false, zero: false };
  const axis = { values: ticks, grid: false, tickSize: 4, labelFontSize: 9.5, titleFontSize: 11 };
  const x = { type: "quantitative", scale, axis: { ...axis, title: "column" } };
  const y = {
    type: "quantitative",
    scale: { ...scale, reverse: true },
    axis: { ...axis, title: "row" },
  };
  const sList = [...new Set(layout.offsets.map(([r]) => r))].join(", ");
  return {
    title: {
      text: `P = ${P}`,
      subtitle: `stride ${layout.s}: r, c ∈ {${sList}}`,
      fontSize: 13,
      subtitleFontSize: 10.5,
      anchor: "middle",
    },
    width: n * CELL,
    height: n * CELL,
    layer: [
      {
        data: { values: pixels },
        transform: [{ calculate: "datum.col + 1", as: "col2" }, {
          calculate: "datum.row + 1",
          as: "row2",
        }],
        mark: { type: "rect", strokeWidth: 0 },
        encoding: {
          x: { ...x, field: "col" },
          x2: { field: "col2" },
          y: { ...y, field: "row" },
          y2: { field: "row2" },
          color: {
            field: "x",
            type: "quantitative",
            scale: { domain: [0, X_MAX], range: ["#ffffff", "#4d4d4d"] },
            legend: null,
          },
          tooltip: [
            { field: "row", type: "quantitative" },
            { field: "col", type: "quantitative" },
            { field: "x", type: "quantitative", format: ".3f" },
          ],
        },
      },
      {
        name: `windows_P${P}`,
        data: { values: windowRows(layout, P) },
        layer: [
          {
            mark: {
              type: "rect",
              filled: false,
              strokeWidth: layout.perSide > 3 ? 1.6 : 2,
              opacity: 1,
            },
            encoding: {
              x: { ...x, field: "x0" },
              x2: { field: "x1" },
              y: { ...y, field: "y0" },
              y2: { field: "y1" },
              stroke: { field: "color", type: "nominal", scale: null },
              tooltip: [
                { field: "patch", type: "quantitative" },
                { field: "r", type: "quantitative", title: "top row" },
                { field: "c", type: "quantitative", title: "left column" },
              ],
            },
          },
          {
            transform: [
              { calculate: `datum.x0 + ${BADGE_W}`, as: "bx" },
              { calculate: `datum.y0 + ${BADGE_H}`, as: "by" },
            ],
            mark: { type: "rect", opacity: 0.92 },
            encoding: {
              x: { ...x, field: "x0" },
              x2: { field: "bx" },
              y: { ...y, field: "y0" },
              y2: { field: "by" },
              fill: { field: "color", type: "nominal", scale: null },
            },
          },
          {
            transform: [
              { calculate: `datum.x0 + ${BADGE_W / 2}`, as: "tx" },
              { calculate: `datum.y0 + ${BADGE_H / 2}`, as: "ty" },
            ],
            mark: {
              type: "text",
              color: "white",
              fontSize: 10,
              fontWeight: "bold",
              baseline: "middle",
              align: "center",
            },
            encoding: {
              x: { ...x, field: "tx" },
              y: { ...y, field: "ty" },
              text: { field: "patch", type: "nominal" },
            },
          },
        ],
      },
    ],
  };
}

/**
 * Builds Figure 2 from the example image (undefined: no `images` input; null: the input
 * holds no image) and the study's numbers of patches.
 */
export function fig2Patches(
  image: ExampleImage | null | undefined,
  studyPs: readonly number[],
): Figure {
  const Ps = patchCounts(studyPs);
  const base = {
    name: "fig2_patches",
    title: "Figure 2: an image cut into overlapping patches",
    caption: `The first training image after preprocessing (angles x = byte / 255 · π/4, 2 × 2 ` +
      `average pooling to 14 × 14; darker: larger x) with the P windows of ${WINDOW} × ${WINDOW} ` +
      `pixels each QNN receives, for P = ${Ps.join(", ")}${
        studyPs.length > 0 ? " (the profile's numbers of patches)" : " (the paper's)"
      }. Top-left corners at every (r, c) with r, c in the panel's set (the stride), ` +
      `numbered in patch order: row by row, r outer, c inner. Outlines are drawn slightly ` +
      `inset so that coinciding edges stay visible; axis ticks mark the window edges.`,
  };
  if (image === undefined) {
    return {
      ...base,
      spec: null,
      notes: ["No 'images' input (the preprocessed training images): nothing to draw."],
    };
  }
  if (image === null) {
    return { ...base, spec: null, notes: ["The 'images' input holds no image."] };
  }
  const notes: string[] = [];
  const panels: Record<string, unknown>[] = [];
  for (const P of Ps) {
    let layout: PatchLayout;
    try {
      layout = layoutForPatchCount(P, image.n, WINDOW);
    } catch (e) {
      notes.push(`P = ${P} not drawn: ${(e as Error).message}.`);
      continue;
    }
    if (layout.count > WINDOW_COLORS.length) {
      notes.push(`P = ${P}: more windows than colours; numbers tell them apart.`);
    }
    panels.push(panel(image, layout, P));
  }
  if (panels.length === 0) return { ...base, spec: null, notes };
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: base.title,
      subtitle: `the first training image, ${image.n} × ${image.n}; ${WINDOW} × ${WINDOW} ` +
        `windows numbered in patch order`,
    },
    config: { ...CONFIG, view: { stroke: null }, concat: { spacing: 30 } },
    hconcat: panels,
  };
  return { ...base, spec: spec as unknown as TopLevelSpec, notes };
}
