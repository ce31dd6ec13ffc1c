/**
 * The paper's claims, each decided by a rule written down here and in
 * docs/report.md ("Findings"), never by hand: the evidence of this run, the
 * same rule applied to the paper's own numbers where it printed them, and a
 * verdict (holds / does not hold / inconclusive).
 *
 * Most claims are orderings ("λ_max falls as P grows"): a list of
 * comparisons between two configurations. With two or more seeds on both
 * sides a comparison is a percentile bootstrap interval of the difference
 * of the seed means (2,000 resamples, a fixed PRNG stream per comparison);
 * with one seed it is the point comparison, as the paper's own tables are.
 *
 * @module
 */

import { Prng } from "../util/mod.ts";
import {
  modelParams,
  paperLambdaMax,
  paperPca,
  paperTable1,
  TABLE1_CELLS,
  TABLE3_LAMBDA_MAX,
  TABLE6_PCA,
} from "./paper_values.ts";
import { bootstrapMeanDifference, fitLine, mean, tQuantile975 } from "./stats.ts";
import { type Run, runsOf, type Study } from "./study.ts";

/** A claim's verdict. */
export type Verdict = "holds" | "does not hold" | "inconclusive";

/** What one comparison says about its claim. */
export type Outcome = "supports" | "contradicts" | "unclear";

/** One comparison (or one check) behind a verdict. */
export interface Comparison {
  /** What is compared, e.g. `d = 10: P = 4 → 9`. */
  label: string;
  outcome: Outcome;
  /** The numbers, e.g. `12.1 → 3.4 (95% interval of the difference −9.9 .. −7.1)`. */
  detail: string;
  /** Seeds behind the less-sampled side (1: a point comparison). */
  seeds: number;
}

/** One claim with its evidence and verdict. */
export interface ClaimResult {
  id: string;
  /** The claim as the paper makes it. */
  claim: string;
  /** Where the paper's evidence is, and what it says. */
  paperEvidence: string;
  /** The same rule on the paper's numbers (null: the paper printed none to apply it to). */
  paperVerdict: Verdict | null;
  verdict: Verdict;
  /** Why this verdict: the rule applied and the counts. */
  reason: string;
  comparisons: Comparison[];
}

/** The PRNG seed of every bootstrap of the claims (with the comparison's label as its stream). */
export const CLAIMS_BOOTSTRAP_SEED = 2504_19239;
/** Resamples of each bootstrap interval. */
export const BOOTSTRAP_RESAMPLES = 2000;
/** "A similar parameter count": the larger model has at most this factor more parameters. */
export const SIMILAR_PARAMS_RATIO = 1.25;
/** "The Gauss-Newton term sets λ_max": its λ_max within this fraction of the full Hessian's. */
export const GN_SHARE_TOLERANCE = 0.1;
/** The number of classes (the outlier count the paper expects). */
export const N_CLASSES = 10;
/** Outlier counts that are "about as many as the classes": C/2 .. 3C/2. */
export const OUTLIER_RANGE: readonly [number, number] = [5, 15];
/** Top eigenvalues needed to see a gap after up to 15 outliers. */
export const MIN_TOP_EIGENVALUES = 16;
/** The paper's threshold of the explained variance of PC1 + PC2 (its Appendix, Table 6). */
export const PCA_THRESHOLD = 0.9;

// ---------------------------------------------------------------- the comparison rules

/** Values of one configuration (one per seed) with its label. */
export interface Sample {
  label: string;
  values: number[];
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return "—";
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : x.toPrecision(4);
}

function meanText(s: Sample): string {
  return s.values.length > 1 ? `${fmt(mean(s.values))} (mean of ${s.values.length})` : fmt(
    s.values[0],
  );
}

/**
 * Compares configuration `b` against `a` for the claim "b is below a"
 * (`direction: "lower"`) or "b is above a" (`"higher"`).
 *
 * @example
 * ```ts
 * compare("d = 10: P = 4 → 9", { label: "P = 4", values: [12] }, { label: "P = 9", values: [3] }, "lower");
 * // { outcome: "supports", seeds: 1, ... }
 * ```
 */
