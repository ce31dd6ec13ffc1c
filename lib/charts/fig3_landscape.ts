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
import { contourLevels } from "./levels.ts";
import { isolines } from "./marching_squares.ts";
import { CONFIG, CROSS_PATH, MARKER_COLORS, sig } from "./theme.ts";

/** About how many contour levels a panel gets. */
const LEVELS = 12;
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

/** Contour rows of one landscape: one row per polyline vertex. */
export function contourRows(l: Landscape): { rows: Record<string, unknown>[]; levels: number[] } {
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
  const levels = contourLevels(lo, hi, LEVELS);
  const rows: Record<string, unknown>[] = [];
  let line = 0;
  for (const level of levels) {
    for (const poly of isolines(l.loss, l.x, l.y, level)) {
      poly.forEach(([x, y], k) => rows.push({ line, order: k, level, x: sig(x), y: sig(y) }));
      line++;
    }
  }
  return { rows, levels };
}

/** The three marked points of a trajectory: start, end, minimum (epoch `min_epoch`). */
export function trajectoryMarkers(
  l: Landscape,
): { role: string; epoch: number; x: number; y: number }[] {
  const t = l.trajectory;
  const last = t.length - 1;
  const m = Math.min(Math.max(0, Math.round(l.min_epoch)), last);
  return [
    { role: "start", epoch: 0, x: sig(t[0][0]), y: sig(t[0][1]) },
    { role: "end", epoch: last, x: sig(t[last][0]), y: sig(t[last][1]) },
    { role: "minimum", epoch: m, x: sig(t[m][0]), y: sig(t[m][1]) },
  ];
}

function extent(xs: readonly number[]): [number, number] {
  return [Math.min(...xs), Math.max(...xs)];
}

function panel(l: Landscape): Record<string, unknown> {
  const { rows } = contourRows(l);
  const [evr1, evr2] = l.explained_variance_ratio;
  const x = {
    field: "x",
    type: "quantitative",
    title: `PC1 (${pct(evr1)})`,
    scale: { domain: extent(l.x), nice: false, zero: false },
  };
  const y = {
    field: "y",
    type: "quantitative",
    title: `PC2 (${pct(evr2)})`,
    scale: { domain: extent(l.y), nice: false, zero: false },
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
            scale: { scheme: "viridis" },
          },
        },
      },
      {
        data: {
          values: l.trajectory.map(([tx, ty], epoch) => ({ epoch, x: sig(tx), y: sig(ty) })),
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
      `the QNN parameters along training (initialisation and every epoch), centred on the ` +
      `minimum-training-loss point, seed ${study.firstSeed}, P rows × d columns. Contour ` +
      `lines at a uniform loss interval per panel (colour: loss); grey: the trajectory; red ` +
      `cross: start, dark-blue cross: end, orange cross: minimum training loss. Axis titles ` +
      `give each component's explained-variance ratio.`,
  };
  if (!study.available.landscape) {
    return { ...base, spec: null, notes: ["No 'landscape' input: nothing to draw."] };
  }
  const notes: string[] = [];
  const panels: Record<string, unknown>[] = [];
  let drawn = 0;
  for (const P of study.Ps) {
    for (const d of study.ds) {
      const l = findRun(study, P, d, study.firstSeed)?.landscape;
      if (l) {
        panels.push(panel(l));
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
