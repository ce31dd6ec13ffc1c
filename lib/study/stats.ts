/**
 * Summary statistics of the seed tables (Tables 4 and 5).
 *
 * @module
 */

/** Arithmetic mean; NaN for an empty list. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Sample standard deviation (divisor n - 1, as numpy's `std(ddof=1)` and
 * pandas' default): the spread of seeds drawn from the run-to-run
 * distribution. NaN for fewer than two values.
 */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Mean, sample std and count of a list. */
export interface Summary {
  mean: number;
  std: number;
  n: number;
}

/** Summarises a list of seed values. */
export function summarize(xs: readonly number[]): Summary {
  return { mean: mean(xs), std: sampleStd(xs), n: xs.length };
}

/** A source of uniform numbers in [0, 1) (the project's `Prng` is one). */
export interface Uniform {
  nextFloat64(): number;
}

/**
 * A percentile bootstrap interval of mean(a) − mean(b): `resamples` times,
 * each list is resampled with replacement (independently: the seeds of two
 * configurations are not paired), and the central `level` of the
 * differences is returned as [lo, hi]. Deterministic for a given `rng`.
 *
 * @example
 * ```ts
 * bootstrapMeanDifference([1, 2, 3], [5, 6, 7], Prng.from(7, "claims")); // [-5.33, -2.67]
 * ```
 */
export function bootstrapMeanDifference(
  a: readonly number[],
  b: readonly number[],
  rng: Uniform,
  resamples = 2000,
  level = 0.95,
): [number, number] {
  if (a.length === 0 || b.length === 0) return [NaN, NaN];
  const draw = (xs: readonly number[]) => {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[Math.floor(rng.nextFloat64() * xs.length)];
    return s / xs.length;
  };
  const diffs = Array.from({ length: resamples }, () => draw(a) - draw(b)).sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  const at = (q: number) => diffs[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))];
  return [at(tail), at(1 - tail)];
}

/** The two-sided 95% quantile of Student's t with `dof` degrees of freedom (1.96 beyond 30). */
export function tQuantile975(dof: number): number {
  const table = [
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.16,
    2.145,
    2.131,
    2.12,
    2.11,
    2.101,
    2.093,
    2.086,
    2.08,
    2.074,
    2.069,
    2.064,
    2.06,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
  ];
  if (!(dof >= 1)) return NaN;
  return dof <= 30 ? table[Math.floor(dof) - 1] : 1.96;
}

/** An ordinary least-squares line y = intercept + slope x. */
export interface LineFit {
  slope: number;
  intercept: number;
  /** Standard error of the slope (NaN with fewer than 3 points or one distinct x). */
  slopeSe: number;
  /** Points used. */
  n: number;
}

/**
 * Least squares of `ys` on `xs`, with the slope's standard error
 * sqrt(SSR / (n − 2) / Sxx).
 *
 * @example
 * ```ts
 * fitLine([0, 1, 2], [1, 3, 5.5]); // slope 2.25, intercept 0.917, slopeSe 0.144
 * ```
 */
export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit {
  const n = xs.length;
  if (n !== ys.length) throw new RangeError("fitLine: xs and ys differ in length");
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (n < 2 || sxx === 0) return { slope: NaN, intercept: NaN, slopeSe: NaN, n };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (ys[i] - intercept - slope * xs[i]) ** 2;
  const slopeSe = n > 2 ? Math.sqrt(ssr / (n - 2) / sxx) : NaN;
  return { slope, intercept, slopeSe, n };
}
