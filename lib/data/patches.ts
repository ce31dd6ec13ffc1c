/**
 * Geometry of overlapping square patches cut from a square image.
 *
 * A window of side `k` slides over an image of side `n` with stride `s`;
 * top-left corners are at every (r, c) with r, c in {0, s, 2s, ...}, ordered
 * row by row (r outer, c inner). The paper's cases are n = 14, k = 8 and
 * s = 6, 3, 2, giving P = 4, 9, 16 patches.
 *
 * @module
 */

/** The patches of one layout. */
export interface PatchLayout {
  /** Image side. */
  n: number;
  /** Window side. */
  k: number;
  /** Stride. */
  s: number;
  /** Patches along one side. */
  perSide: number;
  /** Number of patches, perSide². */
  count: number;
  /** Top-left corners [row, col] in patch order. */
  offsets: [number, number][];
  /**
   * For patch p and feature f (row-major inside the window), the pixel index
   * (row-major in the image): `pixel[p * k * k + f]`.
   */
  pixel: Int32Array;
}

/** The layout for window `k`, stride `s` on an `n` x `n` image; an error if the windows do not tile it exactly. */
export function patchLayout(n: number, k: number, s: number): PatchLayout {
  for (const [name, v] of [["n", n], ["k", k], ["s", s]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`patch layout: ${name} must be a positive integer, got ${v}`);
    }
  }
  if (k > n) throw new Error(`patch layout: window ${k} is larger than the image side ${n}`);
  if ((n - k) % s !== 0) {
    throw new Error(
      `patch layout: window ${k} with stride ${s} does not fit an image of side ${n} ` +
        `((n - k) = ${n - k} is not a multiple of ${s}); the last row/column would be cropped`,
    );
  }
  const perSide = (n - k) / s + 1;
  const offsets: [number, number][] = [];
  for (let i = 0; i < perSide; i++) {
    for (let j = 0; j < perSide; j++) offsets.push([i * s, j * s]);
  }
  const pixel = new Int32Array(offsets.length * k * k);
  offsets.forEach(([r, c], p) => {
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) pixel[p * k * k + a * k + b] = (r + a) * n + (c + b);
    }
  });
  return { n, k, s, perSide, count: offsets.length, offsets, pixel };
}

/**
 * The layout with `P` patches of side `k` on an `n` x `n` image (the paper:
 * n = 14, k = 8), choosing the stride that makes the windows span the image
 * exactly. `P` must be a perfect square.
 */
export function layoutForPatchCount(P: number, n = 14, k = 8): PatchLayout {
  const perSide = Math.round(Math.sqrt(P));
  if (!Number.isInteger(P) || P < 1 || perSide * perSide !== P) {
    throw new Error(`patch layout: P = ${P} is not a perfect square (the paper uses 4, 9 or 16)`);
  }
  if (perSide === 1) {
    if (k !== n) throw new Error(`patch layout: P = 1 needs a window as large as the image (${n})`);
    return patchLayout(n, k, 1);
  }
  if ((n - k) % (perSide - 1) !== 0) {
    throw new Error(
      `patch layout: ${perSide} windows of side ${k} cannot span an image of side ${n} with an integer stride`,
    );
  }
  return patchLayout(n, k, (n - k) / (perSide - 1));
}

/** Cuts patch `p` of every image in `images` (count x n*n, row-major) into `out` (count x k*k). */
export function cutPatch<T extends Float32Array | Float64Array>(
  layout: PatchLayout,
  images: ArrayLike<number>,
  count: number,
  p: number,
  out: T,
): T {
  const { n, k, pixel } = layout;
  const kk = k * k;
  const base = p * kk;
  for (let b = 0; b < count; b++) {
    const src = b * n * n;
    const dst = b * kk;
    for (let f = 0; f < kk; f++) out[dst + f] = images[src + pixel[base + f]];
  }
  return out;
}