export function compare(
  label: string,
  a: Sample,
  b: Sample,
  direction: "lower" | "higher",
): Comparison {
  const seeds = Math.min(a.values.length, b.values.length);
  const sign = direction === "lower" ? -1 : 1;
  const head = `${a.label} ${meanText(a)} → ${b.label} ${meanText(b)}`;
  if (seeds >= 2) {
    const rng = Prng.from(CLAIMS_BOOTSTRAP_SEED, `claims:${label}`);
    const [lo, hi] = bootstrapMeanDifference(b.values, a.values, rng, BOOTSTRAP_RESAMPLES);
    const outcome: Outcome = sign * lo > 0 && sign * hi > 0
      ? "supports"
      : sign * lo < 0 && sign * hi < 0
      ? "contradicts"
      : "unclear";
    return {
      label,
      outcome,
      detail: `${head}; 95% bootstrap interval of the difference ${fmt(lo)} .. ${fmt(hi)}`,
      seeds,
    };
  }
  const diff = mean(b.values) - mean(a.values);
  const outcome: Outcome = sign * diff > 0
    ? "supports"
    : sign * diff < 0
    ? "contradicts"
    : "unclear";
  return { label, outcome, detail: `${head} (one seed)`, seeds };
}

/**
 * Checks that a configuration's value lies in [lo, hi]: with two or more
 * seeds, by the bootstrap interval of the mean (inside: supports; wholly
 * outside: contradicts; straddling: unclear), with one by the value.
 */
export function withinBand(label: string, s: Sample, lo: number, hi: number): Comparison {
  // hi may be Infinity: a one-sided claim ("more than 90%").
  const seeds = s.values.length;
  if (seeds >= 2) {
    const rng = Prng.from(CLAIMS_BOOTSTRAP_SEED, `claims:${label}`);
    const [a, b] = bootstrapMeanDifference(s.values, [0], rng, BOOTSTRAP_RESAMPLES);
    const outcome: Outcome = a >= lo && b <= hi
      ? "supports"
      : b < lo || a > hi
      ? "contradicts"
      : "unclear";
    return {
      label,
      outcome,
      detail: `${meanText(s)}; 95% bootstrap interval ${fmt(a)} .. ${fmt(b)}`,
      seeds,
    };
  }
  const v = s.values[0];
  return {
    label,
    outcome: v >= lo && v <= hi ? "supports" : "contradicts",
    detail: `${fmt(v)} (one seed)`,
    seeds,
  };
}

/**
 * The verdict of a list of comparisons: inconclusive when there is none (too
 * few configurations or seeds), does not hold when any contradicts the
 * claim, holds when all support it, inconclusive otherwise (the spread over
 * seeds does not separate some comparison).
 *
 * @example
 * ```ts
 * combine([{ outcome: "supports" }, { outcome: "unclear" }] as Comparison[]).verdict; // "inconclusive"
 * ```
 */
export function combine(
  comparisons: readonly Comparison[],
  none = "too few configurations or seeds to compare",
): { verdict: Verdict; reason: string } {
  const count = (o: Outcome) => comparisons.filter((c) => c.outcome === o).length;
  const [s, c, u] = [count("supports"), count("contradicts"), count("unclear")];
  const n = comparisons.length;
  if (n === 0) return { verdict: "inconclusive", reason: none };
  const single = comparisons.every((x) => x.seeds < 2)
    ? " (one seed: point comparisons, no spread over seeds)"
    : comparisons.some((x) => x.seeds < 2)
    ? " (some with one seed: point comparisons)"
    : " (95% bootstrap intervals over seeds)";
  const tally = `${s} of ${n} support, ${c} contradict, ${u} unclear${single}`;
  if (c > 0) return { verdict: "does not hold", reason: tally };
  if (u > 0) return { verdict: "inconclusive", reason: tally };
  return { verdict: "holds", reason: tally };
}

