/**
 * Float64 vector kernels on typed arrays, in a fixed summation order so that
 * every result is reproducible bit for bit (no dependence on threads or
 * machine). Operations named "in place" mutate their first vector argument
 * and return it.
 *
 * @module
 */

/** Inner product sum_i a[i] * b[i], summed left to right. */
export function dot(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`dot: lengths differ (${n} vs ${b.length})`);
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/** Euclidean norm sqrt(dot(a, a)) (as PyHessian's `group_product(v, v) ** 0.5`). */
export function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}

/** In place: y[i] = y[i] + alpha * x[i]. */
export function axpy(alpha: number, x: Float64Array, y: Float64Array): Float64Array {
  const n = y.length;
  if (x.length !== n) throw new RangeError(`axpy: lengths differ (${x.length} vs ${n})`);
  for (let i = 0; i < n; i++) y[i] = y[i] + alpha * x[i];
  return y;
}

/** In place: x[i] = alpha * x[i]. */
export function scale(alpha: number, x: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) x[i] = alpha * x[i];
  return x;
}

/**
 * In place: v[i] = v[i] / (||v|| + eps); returns ||v|| (before scaling).
 * `eps = 1e-6` is PyHessian's `normalization` (which divides by s + 1e-6, so
 * the result has norm s / (s + 1e-6), not exactly 1); `eps = 0` normalises
 * exactly (a zero vector is left unchanged).
 */
export function normalize(v: Float64Array, eps = 0): number {
  const s = norm(v);
  const d = s + eps;
  if (d === 0) return s;
  for (let i = 0; i < v.length; i++) v[i] = v[i] / d;
  return s;
}

/**
 * In place: removes from `w` its components along each vector of `basis`,
 * one after the other (modified Gram–Schmidt, one pass):
 * w = w + (-<w, q>) q for q in basis order, as PyHessian's `orthnormal` does
 * before normalising. The basis vectors should be (nearly) orthonormal.
 */
export function orthogonalize(w: Float64Array, basis: readonly Float64Array[]): Float64Array {
  for (const q of basis) axpy(-dot(w, q), q, w);
  return w;
}

/**
 * PyHessian's `orthnormal(w, v_list)`: one modified Gram–Schmidt pass
 * against `basis`, then `normalize(w, eps)`. Returns the norm before
 * normalising. In place.
 */
export function orthonormalize(
  w: Float64Array,
  basis: readonly Float64Array[],
  eps = 0,
): number {
  orthogonalize(w, basis);
  return normalize(w, eps);
}

/**
 * NumPy's pairwise summation of a[start .. start+n) (the order `np.sum`
 * uses on a contiguous float64 array): blocks of fewer than 8 summed left to
 * right; up to 128 with eight interleaved partial sums combined as
 * ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus the remainder left to right;
 * longer runs split at n/2 rounded down to a multiple of 8.
 */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[start + i];
    return s;
  }
  if (n <= 128) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const j = start + i;
      r0 += a[j];
      r1 += a[j + 1];
      r2 += a[j + 2];
      r3 += a[j + 3];
      r4 += a[j + 4];
      r5 += a[j + 5];
      r6 += a[j + 6];
      r7 += a[j + 7];
    }
    let s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) s += a[start + i];
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}
