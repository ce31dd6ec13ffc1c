/**
 * Figure 3: the training-loss landscape on the PCA plane of the trajectory,
 * one contour panel per configuration (P rows x d columns, first seed), with
 * the trajectory over it: start red cross, end dark-blue cross, minimum
 * orange cross. Contours come from `marching_squares.ts`.
 *
 * A grid of concatenated panels rather than a facet, because each panel has
 * its own axes and axis titles (the explained-variance ratios differ).
 *
 * @module
 */

import type { Landscape } from "../artifacts/mod.ts";
import { findRun, type Study } from "../study/mod.ts";
import type { TopLevelSpec } from "./deps.ts";
import type { Figure } from "./figure_spec.ts";
import { PUBLISHED_STEP, publishedLevels } from "./levels.ts";
import { isolines } from "./marching_squares.ts";
import { CONFIG, CROSS_PATH, MARKER_COLORS, sig } from "./theme.ts";

const PANEL_W = 210;
const PANEL_H = 180;
const MARKER_SIZES = { start: 130, end: 230, minimum: 110 } as const;

/** The shared colour encoding of the three trajectory markers (one legend for all panels). */
const markerColor = {
  field: "role",
  type: "nominal",
  title: "trajectory",
  scale: {
    domain: ["start", "end", "minimum"],
    range: [MARKER_COLORS.start, MARKER_COLORS.end, MARKER_COLORS.minimum],
  },
};

function pct(r: number): string {
  return Number.isFinite(r) ? `${(100 * r).toFixed(1)}%` : "?";
}

/**
 * The published figure's axis units: each axis divided by the norm of the
 * trajectory's coordinates on it (`np.linalg.norm(pred_tr_2d, axis=0)`); 1
 * for an axis the trajectory does not move along.
 */
export function axisScale(l: Landscape): [number, number] {
  const norm = (k: 0 | 1) => Math.sqrt(l.trajectory.reduce((s, p) => s + p[k] * p[k], 0));
  const [a, b] = [norm(0), norm(1)];
  return [a > 0 ? a : 1, b > 0 ? b : 1];
}

/**
 * Contour rows of one landscape, one row per polyline vertex, in the
 * published figure's axis units (`axisScale`), at its levels
 * (`publishedLevels`); `labels` has one point per isoline for its label.
 */
