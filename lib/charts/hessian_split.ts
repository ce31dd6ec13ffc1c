/**
 * The Gauss-Newton vs curvature split of the Hessian: λ_max of the full
 * Hessian and of each term against P, log-log, one panel per depth, with
 * 1/P² and 1/P reference lines through the terms' values at the smallest P.
 *
 * @module
 */

import type { Hessian } from "../artifacts/mod.ts";
import type { Study } from "../study/mod.ts";
import type { TopLevelSpec } from "./deps.ts";
import type { Figure } from "./figure_spec.ts";
import { lawRows, seedMean } from "./lambda_max.ts";
import { CONFIG, sig } from "./theme.ts";

const TERMS = [
  { key: "full", label: "full Hessian", pick: (h: Hessian) => h.lambda_max },
  { key: "gn", label: "Gauss-Newton", pick: (h: Hessian) => h.gauss_newton?.lambda_max },
  { key: "curv", label: "curvature λ_max", pick: (h: Hessian) => h.curvature?.lambda_max },
  {
    key: "curv_min",
    label: "curvature |λ_min|",
    pick: (
      h: Hessian,
    ) => (h.curvature?.lambda_min != null ? Math.abs(h.curvature.lambda_min) : null),
  },
] as const;

/** Builds the Gauss-Newton vs curvature figure (one panel per depth). */
export function hessianSplitFigure(study: Study): Figure {
  const P0 = study.Ps[0];
  const base = {
    name: "hessian_split",
    title: "Gauss-Newton vs curvature term",
    caption: `λ_max of the full Hessian and of its two terms against P, log-log, one panel ` +
      `per depth (mean over seeds). Thin dashed lines: 1/P² through the Gauss-Newton value ` +
      `at P = ${P0} and 1/P through the curvature value at P = ${P0}. The paper's claim is ` +
      `that the Gauss-Newton term dominates at small P and falls as 1/P².`,
  };
  if (!study.available.hessian) {
    return { ...base, spec: null, notes: ["No 'hessian' input: nothing to draw."] };
  }
  const values: Record<string, unknown>[] = [];
  const refs: Record<string, unknown>[] = [];
  let dropped = 0;
  for (const d of study.ds) {
    for (const t of TERMS) {
      let anchor: number | null = null;
      for (const P of study.Ps) {
        const s = seedMean(study, P, d, t.pick);
        if (!s) continue;
        if (!(s.mean > 0)) {
          dropped++;
          continue;
        }
        if (P === P0) anchor = s.mean;
        values.push({ d, P, term: t.label, value: sig(s.mean), n: s.n });
      }
      if (anchor !== null && study.Ps.length > 1 && (t.key === "gn" || t.key === "curv")) {
        refs.push(
          ...lawRows(study.Ps, P0, anchor, t.key === "gn" ? 2 : 1, { d, term: t.label }),
        );
      }
    }
  }
  const notes: string[] = [];
  if (dropped > 0) notes.push(`${dropped} non-positive values left out of the log scale.`);
  const hasSplit = values.some((v) => v.term !== "full Hessian");
  if (!hasSplit) {
    return {
      ...base,
      spec: null,
      notes: [...notes, "No hessian.json carries the Gauss-Newton/curvature split."],
    };
  }
  const x = {
    field: "P",
    type: "quantitative",
    title: "number of patches P",
    scale: { type: "log", nice: false, padding: 12 },
    axis: { values: study.Ps, format: "d" },
  };
  const color = {
    field: "term",
    type: "nominal",
    title: "term",
    scale: {
      domain: TERMS.map((t) => t.label),
      range: ["#333333", "#1f77b4", "#d62728", "#ff9896"],
    },
  };
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: base.title, subtitle: "λ_max of each Hessian term, log-log" },
    config: CONFIG,
    data: {
      values: [
        ...values.map((v) => ({ ...v, kind: "measured" })),
        ...refs.map((r) => ({ ...r, kind: "theory" })),
      ],
    },
    facet: {
      column: {
        field: "d",
        type: "ordinal",
        header: { title: null, labelExpr: "'d = ' + datum.value" },
      },
    },
    spec: {
      width: 230,
      height: 220,
      layer: [
        {
          transform: [{ filter: "datum.kind == 'theory'" }],
          mark: { type: "line", strokeWidth: 1, strokeDash: [4, 3], opacity: 0.7 },
          encoding: {
            x,
            y: { field: "value", type: "quantitative", scale: { type: "log" }, title: "λ_max" },
            color,
          },
        },
        {
          transform: [{ filter: "datum.kind == 'measured'" }],
          mark: { type: "line", strokeWidth: 2, point: { size: 45, filled: true } },
          encoding: {
            x,
            y: { field: "value", type: "quantitative", scale: { type: "log" }, title: "λ_max" },
            color,
            tooltip: [{ field: "term" }, { field: "P" }, { field: "value", format: ".4g" }],
          },
        },
      ],
    },
  };
  return { ...base, spec: spec as unknown as TopLevelSpec, notes };
}
