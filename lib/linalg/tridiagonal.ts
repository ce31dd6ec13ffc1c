/**
 * Eigen-decomposition of a real symmetric tridiagonal matrix by the implicit
 * QL algorithm with Wilkinson-type shifts (the method of EISPACK's `tql2` /
 * `imtql2`), on Float64Arrays. Used for Lanczos tridiagonals (Ritz values
 * and vectors, SLQ nodes and weights) and, after Householder reduction, for
 * small dense symmetric matrices (`dense_eig.ts`).
 *
 * Results are sorted ascending (as `numpy.linalg.eigh` and mathjs `eigs`).
 * Eigenvectors are unit vectors; their signs are whatever the iteration
 * produces (deterministic, but not normalised to a convention).
 *
 * @module
 */

/** Eigenvalues (ascending) and, if asked, the matching unit eigenvectors. */
export interface SymmetricEigen {
  values: Float64Array;
  /** vectors[j] is the eigenvector of values[j] (present when requested). */
  vectors?: Float64Array[];
}

const EPS = 2 ** -52;
const MAX_SWEEPS_PER_VALUE = 60;

/**
 * The QL iteration in place. `d` (length n) holds the diagonal and receives
 * the eigenvalues (unsorted); `e` (length n) holds the sub-diagonal in
 * e[0..n-2] (e[i] couples i and i+1) and is destroyed. If `zt` (n x n,
 * row-major) is given, its ROWS are rotated along: start from the identity to
 * get the eigenvectors of T as rows (row j belongs to d[j]), or from Q^T to
 * get those of Q T Q^T. Rows rather than columns keep each plane rotation on
 * two contiguous rows.
 */
export function tqlImplicit(d: Float64Array, e: Float64Array, zt: Float64Array | null): void {
  const n = d.length;
  if (e.length < n) throw new RangeError("tqlImplicit: e must have length n");
  if (n === 0) return;
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      // Look for a negligible sub-diagonal element e[m] to split the matrix.
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= EPS * dd) break;
      }
      if (m === l) break;
      if (++iter > MAX_SWEEPS_PER_VALUE) {
        throw new Error("tqlImplicit: no convergence (non-finite input?)");
      }
      // Shift from the leading 2 x 2 block (Wilkinson), applied implicitly.
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // Recover from underflow: deflate and restart this eigenvalue.
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        if (zt) {
          // Rotate rows i and i+1.
          const ri = i * n, rj = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const a = zt[rj + k];
            const z = zt[ri + k];
            zt[rj + k] = s * z + c * a;
            zt[ri + k] = c * z - s * a;
          }
        }
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

/** Sorts eigenvalues ascending and gathers the matching rows of `zt` as vectors. */
export function sortedEigen(d: Float64Array, zt: Float64Array | null): SymmetricEigen {
  const n = d.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[a] - d[b] || a - b);
  const values = Float64Array.from(order, (i) => d[i]);
  if (!zt) return { values };
  const vectors = order.map((i) => zt.slice(i * n, (i + 1) * n));
  return { values, vectors };
}

/**
 * Eigenvalues (ascending) and optionally eigenvectors of the symmetric
 * tridiagonal matrix with diagonal `alpha` (length m) and off-diagonal `beta`
 * (length m - 1, or longer: extra entries are ignored).
 */
export function tridiagonalEigen(
  alpha: ArrayLike<number>,
  beta: ArrayLike<number>,
  opts: { vectors?: boolean } = {},
): SymmetricEigen {
  const m = alpha.length;
  if (beta.length < m - 1) {
    throw new RangeError(
      `tridiagonalEigen: need ${m - 1} off-diagonal entries, got ${beta.length}`,
    );
  }
  const d = Float64Array.from(alpha);
  const e = new Float64Array(m);
  for (let i = 0; i + 1 < m; i++) e[i] = beta[i];
  let zt: Float64Array | null = null;
  if (opts.vectors) {
    zt = new Float64Array(m * m);
    for (let i = 0; i < m; i++) zt[i * m + i] = 1;
  }
  tqlImplicit(d, e, zt);
  return sortedEigen(d, zt);
}
