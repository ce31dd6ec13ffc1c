/**
 * The tables behind the report's Findings: `claims` (each claim of the
 * paper, the paper's evidence, ours, and the verdict computed by the rules of
 * `lib/study/claims.ts`), `spectrum` (the top eigenvalues of every
 * first-seed Hessian with the gap rule's outlier count) and `exponents` (the
 * fitted exponent of λ_max against P per depth and Hessian term).
 *
 * @module
 */

import type { CsvCell, Table } from "../artifacts/mod.ts";
import {
  evaluateClaims,
  type ExponentFit,
  findRun,
  MIN_TOP_EIGENVALUES,
  OUTLIER_GAP,
  outlierCount,
  paperExponents,
  type Study,
  studyExponents,
  THEORY_EXPONENT,
  topEigenvalues,
} from "../study/mod.ts";
import { fixed, MISSING } from "./format.ts";

/** The `claims` table: one row per claim, its verdict decided by code. */
export function claimsTable(study: Study): Table {
  const claims = evaluateClaims(study);
  return {
    id: "claims",
    title: "Findings: the paper's claims, tested",
    description: "Each claim of the paper, the evidence the paper gives, the evidence of this " +
      "run, and a verdict decided by the rule written in docs/report.md (“Findings”): holds, " +
      "does not hold, or inconclusive (too few configurations or seeds, or a spread over seeds " +
      "that does not separate the comparison).",
    grid: {
      columns: ["claim", "paper's evidence", "this run", "verdict"],
      rows: claims.map((c) => [
        c.claim,
        c.paperEvidence + (c.paperVerdict
          ? `\nThe same rule on the paper's numbers: ` +
            `${c.paperVerdict}.`
          : ""),
        [c.reason, ...c.comparisons.map((x) => `${x.outcome}: ${x.label}: ${x.detail}`)].join(
          "\n",
        ),
        c.verdict,
      ]),
    },
    csv: {
      columns: [
        "id",
        "claim",
        "verdict",
        "paper_verdict",
        "reason",
        "comparisons",
        "supporting",
        "contradicting",
        "unclear",
        "min_seeds",
        "paper_evidence",
        "evidence",
      ],
      rows: claims.map((c): CsvCell[] => [
        c.id,
        c.claim,
        c.verdict,
        c.paperVerdict,
        c.reason,
        c.comparisons.length,
        c.comparisons.filter((x) => x.outcome === "supports").length,
        c.comparisons.filter((x) => x.outcome === "contradicts").length,
        c.comparisons.filter((x) => x.outcome === "unclear").length,
        c.comparisons.length > 0 ? Math.min(...c.comparisons.map((x) => x.seeds)) : null,
        c.paperEvidence,
        c.comparisons.map((x) => `${x.outcome}: ${x.label}: ${x.detail}`).join(" | "),
      ]),
    },
    notes: [
      "Verdicts are computed, never set by hand: an ordering claim holds when every comparison " +
      "supports it, does not hold when any contradicts it, and is inconclusive otherwise. With " +
      "two or more seeds on both sides, a comparison is a 95% percentile bootstrap interval of " +
      "the difference of the seed means (2,000 resamples, fixed PRNG seed); with one seed it is " +
      "the point comparison, as the paper's single-seed tables are.",
      "Where the paper printed the numbers, the same rule is applied to them (its Table 1, 3, " +
      "6): a claim the paper's own numbers do not carry under a strict rule says so.",
    ],
  };
}

function sig3(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : MISSING;
}

