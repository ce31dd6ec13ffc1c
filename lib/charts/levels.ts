/**
 * Contour levels at a uniform, round interval (the paper's figure draws its
 * contour lines "at intervals of" a fixed loss step).
 *
 * @module
 */

/** A round step (1, 2, 2.5 or 5 times a power of ten) near `span / count`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  const m = f < 1.5 ? 1 : f < 2.25 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10;
  return m * power;
}

/**
 * About `count` levels at a round interval strictly inside (min, max): the
 * multiples of the step between the field's extremes.
 */
export function contourLevels(min: number, max: number, count = 12): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return [];
  const step = niceStep(max - min, count);
  const out: number[] = [];
  for (let k = Math.floor(min / step) + 1; k * step < max; k++) {
    // toPrecision trims the binary noise of k * step (0.30000000000000004).
    out.push(Number((k * step).toPrecision(12)));
  }
  return out;
}

/** The published Figure 3's contour step (training loss). */
export const PUBLISHED_STEP = 0.5;

/**
 * The published Figure 3's levels: from floor(min · 10) / 10 in steps of 0.5
 * up to the field's maximum (numpy's `arange(start, max, 0.5)`).
 *
 * @example
 * ```ts
 * publishedLevels(0.137, 1.4); // [0.1, 0.6, 1.1]
 * ```
 */
export function publishedLevels(min: number, max: number, step = PUBLISHED_STEP): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return [];
  const start = Math.floor(min * 10) / 10;
  const out: number[] = [];
  for (let k = 0; start + k * step < max; k++) out.push(Number((start + k * step).toPrecision(12)));
  return out;
}
