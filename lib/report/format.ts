/**
 * Number formatting for the human-readable tables (Markdown and HTML). The
 * CSV files keep full precision; these only decide what a reader sees.
 *
 * @module
 */

/** The dash shown for a missing value. */
export const MISSING = "—";

/** Fixed decimals, with a dash for null/NaN. */
export function fixed(x: number | null | undefined, decimals: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return MISSING;
  const s = x.toFixed(decimals);
  // "-0.000" reads as a sign error in a difference column.
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** A signed difference (`+0.0123`, `−0.0123` with a real minus sign). */
export function signed(x: number | null | undefined, decimals: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return MISSING;
  const s = fixed(Math.abs(x), decimals);
  if (/^0\.?0*$/.test(s)) return "±" + s;
  return (x < 0 ? "−" : "+") + s;
}

/** A signed percentage of a reference value (`+2.7%`). */
export function signedPercent(ours: number, ref: number, decimals = 1): string {
  if (!Number.isFinite(ours) || !Number.isFinite(ref) || ref === 0) return MISSING;
  return signed((100 * (ours - ref)) / ref, decimals) + "%";
}

/** Integer with thousands separators (`10,308`). */
export function thousands(n: number): string {
  if (!Number.isFinite(n)) return MISSING;
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `mean ± std` (std dash when undefined, i.e. a single seed). */
export function meanStd(m: number, s: number, decimals: number): string {
  return `${fixed(m, decimals)} ± ${fixed(s, decimals)}`;
}