/** The `spectrum` table: the top eigenvalues of each first-seed Hessian and its outlier count. */
export function spectrumTable(study: Study): Table {
  const rows: string[][] = [];
  const csvRows: CsvCell[][] = [];
  let short = 0;
  for (const P of study.Ps) {
    for (const d of study.ds) {
      const h = findRun(study, P, d, study.firstSeed)?.hessian;
      if (!h) continue;
      const top = topEigenvalues(h);
      const m = outlierCount(top);
      if (top.length < MIN_TOP_EIGENVALUES) short++;
      const shown = top.map((v, i) => (m !== null && i === m ? "| " : "") + sig3(v));
      rows.push([
        String(P),
        String(d),
        // Ten per line, so a cell stays readable.
        [shown.slice(0, 10).join("  "), shown.slice(10).join("  ")].filter((s) => s).join("\n"),
        m === null ? "no gap" : String(m),
        fixed(m !== null && m < top.length ? top[m] : NaN, 4),
      ]);
      csvRows.push([P, d, study.firstSeed, top.length, m, top.join(" ")]);
    }
  }
  const notes = [
    `The largest eigenvalues of the Hessian at the minimum, seed ${study.firstSeed}: the exact ` +
    "spectrum's when the model is small enough, else the Ritz values of the first SLQ probe " +
    "(Lanczos, `slq_steps` steps, `top_k` of them kept). Lanczos finds well-separated " +
    "outliers first; the values below the gap stand for the bulk, not individual eigenvalues.",
    `Outliers by the gap rule: with t_1 ≥ t_2 ≥ …, a gap follows t_i when t_i > ` +
    `${OUTLIER_GAP.floor} t_1 and t_i / max(t_(i+1), ${OUTLIER_GAP.floor} t_1) ≥ ` +
    `${OUTLIER_GAP.ratio}; the count is the position of the last gap (the edge of the bulk), ` +
    "marked “|” in the list.",
  ];
  if (short > 0) {
    notes.push(
      `${short} configuration(s) carry fewer than ${MIN_TOP_EIGENVALUES} eigenvalues (top_k or ` +
        `slq_steps too small): the outlier claim is inconclusive there.`,
    );
  }
  return {
    id: "spectrum",
    title: "Top Hessian eigenvalues and outliers above the bulk",
    description: "The largest eigenvalues at the minimum, one row per configuration, and how " +
      "many stand above the bulk by the gap rule (the paper: about as many as the classes, 10).",
    grid: rows.length > 0
      ? { columns: ["P", "d", "top eigenvalues (descending)", "outliers", "bulk edge"], rows }
      : { columns: [], rows: [] },
    csv: { columns: ["P", "d", "seed", "k", "outliers", "top"], rows: csvRows },
    notes: study.available.hessian ? notes : ["No 'hessian' input: this table is empty."],
  };
}

function interval(f: ExponentFit): string {
  return Number.isFinite(f.se)
    ? `${fixed(f.interval[0], 2)} .. ${fixed(f.interval[1], 2)}`
    : MISSING;
}

/** The `exponents` table: b in λ_max ∝ P^b, per depth and term, with its standard error. */
export function exponentsTable(study: Study): Table {
  const fits = [
    ...studyExponents(study).map((f) => ({ f, source: "ours" })),
    ...paperExponents()
      .map((f) => ({ f, source: "paper (Table 3)" })),
  ];
  const theory = (t: ExponentFit["term"]) => t === "full" ? MISSING : String(THEORY_EXPONENT[t]);
  const termName = { full: "full Hessian", gauss_newton: "Gauss-Newton", curvature: "curvature" };
  return {
    id: "exponents",
    title: "Exponents of λ_max against P",
    description: "The slope b of log λ_max on log P at each depth (λ_max ∝ P^b), for the full " +
      "Hessian and each of its terms, with its standard error and 95% interval, beside the " +
      "theory's −2 (Gauss-Newton) and −1 (curvature).",
    grid: fits.length > 0
      ? {
        columns: ["source", "d", "term", "b", "± se", "95% interval", "runs", "theory"],
        rows: fits.map(({ f, source }) => [
          source,
          String(f.d),
          termName[f.term],
          fixed(f.slope, 3),
          fixed(f.se, 3),
          interval(f),
          String(f.n),
          theory(f.term),
        ]),
      }
      : { columns: [], rows: [] },
    csv: {
      columns: ["source", "d", "term", "slope", "se", "ci_lo", "ci_hi", "n", "n_P", "theory"],
      rows: fits.map(({ f, source }) => [
        source,
        f.d,
        f.term,
        f.slope,
        Number.isFinite(f.se) ? f.se : null,
        Number.isFinite(f.se) ? f.interval[0] : null,
        Number.isFinite(f.se) ? f.interval[1] : null,
        f.n,
        f.nP,
        f.term === "full" ? null : THEORY_EXPONENT[f.term],
      ]),
    },
    notes: [
      "Least squares of log λ_max on log P over every run at that depth (each seed a point); " +
      "se = sqrt(SSR / (n − 2) / Sxx); the interval is b ± t(0.975, n − 2) se, so with one " +
      "seed and three values of P (one degree of freedom) it is wide. Two points give a slope " +
      "but no standard error.",
      "A term's λ_max that is not positive cannot enter the logarithm and is left out (the " +
      "runs column counts what was fitted).",
    ],
  };
}
