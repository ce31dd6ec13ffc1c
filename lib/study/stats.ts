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
