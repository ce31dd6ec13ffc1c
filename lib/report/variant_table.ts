/**
 * The variant the paper's conclusion proposes: logits from the sum of the QNN
 * outputs scaled by 1/√P instead of their mean. When the study holds runs of
 * more than one aggregation (the `aggregate` axis), one table compares λ_max,
 * test accuracy and the fitted exponent of λ_max against P under each.
 *
 * @module
 */

import type { CsvCell, Table } from "../artifacts/mod.ts";
import { fitExponent, type Run, type Study, summarize } from "../study/mod.ts";
import { fixed, meanStd, MISSING } from "./format.ts";

/** How the report names each aggregation. */
const AGGREGATE_LABEL: Readonly<Record<string, string>> = { mean: "mean (1/P)", sqrt: "1/√P" };

function label(a: string): string {
  return AGGREGATE_LABEL[a] ?? a;
}

function cell(xs: number[], decimals: number): string {
  if (xs.length === 0) return MISSING;
  const s = summarize(xs);
  return xs.length > 1 ? meanStd(s.mean, s.std, decimals) : fixed(s.mean, decimals);
}

/**
 * The `aggregate_variant` table ("mean vs 1/√P"), or null when the study has
 * one aggregation only (the table is then absent, not empty).
 */
export function aggregateVariantTable(study: Study): Table | null {
  if (study.aggregates.length < 2) return null;
  const rows: string[][] = [];
  const csvRows: CsvCell[][] = [];
  const configs = new Map<string, { P: number; d: number }>();
  for (const a of study.aggregates) {
    for (const r of study.byAggregate[a]) configs.set(`${r.P}|${r.d}`, { P: r.P, d: r.d });
  }
  const sorted = [...configs.values()].sort((x, y) => x.P - y.P || x.d - y.d);
  const lambdas = (runs: Run[]) =>
    runs.flatMap((r) => Number.isFinite(r.hessian?.lambda_max) ? [r.hessian!.lambda_max] : []);
  const accs = (runs: Run[]) => runs.flatMap((r) => r.best ? [r.best.test_acc] : []);
  for (const { P, d } of sorted) {
    for (const a of study.aggregates) {
      const runs = study.byAggregate[a].filter((r) => r.P === P && r.d === d);
      if (runs.length === 0) continue;
      const l = lambdas(runs);
      const acc = accs(runs);
      rows.push([String(P), String(d), label(a), String(runs.length), cell(l, 3), cell(acc, 4)]);
      const ls = l.length > 0 ? summarize(l) : null;
      const as = acc.length > 0 ? summarize(acc) : null;
      csvRows.push([
        "config",
        P,
        d,
        a,
        runs.length,
        ls?.mean ?? null,
        ls && ls.n > 1 ? ls.std : null,
        as?.mean ?? null,
        as && as.n > 1 ? as.std : null,
        null,
        null,
      ]);
    }
  }
  // The exponent b in λ_max ∝ P^b per depth under each aggregation: 1/√P changes the
  // prefactors of both Hessian terms, so the slope against P is what the variant moves.
  const ds = [...new Set(sorted.map((c) => c.d))].sort((x, y) => x - y);
  for (const d of ds) {
    for (const a of study.aggregates) {
      const points = study.byAggregate[a].filter((r) => r.d === d).flatMap((r) =>
        Number.isFinite(r.hessian?.lambda_max) ? [{ P: r.P, value: r.hessian!.lambda_max }] : []
      );
      if (new Set(points.map((p) => p.P)).size < 2) continue;
      const f = fitExponent(d, "full", points);
      const b = Number.isFinite(f.se)
        ? `b = ${fixed(f.slope, 3)} ± ${fixed(f.se, 3)}`
        : `b = ${fixed(f.slope, 3)}`;
      rows.push(["all", String(d), label(a), String(f.n), b, MISSING]);
      csvRows.push([
        "exponent",
        null,
        d,
        a,
        f.n,
        null,
        null,
        null,
        null,
        f.slope,
        Number.isFinite(f.se) ? f.se : null,
      ]);
    }
  }
  return {
    id: "aggregate_variant",
    title: "Aggregation: mean vs 1/√P",
    description: "The paper's model (logits = 100 × mean of the P QNN outputs) beside the " +
      "variant its conclusion proposes (100 × sum / √P): λ_max and test accuracy at the " +
      "minimum-training-loss epoch per configuration, and the exponent b of λ_max ∝ P^b per " +
      "depth (rows 'all').",
    grid: {
      columns: ["P", "d", "aggregation", "runs", "λ_max (mean ± std) / exponent", "test accuracy"],
      rows,
    },
    csv: {
      columns: [
        "kind",
        "P",
        "d",
        "aggregate",
        "n",
        "lambda_max_mean",
        "lambda_max_std",
        "test_acc_mean",
        "test_acc_std",
        "exponent",
        "exponent_se",
      ],
      rows: csvRows,
    },
    notes: [
      "Every other table and figure shows the first aggregation (the paper's mean).",
      "Exponent: least squares of log λ_max on log P over every run of that depth and " +
      "aggregation (each seed a point), as the exponents table fits it; ± its standard error " +
      "where there are 3 points or more.",
    ],
  };
}