// ---------------------------------------------------------------- orderings

type Value = (P: number, d: number) => number[];

function pairsAlong(
  Ps: readonly number[],
  ds: readonly number[],
  value: Value,
  along: "P" | "d",
): { label: string; a: Sample; b: Sample }[] {
  const out: { label: string; a: Sample; b: Sample }[] = [];
  const [outer, inner] = along === "P" ? [ds, Ps] : [Ps, ds];
  for (const o of outer) {
    const at = (i: number) => along === "P" ? value(i, o) : value(o, i);
    const present = inner.filter((i) => at(i).length > 0);
    for (let k = 0; k + 1 < present.length; k++) {
      const [i, j] = [present[k], present[k + 1]];
      const name = along === "P" ? "P" : "d";
      out.push({
        label: `${along === "P" ? "d" : "P"} = ${o}: ${name} = ${i} → ${j}`,
        a: { label: `${name} = ${i}`, values: at(i) },
        b: { label: `${name} = ${j}`, values: at(j) },
      });
    }
  }
  return out;
}

function ordering(
  Ps: readonly number[],
  ds: readonly number[],
  value: Value,
  along: "P" | "d",
  direction: "lower" | "higher",
): Comparison[] {
  return pairsAlong(Ps, ds, value, along).map((p) => compare(p.label, p.a, p.b, direction));
}

function valuesOf(study: Study, get: (r: Run) => number | null | undefined): Value {
  return (P, d) =>
    runsOf(study, P, d).flatMap((r) => {
      const v = get(r);
      return v === null || v === undefined || !Number.isFinite(v) ? [] : [v];
    });
}

const PAPER_GRID_P = Object.keys(TABLE3_LAMBDA_MAX).map(Number);
const PAPER_GRID_D = [50, 100, 150, 200];

const paperLambda: Value = (P, d) => {
  const v = paperLambdaMax(P, d);
  return v === null ? [] : [v];
};

// ---------------------------------------------------------------- exponents

/** The fitted exponent b of λ_max ∝ P^b at one depth, for one Hessian term. */
export interface ExponentFit {
  d: number;
  term: "full" | "gauss_newton" | "curvature";
  /** b, the slope of log λ_max on log P over every run (each seed a point). */
  slope: number;
  /** Standard error of b (NaN with fewer than 3 points). */
  se: number;
  /** 95% interval b ± t(n − 2) se. */
  interval: [number, number];
  /** Points fitted, and distinct P among them. */
  n: number;
  nP: number;
  /** Runs left out because the term's λ_max was not positive (no logarithm). */
  dropped: number;
}

/** The theory's exponent of each term (Section 2.2). */
export const THEORY_EXPONENT = { gauss_newton: -2, curvature: -1 } as const;

/** Fits log λ_max = a + b log P at one depth from (P, value) points. */
export function fitExponent(
  d: number,
  term: ExponentFit["term"],
  points: readonly { P: number; value: number }[],
): ExponentFit {
  const ok = points.filter((p) => p.value > 0 && Number.isFinite(p.value));
  const fit = fitLine(ok.map((p) => Math.log(p.P)), ok.map((p) => Math.log(p.value)));
  const t = tQuantile975(fit.n - 2);
  const half = t * fit.slopeSe;
  return {
    d,
    term,
    slope: fit.slope,
    se: fit.slopeSe,
    interval: [fit.slope - half, fit.slope + half],
    n: fit.n,
    nP: new Set(ok.map((p) => p.P)).size,
    dropped: points.length - ok.length,
  };
}

const TERMS: { term: ExponentFit["term"]; get: (r: Run) => number | null | undefined }[] = [
  { term: "full", get: (r) => r.hessian?.lambda_max },
  { term: "gauss_newton", get: (r) => r.hessian?.gauss_newton?.lambda_max },
  { term: "curvature", get: (r) => r.hessian?.curvature?.lambda_max },
];

