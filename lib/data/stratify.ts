/**
 * Stratified selection: splitting a count among classes in proportion to
 * their sizes, and drawing a class-balanced random subset.
 *
 * @module
 */

import { shuffleInPlace, type UniformSource } from "./shuffle.ts";

/** Indices of each label value 0..max(labels), ascending. */
export function classMembers(labels: Uint8Array): number[][] {
  let max = -1;
  for (const l of labels) max = Math.max(max, l);
  const members: number[][] = Array.from({ length: max + 1 }, () => []);
  labels.forEach((l, i) => members[l].push(i));
  return members;
}

/**
 * Splits `total` among classes in proportion to `sizes` by largest
 * remainders (Hamilton's method): class c gets floor(total * n_c / N), and
 * the units left over go to the largest remainders, ties to the smaller
 * class. Exact integer arithmetic; the quotas add up to `total`.
 */
export function apportion(sizes: number[], total: number): number[] {
  const n = sizes.reduce((a, b) => a + b, 0);
  if (!Number.isInteger(total) || total < 0 || total > n) {
    throw new Error(`apportion: cannot take ${total} of ${n}`);
  }
  if (n === 0) return sizes.map(() => 0);
  const quotas = sizes.map((s) => Math.floor((s * total) / n));
  const order = sizes.map((s, c) => ({ c, rem: (s * total) % n }))
    .sort((a, b) => b.rem - a.rem || a.c - b.c);
  let extra = total - quotas.reduce((a, b) => a + b, 0);
  for (const { c } of order) {
    if (extra <= 0) break;
    quotas[c]++;
    extra--;
  }
  return quotas;
}

/**
 * A subset of `n` indices keeping the class proportions of `labels`: class
 * quotas by {@link apportion}; then, classes in ascending label order, each
 * class's indices (ascending) are shuffled with {@link shuffleInPlace} from
 * `rng` and the first quota kept. Returned ascending, so the subset keeps
 * the original order. Every class present must keep at least one sample.
 */
export function stratifiedSubset(
  labels: Uint8Array,
  n: number,
  rng: UniformSource,
): Int32Array {
  if (!Number.isInteger(n) || n < 1 || n > labels.length) {
    throw new Error(`stratified subset: cannot take ${n} of ${labels.length} samples`);
  }
  const members = classMembers(labels);
  const quotas = apportion(members.map((m) => m.length), n);
  members.forEach((m, c) => {
    if (m.length > 0 && quotas[c] === 0) {
      throw new Error(
        `stratified subset: ${n} samples are too few to keep class ${c} ` +
          `(${m.length} of ${labels.length} samples)`,
      );
    }
  });
  const picked: number[] = [];
  members.forEach((m, c) => picked.push(...shuffleInPlace(m, rng).slice(0, quotas[c])));
  return Int32Array.from(picked).sort();
}
