/**
 * Full eigen-decomposition of a small dense real symmetric matrix (up to a
 * few thousand rows): Householder reduction to tridiagonal form, the
 * implicit QL iteration (`tridiagonal.ts`), then, if eigenvectors are asked
 * for, the Householder reflectors applied back to the tridiagonal's
 * eigenvectors. O(n^3) on Float64Arrays.
 *
 * mathjs's `eigs` gives the same spectra (the tests compare them) but takes
 * ~3 s at n = 200 and ~15 s at n = 300 and grows faster than n^3, so explicit
 * Hessians of the small models (hundreds to ~2,000 rows) use this solver.
 *
 * @module
 */

import { sortedEigen, type SymmetricEigen, tqlImplicit } from "./tridiagonal.ts";

export type { SymmetricEigen } from "./tridiagonal.ts";

/**
 * Eigenvalues (ascending) and optionally unit eigenvectors of the symmetric
 * n x n row-major matrix `a` (not modified; only its lower triangle is read,
 * as LAPACK's `uplo='L'`).
 */
export function symmetricEigen(
  a: Float64Array,
  n: number,
  opts: { vectors?: boolean } = {},
): SymmetricEigen {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: expected ${n * n} entries`);
  // Only the lower triangle of `l` is kept up to date (row-major, j <= i).
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = a[i * n + j];
      if (!Number.isFinite(x)) {
        throw new RangeError(`symmetricEigen: non-finite entry (${i}, ${j})`);
      }
      l[i * n + j] = x;
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const reflectors: { k: number; v: Float64Array; tau: number }[] = [];
  // Step k reflects indices k+1..n-1 with H = I - tau v v^T and turns the
  // trailing block B into B - v w^T - w v^T, w = p - (tau/2)(v.p) v, p = tau B v.
  // That rank-2 update is deferred and fused with the next step's product
  // B v, so each step sweeps the lower triangle once (the cost is memory).
  let vPrev = new Float64Array(n); // pending update (zero outside its range)
  let wPrev = new Float64Array(n);
  for (let k = 0; k + 2 < n; k++) {
    // Bring column k (rows >= k) up to date, then read the diagonal and x.
    for (let i = k; i < n; i++) l[i * n + k] -= vPrev[i] * wPrev[k] + wPrev[i] * vPrev[k];
    d[k] = l[k * n + k];
    const x0 = l[(k + 1) * n + k];
    let tail = 0;
    for (let i = k + 2; i < n; i++) tail += l[i * n + k] * l[i * n + k];
    const v = new Float64Array(n);
    let tau = 0;
    if (tail === 0) {
      e[k] = x0; // already tridiagonal in this column: H = I
    } else {
      const alpha = x0 >= 0 ? -Math.sqrt(x0 * x0 + tail) : Math.sqrt(x0 * x0 + tail);
      for (let i = k + 1; i < n; i++) v[i] = l[i * n + k];
      v[k + 1] -= alpha;
      let vtv = 0;
      for (let i = k + 1; i < n; i++) vtv += v[i] * v[i];
      tau = 2 / vtv;
      e[k] = alpha;
      reflectors.push({ k, v: v.slice(k + 1), tau });
    }
    // Fused sweep over the trailing lower triangle: apply the pending update
    // and accumulate p = B v from both triangles of the symmetric B.
    const p = new Float64Array(n);
    for (let i = k + 1; i < n; i++) {
      const row = i * n;
      const vi = v[i], ai = vPrev[i], bi = wPrev[i];
      let acc = 0;
      for (let j = k + 1; j < i; j++) {
        const x = l[row + j] - (ai * wPrev[j] + bi * vPrev[j]);
        l[row + j] = x;
        acc += x * v[j];
        p[j] += x * vi;
      }
      const x = l[row + i] - (ai * wPrev[i] + bi * vPrev[i]);
      l[row + i] = x;
      p[i] += acc + x * vi;
    }
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      p[i] *= tau;
      vp += v[i] * p[i];
    }
    const half = 0.5 * tau * vp;
    for (let i = k + 1; i < n; i++) p[i] -= half * v[i];
    vPrev = v;
    wPrev = p;
  }
  // The last 2 x 2 (or 1 x 1) block, with the pending update applied.
  for (let i = Math.max(0, n - 2); i < n; i++) {
    for (let j = Math.max(0, n - 2); j <= i; j++) {
      l[i * n + j] -= vPrev[i] * wPrev[j] + wPrev[i] * vPrev[j];
    }
  }
  if (n >= 2) {
    d[n - 2] = l[(n - 2) * n + n - 2];
    e[n - 2] = l[(n - 1) * n + n - 2];
  }
  if (n >= 1) d[n - 1] = l[(n - 1) * n + n - 1];

  let zt: Float64Array | null = null;
  if (opts.vectors) {
    zt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) zt[i * n + i] = 1;
  }
  tqlImplicit(d, e, zt);
  if (zt) {
    // Eigenvectors of A are Q y with Q = H_0 H_1 ... : apply the last reflector first.
    for (let r = 0; r < n; r++) {
      const y = zt.subarray(r * n, (r + 1) * n);
      for (let h = reflectors.length - 1; h >= 0; h--) {
        const { k, v, tau } = reflectors[h];
        let s = 0;
        for (let i = 0; i < v.length; i++) s += v[i] * y[k + 1 + i];
        s *= tau;
        for (let i = 0; i < v.length; i++) y[k + 1 + i] -= s * v[i];
      }
    }
  }
  return sortedEigen(d, zt);
}

/** Largest |a_ij - a_ji| relative to the largest |a_ij| (0 for a symmetric matrix). */
export function asymmetry(a: Float64Array, n: number): number {
  let diff = 0, big = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      big = Math.max(big, Math.abs(a[i * n + j]));
      if (j < i) diff = Math.max(diff, Math.abs(a[i * n + j] - a[j * n + i]));
    }
  }
  return big === 0 ? 0 : diff / big;
}