export function contourRows(
  l: Landscape,
): { rows: Record<string, unknown>[]; levels: number[]; labels: Record<string, unknown>[] } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of l.loss) {
    for (const v of row) {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  const levels = publishedLevels(lo, hi);
  const [sx, sy] = axisScale(l);
  const rows: Record<string, unknown>[] = [];
  const labels: Record<string, unknown>[] = [];
  let line = 0;
  for (const level of levels) {
    for (const poly of isolines(l.loss, l.x, l.y, level)) {
      poly.forEach(([x, y], k) =>
        rows.push({ line, order: k, level, x: sig(x / sx), y: sig(y / sy) })
      );
      // One label per isoline long enough to carry it, at its middle vertex.
      if (poly.length >= 4) {
        const [x, y] = poly[Math.floor(poly.length / 2)];
        labels.push({ level, x: sig(x / sx), y: sig(y / sy) });
      }
      line++;
    }
  }
  return { rows, levels, labels };
}

/** The three marked points of a trajectory: start, end, minimum (epoch `min_epoch`). */
export function trajectoryMarkers(
  l: Landscape,
): { role: string; epoch: number; x: number; y: number }[] {
  const t = l.trajectory;
  const [sx, sy] = axisScale(l);
  const last = t.length - 1;
  const m = Math.min(Math.max(0, Math.round(l.min_epoch)), last);
  // Epochs in the paper's numbering: the initialisation is epoch -1.
  const at = (role: string, i: number) => ({
    role,
    epoch: i - 1,
    x: sig(t[i][0] / sx),
    y: sig(t[i][1] / sy),
  });
  return [at("start", 0), at("end", last), at("minimum", m)];
}

function extent(xs: readonly number[]): [number, number] {
  return [Math.min(...xs), Math.max(...xs)];
}

function panel(l: Landscape, colourDomain: [number, number]): Record<string, unknown> {
  const { rows, labels } = contourRows(l);
  const [evr1, evr2] = l.explained_variance_ratio;
  const [sx, sy] = axisScale(l);
  const x = {
    field: "x",
    type: "quantitative",
    title: `PC1 (${pct(evr1)})`,
    scale: { domain: extent(l.x.map((v) => v / sx)), nice: false, zero: false },
  };
  const y = {
    field: "y",
    type: "quantitative",
    title: `PC2 (${pct(evr2)})`,
    scale: { domain: extent(l.y.map((v) => v / sy)), nice: false, zero: false },
  };
  return {
    title: { text: `P = ${l.P}, d = ${l.d}`, fontSize: 12.5, anchor: "middle" },
    width: PANEL_W,
    height: PANEL_H,
    layer: [
      {
        data: { values: rows },
        mark: { type: "line", strokeWidth: 1, clip: true },
        encoding: {
          x,
          y,
          detail: { field: "line", type: "nominal" },
          order: { field: "order", type: "quantitative" },
          stroke: {
            field: "level",
            type: "quantitative",
            title: "training loss",
            scale: { scheme: "viridis", domain: colourDomain },
          },
        },
      },
      {
        data: { values: labels },
        mark: { type: "text", fontSize: 8, color: "#333", clip: true },
        encoding: { x, y, text: { field: "level", type: "quantitative", format: ".1f" } },
      },
      {
        data: {
          values: l.trajectory.map(([tx, ty], i) => ({
            epoch: i - 1,
            x: sig(tx / sx),
            y: sig(ty / sy),
          })),
        },
        mark: { type: "line", color: "#444", strokeWidth: 1, point: { size: 9, color: "#444" } },
        encoding: { x, y, order: { field: "epoch", type: "quantitative" } },
      },
      // One layer per marker, drawn start, end, minimum, the end larger: when training ended
      // at its minimum the orange cross sits on a bigger dark-blue one and both stay visible.
      ...(["start", "end", "minimum"] as const).map((role) => ({
        data: { values: trajectoryMarkers(l).filter((m) => m.role === role) },
        mark: {
          type: "point",
          shape: CROSS_PATH,
          filled: false,
          strokeWidth: 2.6,
          opacity: 1,
          size: MARKER_SIZES[role],
        },
        encoding: { x, y, color: markerColor, tooltip: [{ field: "role" }, { field: "epoch" }] },
      })),
    ],
  };
}

function placeholder(P: number, d: number): Record<string, unknown> {
  return {
    title: { text: `P = ${P}, d = ${d}`, fontSize: 12.5, anchor: "middle", color: "#888" },
    width: PANEL_W,
    height: PANEL_H,
    data: { values: [{ text: "no landscape" }] },
    mark: { type: "text", color: "#888", fontSize: 12 },
    encoding: { text: { field: "text" } },
  };
}

/** Builds Figure 3 from the study's landscapes. */
export function fig3Landscape(study: Study): Figure {
  const base = {
    name: "fig3_landscape",
    title: "Figure 3: loss landscapes and optimisation trajectories",
    caption: `Full-training-set loss on the plane of the first two principal components of ` +
      `the QNN parameters along training (initialisation and every epoch), origin at the ` +
      `minimum-training-loss point's projection, seed ${study.firstSeed}, P rows × d columns, ` +
      `as published: each axis divided by the norm of the trajectory's coordinates on it, ` +
      `labelled contour lines every ${PUBLISHED_STEP} in loss from floor(10 · min) / 10, one ` +
      `colour scale for all panels; grey: the trajectory; red cross: start, dark-blue cross: ` +
      `end, orange cross: minimum training loss (epochs in the paper's numbering, ` +
      `initialisation = −1). Axis titles give each component's explained-variance ratio.`,
  };
  if (!study.available.landscape) {
    return { ...base, spec: null, notes: ["No 'landscape' input: nothing to draw."] };
  }
  const notes: string[] = [];
  const panels: Record<string, unknown>[] = [];
  let drawn = 0;
  // One colour scale for every panel: from the lowest panel's first level to the highest level.
  const all = study.Ps.flatMap((P) =>
    study.ds.flatMap((d) => findRun(study, P, d, study.firstSeed)?.landscape ?? [])
  ).flatMap((l) => contourRows(l).levels);
  const colourDomain: [number, number] = all.length > 0
    ? [Math.min(...all), Math.max(...all)]
    : [0, 1];
  for (const P of study.Ps) {
    for (const d of study.ds) {
      const l = findRun(study, P, d, study.firstSeed)?.landscape;
      if (l) {
        panels.push(panel(l, colourDomain));
        drawn++;
      } else {
        panels.push(placeholder(P, d));
        notes.push(`No landscape.json for P=${P} d=${d} seed=${study.firstSeed}.`);
      }
    }
  }
  if (drawn === 0) return { ...base, spec: null, notes };
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: base.title, subtitle: `seed ${study.firstSeed}` },
    config: { ...CONFIG, concat: { spacing: 28 } },
    columns: study.ds.length,
    concat: panels,
    resolve: { scale: { stroke: "shared", color: "shared" } },
  };
  return { ...base, spec: spec as unknown as TopLevelSpec, notes };
}
