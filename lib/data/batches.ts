/**
 * Stratified minibatches: one epoch's split of the training set into
 * batches that each keep the class proportions, as the paper does (60
 * batches of 1,000 from 60,000 images, freshly shuffled every epoch).
 *
 * @module
 */

import { shuffleInPlace, type UniformSource } from "./shuffle.ts";

export { shuffleInPlace, type UniformSource };

/**
 * One epoch of stratified minibatches of the samples with these `labels`.
 *
 * K = max(1, round(n / batchSize)) batches (halves round up). Each class c
 * (n_c samples), taken in ascending label order, has its indices (ascending)
 * shuffled; batch k receives the shuffled indices from floor(k n_c / K) up
 * to floor((k + 1) n_c / K) of every class, in class order; then each batch,
 * k = 0..K−1, is shuffled. All shuffles are {@link shuffleInPlace} and draw
 * from `rng` in exactly that order, so the batches are a function of the
 * labels, the batch size and the rng's state. Every sample is in exactly one
 * batch.
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
  const counts = new Int32Array(256);
  for (const l of labels) counts[l]++;
  // Indices of each class, ascending, then shuffled class by class.
  const byClass: Int32Array[] = [];
  const fill = new Int32Array(256);
  for (let c = 0; c < 256; c++) byClass.push(new Int32Array(counts[c]));
  labels.forEach((l, i) => byClass[l][fill[l]++] = i);
  for (const members of byClass) shuffleInPlace(members, rng);

  const batches: Int32Array[] = [];
  for (let k = 0; k < K; k++) {
    let size = 0;
    for (let c = 0; c < 256; c++) {
      size += Math.floor(((k + 1) * counts[c]) / K) - Math.floor((k * counts[c]) / K);
    }
    const batch = new Int32Array(size);
    let at = 0;
    for (let c = 0; c < 256; c++) {
      const from = Math.floor((k * counts[c]) / K);
      const to = Math.floor(((k + 1) * counts[c]) / K);
      batch.set(byClass[c].subarray(from, to), at);
      at += to - from;
    }
    batches.push(batch);
  }
  for (const batch of batches) shuffleInPlace(batch, rng);
  return batches;
}