/** Every (d, term) exponent of the study that has at least two distinct P. */
export function studyExponents(study: Study): ExponentFit[] {
  const out: ExponentFit[] = [];
  for (const d of study.ds) {
    for (const { term, get } of TERMS) {
      const points = study.runs.filter((r) => r.d === d).flatMap((r) => {
        const v = get(r);
        return v === null || v === undefined ? [] : [{ P: r.P, value: v }];
      });
      if (new Set(points.map((p) => p.P)).size >= 2) out.push(fitExponent(d, term, points));
    }
  }
  return out;
}

/** The paper's Table 3 exponents (full Hessian), one per depth. */
export function paperExponents(): ExponentFit[] {
  return PAPER_GRID_D.map((d) =>
    fitExponent(d, "full", PAPER_GRID_P.map((P) => ({ P, value: paperLambdaMax(P, d)! })))
  );
}

function expText(f: ExponentFit): string {
  return Number.isFinite(f.se)
    ? `${fmt(f.slope)} ± ${fmt(f.se)} (95% ${fmt(f.interval[0])} .. ${fmt(f.interval[1])})`
    : `${fmt(f.slope)} (no standard error: ${f.n} points)`;
}

/**
 * Checks a fitted exponent against the theory's value: supports when its 95%
 * interval contains `expected` and excludes `other` (the data tell the two
 * scalings apart), contradicts when it excludes `expected`, unclear when it
 * contains both or has no standard error (fewer than 3 points).
 */
export function exponentCheck(f: ExponentFit, expected: number, other: number): Comparison {
  const label = `d = ${f.d}`;
  const detail = `b = ${expText(f)}, ${f.n} runs at ${f.nP} values of P` +
    (f.dropped > 0 ? `, ${f.dropped} non-positive λ_max left out` : "");
  if (!Number.isFinite(f.se)) return { label, outcome: "unclear", detail, seeds: 1 };
  const [lo, hi] = f.interval;
  const has = (x: number) => lo <= x && x <= hi;
  const outcome: Outcome = !has(expected) ? "contradicts" : has(other) ? "unclear" : "supports";
  return { label, outcome, detail, seeds: 2 };
}

// ---------------------------------------------------------------- spectrum

/** The largest eigenvalues a hessian.json carries: the exact spectrum's, else Lanczos' top. */
export function topEigenvalues(h: NonNullable<Run["hessian"]>): number[] {
  const exact = (h.exact as { eigenvalues?: number[] } | null | undefined)?.eigenvalues;
  const top = exact && exact.length > 0
    ? exact
    : (h.lanczos as { top?: number[] } | null | undefined)?.top ?? [];
  return [...top].filter(Number.isFinite).sort((a, b) => b - a).slice(0, 20);
}

/** The gap rule's ratio and floor (docs/report.md). */
export const OUTLIER_GAP = { ratio: 2, floor: 0.01 } as const;

/**
 * The number of outliers above the bulk by the gap rule: with t_1 ≥ t_2 ≥ ...
 * the top eigenvalues, a gap follows t_i when t_i / max(t_{i+1}, 0.01 t_1) ≥ 2
 * and t_i > 0.01 t_1; the count is the position of the last such gap (the
 * edge of the bulk). Null when there is no gap (or λ_max ≤ 0).
 *
 * @example
 * ```ts
 * outlierCount([40, 12, 10, 9, 0.3, 0.2]); // 4 (gaps after 40 and after 9; 0.3 is bulk)
 * outlierCount([5, 4.5, 4, 3.8]); // null
 * ```
 */
export function outlierCount(top: readonly number[]): number | null {
  const t = [...top].sort((a, b) => b - a);
  if (t.length < 2 || !(t[0] > 0)) return null;
  const floor = OUTLIER_GAP.floor * t[0];
  let count: number | null = null;
  for (let i = 0; i + 1 < t.length; i++) {
    if (t[i] > floor && t[i] / Math.max(t[i + 1], floor) >= OUTLIER_GAP.ratio) count = i + 1;
  }
  return count;
}

