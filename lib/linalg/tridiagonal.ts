/**
 * Eigen-decomposition of real symmetric tridiagonal matrices: the small
 * Lanczos tridiagonals (Ritz values and vectors, SLQ nodes and weights) with
 * mathjs's `eigs`, and, after Householder reduction of a dense matrix of up
 * to a few thousand rows (`dense_eig.ts`, where mathjs is far too slow), by
 * the implicit QL algorithm with Wilkinson-type shifts (the method of
 * EISPACK's `tql2` / `imtql2`) on Float64Arrays.
 *
 * Results are sorted ascending (as `numpy.linalg.eigh` and mathjs `eigs`).
 * Eigenvectors are unit vectors; their signs are whatever the iteration
 * produces (deterministic, but not normalised to a convention).
 *
 * @module
 */

import { eigs } from "mathjs";

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
 * (length m - 1, or longer: extra entries are ignored). These are the small
 * Lanczos matrices (m is the number of Lanczos steps, at most a few hundred),
 * solved with mathjs's `eigs`; `tqlImplicit` serves the large dense case.
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
  if (m === 0) {
    return opts.vectors
      ? { values: new Float64Array(0), vectors: [] }
      : { values: new Float64Array(0) };
  }
  const rows: number[][] = Array.from({ length: m }, () => new Array(m).fill(0));
  for (let i = 0; i < m; i++) {
    if (!Number.isFinite(alpha[i]) || (i + 1 < m && !Number.isFinite(beta[i]))) {
      throw new RangeError(`tridiagonalEigen: non-finite entry in row ${i}`);
    }
    rows[i][i] = alpha[i];
    if (i + 1 < m) rows[i][i + 1] = rows[i + 1][i] = beta[i];
  }
  const result = (opts.vectors ? eigs(rows) : eigs(rows, { eigenvectors: false })) as unknown as {
    values: number[];
    eigenvectors?: { value: number; vector: number[] }[];
  };
  const d = Float64Array.from(result.values);
  let zt: Float64Array | null = null;
  if (opts.vectors) {
    // Rows of zt are the eigenvectors, in the order of `values`, as sortedEigen expects.
    zt = new Float64Array(m * m);
    result.eigenvectors!.forEach((ev, j) => {
      d[j] = ev.value;
      zt!.set(ev.vector, j * m);
    });
  }
  return sortedEigen(d, zt);
}
