/**
 * Stratified minibatches: one epoch's split of the training set into
 * batches that each keep the class proportions, as the paper does with
 * scikit-learn's `StratifiedKFold(n_splits = N / batch, shuffle=True)` (60
 * folds of exactly 1,000 from 60,000 images, freshly shuffled every epoch,
 * one optimizer step per test fold).
 *
 * @module
 */

import { shuffleInPlace, type UniformSource } from "./shuffle.ts";

export { shuffleInPlace, type UniformSource };

/**
 * How many samples of each class every fold gets, by scikit-learn's
 * `StratifiedKFold` rule: classes are numbered in order of first appearance
 * in `labels`, the numbered labels are sorted, and fold i takes the class
 * counts of positions i, i + K, i + 2K, ... of that sorted list. Fold sizes
 * then differ by at most one (every fold has exactly n / K samples when K
 * divides n) and each class is spread as evenly as it can be.
 *
 * Returns the class values in that order and `allocation[fold][class]`.
 *
 * @example
 * ```ts
 * // labels 1,1,0,0,0,2: classes in order 1, 0, 2 with counts 2, 3, 1; sorted 0,0,1,1,1,2
 * stratifiedFoldAllocation(Uint8Array.of(1, 1, 0, 0, 0, 2), 2);
 * // { classes: [1, 0, 2], allocation: [[1, 2, 0], [1, 1, 1]] }
 * ```
 */
export function stratifiedFoldAllocation(
  labels: Uint8Array,
  folds: number,
): { classes: number[]; allocation: number[][] } {
  if (!Number.isInteger(folds) || folds < 1) {
    throw new Error(
      `stratified folds: the number of folds must be a positive integer, got ${folds}`,
    );
  }
  const classes: number[] = [];
  const counts = new Map<number, number>();
  for (const l of labels) {
    if (!counts.has(l)) {
      classes.push(l);
      counts.set(l, 0);
    }
    counts.set(l, counts.get(l)! + 1);
  }
  // Positions j < x of the sorted list with j = i (mod K): ceil((x - i) / K), or 0.
  const upTo = (x: number, i: number) => Math.max(0, Math.ceil((x - i) / folds));
  const allocation = Array.from({ length: folds }, () => new Array<number>(classes.length).fill(0));
  let start = 0;
  classes.forEach((c, k) => {
    const end = start + counts.get(c)!;
    for (let i = 0; i < folds; i++) allocation[i][k] = upTo(end, i) - upTo(start, i);
    start = end;
  });
  return { classes, allocation };
}

/**
 * One epoch of stratified minibatches of the samples with these `labels`:
 * the test folds of scikit-learn's `StratifiedKFold(n_splits=K,
 * shuffle=True)`, K = max(1, round(n / batchSize)) (halves round up).
 *
 * Fold sizes and class counts are {@link stratifiedFoldAllocation}'s. As in
 * scikit-learn, each class in order of first appearance gets the list of
 * its fold numbers (fold 0 repeated its count of that class, then fold 1,
 * ...) shuffled, and its samples, in ascending index order, take those
 * folds in turn; a batch lists its samples in ascending index order. The
 * shuffles are {@link shuffleInPlace} on `rng` (not numpy's generator, so the
 * folds are the paper's in distribution, not sample by sample). Every sample
 * is in exactly one batch.
 */
export function stratifiedBatches(
  labels: Uint8Array,
  batchSize: number,
  rng: UniformSource,
): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`stratified batches: batch size must be a positive integer, got ${batchSize}`);
  }
  const n = labels.length;
  const K = Math.max(1, Math.round(n / batchSize));
  const { classes, allocation } = stratifiedFoldAllocation(labels, K);
  const fold = new Int32Array(n);
  const members: number[][] = classes.map(() => []);
  const rank = new Map(classes.map((c, k) => [c, k]));
  labels.forEach((l, i) => members[rank.get(l)!].push(i));
  classes.forEach((_, k) => {
    const folds: number[] = [];
    for (let i = 0; i < K; i++) for (let r = 0; r < allocation[i][k]; r++) folds.push(i);
    shuffleInPlace(folds, rng);
    members[k].forEach((sample, r) => fold[sample] = folds[r]);
  });
  const sizes = allocation.map((row) => row.reduce((a, b) => a + b, 0));
  const batches = sizes.map((s) => new Int32Array(s));
  const at = new Int32Array(K);
  for (let i = 0; i < n; i++) batches[fold[i]][at[fold[i]]++] = i;
  return batches;
}