function spectrumCheck(r: Run): Comparison {
  const label = `P = ${r.P}, d = ${r.d}, seed ${r.seed}`;
  const top = topEigenvalues(r.hessian!);
  const m = outlierCount(top);
  const detail = `${m ?? "no gap"} outliers among the top ${top.length}`;
  if (top.length < MIN_TOP_EIGENVALUES) {
    return {
      label,
      outcome: "unclear",
      detail: `${detail} (fewer than ${MIN_TOP_EIGENVALUES} computed)`,
      seeds: 1,
    };
  }
  if (m === null) return { label, outcome: "unclear", detail, seeds: 1 };
  const [lo, hi] = OUTLIER_RANGE;
  return { label, outcome: m >= lo && m <= hi ? "supports" : "contradicts", detail, seeds: 1 };
}

// ---------------------------------------------------------------- similar parameter counts

/** Pairs (fewer patches, more patches) whose parameter counts differ by at most the ratio. */
export function similarCountPairs(
  configs: readonly { P: number; d: number }[],
): [{ P: number; d: number }, { P: number; d: number }][] {
  const out: [{ P: number; d: number }, { P: number; d: number }][] = [];
  for (const a of configs) {
    for (const b of configs) {
      if (b.P <= a.P) continue;
      const [na, nb] = [modelParams(a.P, a.d), modelParams(b.P, b.d)];
      if (Math.max(na, nb) / Math.min(na, nb) <= SIMILAR_PARAMS_RATIO) out.push([a, b]);
    }
  }
  return out;
}

function generalisation(
  configs: readonly { P: number; d: number }[],
  loss: Value,
  acc: Value,
): Comparison[] {
  return similarCountPairs(configs).flatMap(([a, b]) => {
    const name = (c: { P: number; d: number }) =>
      `(P = ${c.P}, d = ${c.d}; ${modelParams(c.P, c.d).toLocaleString("en-US")} parameters)`;
    const label = `${name(a)} → ${name(b)}`;
    const sa = (v: Value) => ({ label: `P = ${a.P}`, values: v(a.P, a.d) });
    const sb = (v: Value) => ({ label: `P = ${b.P}`, values: v(b.P, b.d) });
    if (sa(loss).values.length === 0 || sb(loss).values.length === 0) return [];
    return [
      compare(`${label}: test loss`, sa(loss), sb(loss), "lower"),
      compare(`${label}: test accuracy`, sa(acc), sb(acc), "higher"),
    ];
  });
}

// ---------------------------------------------------------------- the claims

function claim(
  id: string,
  text: string,
  paperEvidence: string,
  paperVerdict: Verdict | null,
  comparisons: Comparison[],
  none?: string,
  extra = "",
): ClaimResult {
  const { verdict, reason } = combine(comparisons, none);
  return {
    id,
    claim: text,
    paperEvidence,
    paperVerdict,
    verdict,
    reason: reason + extra,
    comparisons,
  };
}

