/**
 * λ_max against P on log-log axes, one colour per depth, with the theory's
 * 1/P² and 1/P curves anchored at the smallest P (P = 4 in the paper's
 * grid), and the paper's Table 3 values where the depth matches.
 *
 * @module
 */

import type { Hessian } from "../artifacts/mod.ts";
import { PAPER_P, paperLambdaMax, runsOf, type Study, summarize } from "../study/mod.ts";
import type { TopLevelSpec } from "./deps.ts";
import type { Figure } from "./figure_spec.ts";
import { CONFIG, sig } from "./theme.ts";

const LAW_2 = "∝ 1/P² (Gauss-Newton)";
const LAW_1 = "∝ 1/P (curvature)";

/** Mean ± sample std over seeds of one Hessian quantity for (P, d). */
export function seedMean(
  study: Study,
  P: number,
  d: number,
  pick: (h: Hessian) => number | null | undefined,
): { mean: number; std: number; n: number } | null {
  const xs = runsOf(study, P, d).flatMap((r) => {
    const v = r.hessian ? pick(r.hessian) : null;
    return v != null && Number.isFinite(v) ? [v] : [];
  });
  return xs.length > 0 ? summarize(xs) : null;
}

/** Straight-line (in log-log) reference points of `anchor * (P0/P)^k` over the P range. */
export function lawRows(
  Ps: readonly number[],
  P0: number,
  anchor: number,
  k: number,
  extra: Record<string, unknown>,
): Record<string, unknown>[] {
  const lo = Math.min(...Ps);
  const hi = Math.max(...Ps);
  return [lo, hi].map((P) => ({ ...extra, P, value: sig(anchor * (P0 / P) ** k) }));
}

/** Builds the λ_max-vs-P figure. */
export function lambdaMaxFigure(study: Study): Figure {
  const P0 = study.Ps[0];
  const base = {
    name: "lambda_max",
    title: "λ_max against the number of patches",
    caption: `Largest Hessian eigenvalue at the minimum against P, log-log, one colour per ` +
      `depth d (mean over seeds; bars: ± sample std when several seeds). Dashed and dotted: ` +
      `the theory's 1/P² (Gauss-Newton term) and 1/P (curvature term) scalings anchored at ` +
      `P = ${P0}. Diamonds: the paper's Table 3 (seed 1001) where d matches.`,
  };
  if (!study.available.hessian) {
    return { ...base, spec: null, notes: ["No 'hessian' input: nothing to draw."] };
  }
  const measured: Record<string, unknown>[] = [];
  const laws: Record<string, unknown>[] = [];
  const paper: Record<string, unknown>[] = [];
  const notes: string[] = [];
  for (const d of study.ds) {
    const pts = study.Ps.map((P) => ({ P, s: seedMean(study, P, d, (h) => h.lambda_max) }))
      .filter((p) => p.s !== null && p.s.mean > 0);
    for (const { P, s } of pts) {
      const std = Number.isFinite(s!.std) ? s!.std : 0;
      measured.push({
        d,
        P,
        lambda_max: sig(s!.mean),
        lo: sig(Math.max(s!.mean - std, s!.mean * 1e-3)),
        hi: sig(s!.mean + std),
        n: s!.n,
      });
    }
    const anchor = pts.find((p) => p.P === P0);
    if (anchor && study.Ps.length > 1) {
      laws.push(...lawRows(study.Ps, P0, anchor.s!.mean, 2, { d, law: LAW_2 }));
      laws.push(...lawRows(study.Ps, P0, anchor.s!.mean, 1, { d, law: LAW_1 }));
    } else if (study.Ps.length > 1) {
      notes.push(`d = ${d}: no λ_max at P = ${P0}, so no theory curves for this depth.`);
    }
    for (const P of PAPER_P) {
      const v = paperLambdaMax(P, d);
      if (v !== null) paper.push({ d, P, lambda_max: v });
    }
  }
  if (measured.length === 0) return { ...base, spec: null, notes: ["No positive λ_max to plot."] };
  const Ps = [...new Set([...study.Ps, ...paper.map((p) => p.P as number)])].sort((a, b) => a - b);
  const x = {
    field: "P",
    type: "quantitative",
    title: "number of patches P",
    scale: { type: "log", nice: false, padding: 12 },
    axis: { values: Ps, format: "d" },
  };
  const y = { type: "quantitative", title: "λ_max", scale: { type: "log" } };
  const color = { field: "d", type: "ordinal", title: "depth d", scale: { scheme: "category10" } };
  // Legend entries only for what is drawn (no "paper" entry off the paper's depths).
  const shapes = [
    ["this profile", "circle"],
    ...(paper.length > 0 ? [["paper (seed 1001)", "diamond"]] : []),
  ];
  const shapeScale = { domain: shapes.map((x) => x[0]), range: shapes.map((x) => x[1]) };
  const layers: Record<string, unknown>[] = [];
  if (laws.length > 0) {
    layers.push({
      data: { values: laws },
      mark: { type: "line", strokeWidth: 1.2, opacity: 0.75 },
      encoding: {
        x,
        y: { ...y, field: "value" },
        color,
        detail: { field: "law" },
        strokeDash: {
          field: "law",
          type: "nominal",
          title: "theory",
          scale: { domain: [LAW_2, LAW_1], range: [[6, 3], [2, 2]] },
        },
      },
    });
  }
  layers.push(
    {
      data: { values: measured },
      mark: { type: "rule", strokeWidth: 1.2 },
      encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" }, color },
    },
    {
      data: { values: measured },
      mark: { type: "line", strokeWidth: 2, point: { size: 55, filled: true } },
      encoding: {
        x,
        y: { ...y, field: "lambda_max" },
        color,
        shape: { datum: "this profile", scale: shapeScale, title: null },
        tooltip: [{ field: "P" }, { field: "d" }, { field: "lambda_max", format: ".3f" }, {
          field: "n",
          title: "seeds",
        }],
      },
    },
  );
  if (paper.length > 0) {
    layers.push({
      data: { values: paper },
      mark: { type: "point", size: 70, filled: false, strokeWidth: 1.6 },
      encoding: {
        x,
        y: { ...y, field: "lambda_max" },
        color,
        shape: { datum: "paper (seed 1001)", scale: shapeScale, title: null },
      },
    });
  }
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: base.title,
      subtitle: laws.length > 0 ? `log-log; theory anchored at P = ${P0}` : "log-log",
    },
    config: { ...CONFIG, legend: { ...CONFIG.legend, labelLimit: 280 } },
    width: 420,
    height: 300,
    layer: layers,
  };
  return { ...base, spec: spec as unknown as TopLevelSpec, notes };
}
