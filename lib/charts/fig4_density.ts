/**
 * Figure 4: the Hessian eigenvalue density (stochastic Lanczos quadrature)
 * at the minimum, log-scale y, P rows x d columns, first seed.
 *
 * @module
 */

import { configurations, findRun, type Study } from "../study/mod.ts";
import type { TopLevelSpec } from "./deps.ts";
import type { Figure } from "./figure_spec.ts";
import { columnHeader, CONFIG, rowHeader, sig } from "./theme.ts";

/**
 * Added to the density before the log scale, as PyHessian's own plot does
 * (`semilogy(grids, density + 1e-7)`): zeros of the Gaussian-broadened
 * density would otherwise fall off the axis.
 */
export const DENSITY_FLOOR = 1e-7;

/** Builds Figure 4 from the study's density.csv files. */
export function fig4Density(study: Study): Figure {
  const base = {
    name: "fig4_density",
    title: "Figure 4: Hessian eigenvalue density",
    caption: `Density of the Hessian eigenvalues at the minimum (stochastic Lanczos ` +
      `quadrature with Gaussian broadening), seed ${study.firstSeed}, P rows × d columns, ` +
      `log-scale y with ${DENSITY_FLOOR} added as in PyHessian's plot. A bulk near zero and ` +
      `a few outliers (up to λ_max) is the structure the paper reports.`,
  };
  if (!study.available.density) {
    return { ...base, spec: null, notes: ["No 'density' input: nothing to draw."] };
  }
  const values: Record<string, unknown>[] = [];
  const notes: string[] = [];
  for (const { P, d } of configurations(study)) {
    const run = findRun(study, P, d, study.firstSeed);
    if (!run?.density) {
      notes.push(`No density.csv for P=${P} d=${d} seed=${study.firstSeed}.`);
      continue;
    }
    for (const r of run.density) {
      if (!Number.isFinite(r.lambda) || !Number.isFinite(r.density)) continue;
      values.push({
        P,
        d,
        lambda: sig(r.lambda),
        density: sig(Math.max(r.density, 0) + DENSITY_FLOOR),
      });
    }
  }
  if (values.length === 0) return { ...base, spec: null, notes };
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: base.title, subtitle: `seed ${study.firstSeed}` },
    config: CONFIG,
    data: { values },
    facet: {
      row: { field: "P", type: "ordinal", header: rowHeader() },
      column: { field: "d", type: "ordinal", header: columnHeader() },
    },
    resolve: { scale: { x: "independent" } },
    spec: {
      width: 190,
      height: 130,
      mark: { type: "line", strokeWidth: 1.3, color: "#3a5a98" },
      encoding: {
        x: { field: "lambda", type: "quantitative", title: "eigenvalue", scale: { zero: false } },
        y: {
          field: "density",
          type: "quantitative",
          title: "density (log)",
          scale: { type: "log" },
          axis: { format: ".0e", tickCount: 5 },
        },
      },
    },
  };
  return { ...base, spec: spec as unknown as TopLevelSpec, notes };
}
