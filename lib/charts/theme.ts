/**
 * The look shared by every figure: fonts, sizes, colours, and the header
 * labels of the P-rows x d-columns grids.
 *
 * @module
 */

/** Vega-Lite `config` of every figure. */
export const CONFIG = {
  background: "white",
  font: "DejaVu Sans, Helvetica, Arial, sans-serif",
  padding: 8,
  view: { stroke: "#c8c8c8" },
  title: {
    fontSize: 15,
    anchor: "start",
    offset: 10,
    subtitleFontSize: 11.5,
    subtitleColor: "#555",
  },
  axis: {
    labelFontSize: 10.5,
    titleFontSize: 11.5,
    titleFontWeight: "normal",
    gridColor: "#ececec",
  },
  header: { labelFontSize: 12, titleFontSize: 12, labelFontWeight: "bold" },
  legend: { labelFontSize: 10.5, titleFontSize: 11, titleFontWeight: "normal" },
} as const;

/** Colours of the train/test curves (colour-blind safe pair). */
export const SPLIT_COLORS = { train: "#1f77b4", test: "#e6550d" } as const;

/** Colours of the trajectory markers, as the paper's Figure 3 caption names them. */
export const MARKER_COLORS = { start: "red", end: "darkblue", minimum: "orange" } as const;

/** An "x" cross as an SVG path in the unit square, for stroke-only symbols. */
export const CROSS_PATH = "M-1,-1L1,1M-1,1L1,-1";

/** Facet header for the P rows. */
export function rowHeader(): Record<string, unknown> {
  return { title: null, labelExpr: "'P = ' + datum.value", labelAngle: 0, labelAlign: "left" };
}

/** Facet header for the d columns. */
export function columnHeader(): Record<string, unknown> {
  return { title: null, labelExpr: "'d = ' + datum.value" };
}

/** Rounds to `digits` significant digits, to keep inline data compact. */
export function sig(x: number, digits = 6): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}
