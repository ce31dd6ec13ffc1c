/**
 * Figure 4: the Hessian eigenvalue density (stochastic Lanczos quadrature)
 * at the minimum, log-scale y, P rows x d columns, first seed; one eigenvalue
 * axis per column and the outliers marked by the claims' gap rule.
 *
 * @module
 */

import {
  configurations,
  findRun,
  OUTLIER_GAP,
  outlierCount,
  type Study,
  topEigenvalues,
} from "../study/mod.ts";
import type { TopLevelSpec } from "./deps.ts";
import type { Figure } from "./figure_spec.ts";
import { CONFIG, rowHeader, sig } from "./theme.ts";

/**
 * Added to the density before the log scale, as PyHessian's own plot does
 * (`semilogy(grids, density + 1e-7)`): zeros of the Gaussian-broadened
 * density would otherwise fall off the axis.
 */
export const DENSITY_FLOOR = 1e-7;

/** The size of one panel. */
const PANEL = { width: 190, height: 130 } as const;

/** Colour of the outlier rules (the gap rule's outliers). */
const OUTLIER_COLOR = "#c0392b";

/**
 * The outliers of a run's spectrum by the gap rule of the claims
 * (`outlierCount` on `topEigenvalues`), largest first; empty without a gap.
 */
export function spectrumOutliers(hessian: Parameters<typeof topEigenvalues>[0]): number[] {
  const top = topEigenvalues(hessian);
  const m = outlierCount(top);
  return m === null ? [] : top.slice(0, m);
}

/** Builds Figure 4 from the study's density.csv files (and the outliers from hessian.json). */
export function fig4Density(study: Study): Figure {
  const base = {
    name: "fig4_density",
    title: "Figure 4: Hessian eigenvalue density",
    caption: `Density of the Hessian eigenvalues at the minimum (stochastic Lanczos ` +
      `quadrature with Gaussian broadening), seed ${study.firstSeed}, P rows × d columns, ` +
      `log-scale y with ${DENSITY_FLOOR} added as in PyHessian's plot. The panels of a column ` +
      `(one d) share the eigenvalue axis, so that the compression of the spectrum toward zero ` +
      `as P grows shows. Red rules: the outliers by the gap rule of the Findings' outlier ` +
      `count (a gap after t_i when t_i ≥ ${OUTLIER_GAP.ratio} × max(t_(i+1), ` +
      `${OUTLIER_GAP.floor} λ_max)), their number in the corner. A bulk near zero and about ` +
      `as many outliers as classes (up to λ_max) is the structure the paper reports.`,
  };
  if (!study.available.density) {
    return { ...base, spec: null, notes: ["No 'density' input: nothing to draw."] };
  }
  const values: Record<string, unknown>[] = [];
  const notes: string[] = [];
  const ds = new Set<number>();
  for (const { P, d } of configurations(study)) {
    const run = findRun(study, P, d, study.firstSeed);
    if (!run?.density) {
      notes.push(`No density.csv for P=${P} d=${d} seed=${study.firstSeed}.`);
      continue;
    }
    ds.add(d);
    for (const r of run.density) {
      if (!Number.isFinite(r.lambda) || !Number.isFinite(r.density)) continue;
      values.push({
        P,
        d,
        lambda: sig(r.lambda),
        density: sig(Math.max(r.density, 0) + DENSITY_FLOOR),
      });
    }
    if (run.hessian) {
      const outliers = spectrumOutliers(run.hessian);
      for (const o of outliers) values.push({ P, d, outlier: sig(o) });
      values.push({
        P,
        d,
        label: outliers.length === 0
          ? "no gap"
          : `${outliers.length} outlier${outliers.length === 1 ? "" : "s"}`,
      });
    }
  }
  if (values.length === 0) return { ...base, spec: null, notes };
  const columns = [...ds].sort((a, b) => a - b);
  // One facet (P rows) per d, side by side: a facet resolves its scales for all panels or
  // for each, never per column, and a shared axis per column is what shows the compression.
  const column = (d: number, i: number) => ({
    title: { text: `d = ${d}`, anchor: "middle", fontSize: 12, fontWeight: "bold" },
    transform: [{ filter: `datum.d == ${d}` }],
    facet: {
      row: {
        field: "P",
        type: "ordinal",
        header: i === 0 ? rowHeader() : { title: null, labels: false },
      },
    },
    resolve: { scale: { x: "shared" } },
    spec: {
      ...PANEL,
      layer: [
        {
          transform: [{ filter: "datum.outlier != null" }],
          mark: { type: "rule", color: OUTLIER_COLOR, strokeWidth: 0.8, opacity: 0.7 },
          encoding: {
            x: { field: "outlier", type: "quantitative" },
            tooltip: [{ field: "outlier", type: "quantitative", title: "outlier", format: ".4g" }],
          },
        },
        {
          transform: [{ filter: "datum.lambda != null" }],
          mark: { type: "line", strokeWidth: 1.3, color: "#3a5a98" },
          encoding: {
            x: {
              field: "lambda",
              type: "quantitative",
              title: "eigenvalue",
              scale: { zero: false },
            },
            y: {
              field: "density",
              type: "quantitative",
              title: i === 0 ? "density (log)" : null,
              scale: { type: "log" },
              axis: { format: ".0e", tickCount: 5 },
            },
          },
        },
        {
          transform: [{ filter: "datum.label != null" }],
          mark: {
            type: "text",
            align: "right",
            baseline: "top",
            fontSize: 10,
            color: OUTLIER_COLOR,
          },
          encoding: {
            text: { field: "label", type: "nominal" },
            x: { value: PANEL.width - 4 },
            y: { value: 4 },
          },
        },
      ],
    },
  });
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: base.title, subtitle: `seed ${study.firstSeed}` },
    config: CONFIG,
    data: { values },
    hconcat: columns.map(column),
  };
  return { ...base, spec: spec as unknown as TopLevelSpec, notes };
}
