/**
 * Selecting samples by index from the preprocessed arrays (n x 196 images,
 * n labels), for minibatches and subsets.
 *
 * @module
 */

const IMAGE = 196;

/** Copies the 14 x 14 images at `idx` into one contiguous array. */
export function gatherImages(images: Float32Array, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * IMAGE);
  for (let i = 0; i < idx.length; i++) {
    out.set(images.subarray(idx[i] * IMAGE, (idx[i] + 1) * IMAGE), i * IMAGE);
  }
  return out;
}

/** Copies the labels at `idx`. */
export function gatherLabels(labels: Uint8Array, idx: Int32Array): Uint8Array {
  const out = new Uint8Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = labels[idx[i]];
  return out;
}