/** Every claim of the paper that the study can test, with its verdict. */
export function evaluateClaims(study: Study): ClaimResult[] {
  const lambda = valuesOf(study, (r) => r.hessian?.lambda_max);
  const hasHessian = study.runs.some((r) => r.hessian);
  const paperFalls = combine(ordering(PAPER_GRID_P, PAPER_GRID_D, paperLambda, "P", "lower"));
  const paperRises = combine(ordering(PAPER_GRID_P, PAPER_GRID_D, paperLambda, "d", "higher"));
  const noHessian = "no Hessian in this run";
  const out: ClaimResult[] = [];

  out.push(claim(
    "lambda_falls_with_P",
    "λ_max at the minimum falls as the number of patches P grows, at every depth d.",
    `Table 3 (seed 1001), e.g. d = 200: ${paperLambdaMax(4, 200)} → ${paperLambdaMax(9, 200)} → ` +
      `${paperLambdaMax(16, 200)}; by this rule: ${paperFalls.reason}.`,
    paperFalls.verdict,
    ordering(study.Ps, study.ds, lambda, "P", "lower"),
    hasHessian ? "fewer than two values of P with a Hessian at any depth" : noHessian,
  ));
  out.push(claim(
    "lambda_rises_with_d",
    "λ_max at the minimum rises as the depth d grows, at every P.",
    `Table 3 (seed 1001), e.g. P = 4: ${
      PAPER_GRID_D.map((d) => paperLambdaMax(4, d)).join(" → ")
    }; by this rule: ${paperRises.reason}.`,
    paperRises.verdict,
    ordering(study.Ps, study.ds, lambda, "d", "higher"),
    hasHessian ? "fewer than two depths with a Hessian at any P" : noHessian,
  ));
  out.push(claim(
    "deeper_lower_loss",
    "Deeper models (more parameters) reach a lower minimum training loss, at every P.",
    "Figure 1 and the conclusion (“increasing the number of parameters enabled the models to " +
      "potentially reach lower loss values”); no table of training losses to apply the rule to.",
    null,
    ordering(study.Ps, study.ds, valuesOf(study, (r) => r.best?.train_loss), "d", "lower"),
    "fewer than two depths at any P",
  ));

  const shares = study.Ps.flatMap((P) =>
    study.ds.flatMap((d) => {
      const values = valuesOf(
        study,
        (r) =>
          r.hessian?.gauss_newton && r.hessian.lambda_max !== 0
            ? r.hessian.gauss_newton.lambda_max / r.hessian.lambda_max
            : null,
      )(P, d);
      return values.length === 0 ? [] : [withinBand(
        `P = ${P}, d = ${d}: GN λ_max / full λ_max`,
        {
          label: "",
          values,
        },
        1 - GN_SHARE_TOLERANCE,
        1 + GN_SHARE_TOLERANCE,
      )];
    })
  );
  out.push(claim(
    "gauss_newton_sets_lambda",
    `The Gauss-Newton term sets λ_max: its largest eigenvalue is within ` +
      `${100 * GN_SHARE_TOLERANCE}% of the full Hessian's, in every configuration.`,
    "Sections 2.2 and 3.3 argue it from Eq. (6) and the spectrum's shape; the two terms are " +
      "not measured separately, so there is nothing to apply the rule to.",
    null,
    shares,
    hasHessian ? "no Gauss-Newton / curvature split in the hessian.json files" : noHessian,
  ));

  const exps = studyExponents(study);
  const paperFull = paperExponents().map((f) => `d = ${f.d}: ${expText(f)}`).join("; ");
  const fullOurs = exps.filter((f) => f.term === "full").map((f) => `d = ${f.d}: ${expText(f)}`);
  for (const term of ["gauss_newton", "curvature"] as const) {
    const [expected, other] = term === "gauss_newton" ? [-2, -1] : [-1, -2];
    const name = term === "gauss_newton" ? "Gauss-Newton" : "curvature";
    out.push(claim(
      `${term}_exponent`,
      `The ${name} term's λ_max scales as P^${expected} (Section 2.2): the fitted exponent b ` +
        `of log λ_max against log P, per depth, is ${expected} and not ${other}.`,
      `Not measured per term; a log-log fit of the full Hessian's Table 3 (one point per P) ` +
        `gives b at ${paperFull}.`,
      null,
      exps.filter((f) => f.term === term).map((f) => exponentCheck(f, expected, other)),
      hasHessian ? `fewer than two values of P with a ${name} λ_max at any depth` : noHessian,
      fullOurs.length > 0 ? `; full Hessian, ours: ${fullOurs.join("; ")}` : "",
    ));
  }

  const spectra = study.runs.filter((r) => r.hessian).map(spectrumCheck);
  out.push(claim(
    "spectrum_outliers",
    `The spectrum is a bulk near zero plus a few outliers, about as many as the classes ` +
      `(${N_CLASSES}): the gap rule counts ${OUTLIER_RANGE[0]} to ${OUTLIER_RANGE[1]} ` +
      `outliers in every run.`,
    "Figure 4 and Section 3.3 (“approximately [10] distinct spikes”), read off the density " +
      "plots; no eigenvalue list to apply the rule to.",
    null,
    spectra,
    noHessian,
  ));

  const pcaSum = valuesOf(
    study,
    (r) =>
      r.landscape
        ? r.landscape.explained_variance_ratio[0] + r.landscape.explained_variance_ratio[1]
        : null,
  );
  const pcaChecks = study.Ps.flatMap((P) =>
    study.ds.flatMap((d): Comparison[] => {
      const values = pcaSum(P, d);
      const label = `P = ${P}, d = ${d}: PC1 + PC2`;
      if (values.length === 0) return [];
      // Two components always explain all of three points: no test of the claim.
      const points = Math.min(
        ...runsOf(study, P, d).flatMap((r) => r.landscape ? [r.landscape.trajectory.length] : []),
      );
      if (points <= 3) {
        return [{
          label,
          outcome: "unclear",
          detail: `${fmt(mean(values))}, but the trajectory has only ${points} points`,
          seeds: values.length,
        }];
      }
      return [withinBand(label, { label: "", values }, PCA_THRESHOLD, Infinity)];
    })
  );
  const paperPcaChecks = PAPER_GRID_P.flatMap((P) =>
    PAPER_GRID_D.map((d) => {
      const r = paperPca(P, d)!;
      return withinBand(
        `P = ${P}, d = ${d}`,
        { label: "", values: [r[0] + r[1]] },
        PCA_THRESHOLD,
        Infinity,
      );
    })
  );
  const paperMin = Math.min(
    ...Object.values(TABLE6_PCA).flatMap((row) => Object.values(row).map((r) => r[0] + r[1])),
  );
  out.push(claim(
    "pca_plane",
    `PC1 + PC2 explain more than ${100 * PCA_THRESHOLD}% of the trajectory's variance, in ` +
      `every configuration.`,
    `Table 6: the smallest PC1 + PC2 is ${paperMin.toFixed(4)}; by this rule: ` +
      `${combine(paperPcaChecks).reason}.`,
    combine(paperPcaChecks).verdict,
    pcaChecks,
    "no landscape in this run",
  ));

  const testLoss = valuesOf(study, (r) => r.best?.test_loss);
  const testAcc = valuesOf(study, (r) => r.best?.test_acc);
  const configs = study.Ps.flatMap((P) => study.ds.map((d) => ({ P, d })))
    .filter(({ P, d }) => testLoss(P, d).length > 0);
  const paperCells = TABLE1_CELLS.map(({ P, d }) => ({ P, d }));
  const paperGen = combine(generalisation(
    paperCells,
    (P, d) => [paperTable1(P, d)?.test_loss].filter((v): v is number => v != null),
    (P, d) => [paperTable1(P, d)?.test_acc].filter((v): v is number => v != null),
  ));
  out.push(claim(
    "patches_generalise",
    `More patches generalise better at a similar parameter count: lower test loss and higher ` +
      `test accuracy for the larger P, for every pair of configurations whose parameter counts ` +
      `differ by at most ${Math.round(100 * (SIMILAR_PARAMS_RATIO - 1))}%.`,
    `Table 1 and Section 3.2.1 (e.g. about 40,000 parameters: test loss P = 4 ` +
      `${paperTable1(4, 200)?.test_loss} > P = 9 ${paperTable1(9, 100)?.test_loss} > P = 16 ` +
      `${paperTable1(16, 50)?.test_loss}); by this rule on every pair of Table 1: ` +
      `${paperGen.reason}.`,
    paperGen.verdict,
    generalisation(configs, testLoss, testAcc),
    `no two configurations with different P within ${
      Math.round(100 * (SIMILAR_PARAMS_RATIO - 1))
    }% in parameter count`,
  ));
  return out;
}
