/**
 * Test matrices with a known spectrum: A = Q diag(lambda) Q^T with Q a random
 * orthogonal matrix (Gram–Schmidt, applied twice, of Gaussian columns).
 *
 * @module
 */

import { Prng } from "../../lib/util/prng.ts";

/** n orthonormal vectors of length n (the columns of a random orthogonal Q). */
export function randomOrthogonal(n: number, rng: Prng): Float64Array[] {
  const q: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(n);
    rng.fillNormal(v);
    for (let pass = 0; pass < 2; pass++) {
      for (const u of q) {
        let d = 0;
        for (let i = 0; i < n; i++) d += u[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= d * u[i];
      }
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += v[i] * v[i];
    s = Math.sqrt(s);
    for (let i = 0; i < n; i++) v[i] /= s;
    q.push(v);
  }
  return q;
}

/** A symmetric n x n row-major matrix with eigenvalues `lambda` and eigenvectors `q`. */
export function withSpectrum(
  lambda: readonly number[],
  seed = 1,
): { a: Float64Array; q: Float64Array[]; n: number } {
  const n = lambda.length;
  const q = randomOrthogonal(n, Prng.from(seed, "test-orthogonal"));
  const a = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const v = q[k], l = lambda[k];
    for (let i = 0; i < n; i++) {
      const li = l * v[i];
      for (let j = 0; j < n; j++) a[i * n + j] += li * v[j];
    }
  }
  // Exact symmetry (the sums above are symmetric up to rounding).
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const s = 0.5 * (a[i * n + j] + a[j * n + i]);
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  }
  return { a, q, n };
}

/** y = A x for a row-major n x n matrix. */
export function matVec(a: Float64Array, n: number, x: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j] * x[j];
    y[i] = s;
  }
  return y;
}

/** |<a, b>| for unit vectors: 1 when they span the same line. */
export function absCos(a: Float64Array, b: Float64Array): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return Math.abs(d) / Math.sqrt(na * nb);
}
