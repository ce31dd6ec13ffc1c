/**
 * Centred PCA of a few long vectors (a training trajectory: T ~ 51 rows of
 * up to ~160,000 parameters) through the T x T Gram matrix, with the results
 * scikit-learn's `PCA(n_components=k).fit(X)` reports.
 *
 * With X_c = X - mean (rows centred), G = X_c X_c^T = U diag(s^2) U^T, the
 * SVD of X_c is U diag(s) V^T with V^T's rows v_i = X_c^T u_i / s_i. So:
 * - `components[i]` = v_i (unit length, N entries), sklearn's
 *   `components_[i]`;
 * - `explainedVariance[i]` = s_i^2 / (T - 1) (sklearn's
 *   `explained_variance_`);
 * - `explainedVarianceRatio[i]` = s_i^2 / ||X_c||_F^2 (sklearn's ratio,
 *   variance / total variance; the n - 1 cancels; sklearn's randomized
 *   solver, the one `svd_solver="auto"` picks for this shape, divides by
 *   `np.var(X, ddof=1, axis=0).sum()`, the same total);
 * - `scores[t][i]` = (x_t - mean) . v_i (sklearn's `transform`).
 *
 * **Signs.** scikit-learn >= 1.5 makes each component's largest-magnitude
 * loading positive: `svd_flip(U, Vt, u_based_decision=False)` (argmax of
 * |V^T| along each row, first index on ties, then multiply the row by the
 * sign of that entry). Earlier versions flipped on U (the largest |score| of
 * each component positive). This module follows >= 1.5, because the sign
 * then depends on the component itself, not on which samples are present.
 *
 * The Gram route costs O(T^2 N) and never forms an N x N matrix; it squares
 * the condition number, which only affects components with tiny variance
 * (relative precision ~ 1e-16 * s_1^2 / s_i^2), not the leading ones.
 *
 * @module
 */

import { symmetricEigen } from "./dense_eig.ts";

/** What `pca` returns for the leading k components. */
export interface PcaResult {
  /** The column means (length N). */
  mean: Float64Array;
  /** k unit vectors of length N, by decreasing variance (a zero vector if the data have rank < i + 1 exactly). */
  components: Float64Array[];
  /** s_i^2 / (T - 1). */
  explainedVariance: number[];
  /** s_i^2 / sum of all s_j^2. */
  explainedVarianceRatio: number[];
  /** s_i, the singular values of the centred data. */
  singularValues: number[];
  /** T rows of k coordinates: (x_t - mean) . components[i]. */
  scores: number[][];
}

/**
 * Centred PCA of `rows` (T vectors of equal length N, e.g. views into a
 * trajectory array) to `k` components (default 2).
 */
export function pca(rows: readonly Float64Array[], k = 2): PcaResult {
  const t = rows.length;
  if (t < 2) throw new RangeError(`pca: need at least 2 rows, got ${t}`);
  const n = rows[0].length;
  for (const r of rows) if (r.length !== n) throw new RangeError("pca: rows differ in length");
  if (!Number.isInteger(k) || k < 1 || k > Math.min(t, n)) {
    throw new RangeError(`pca: k must be in 1..${Math.min(t, n)}, got ${k}`);
  }
  const mean = new Float64Array(n);
  for (const r of rows) for (let j = 0; j < n; j++) mean[j] += r[j];
  for (let j = 0; j < n; j++) mean[j] /= t;
  const centred = rows.map((r) => {
    const c = new Float64Array(n);
    for (let j = 0; j < n; j++) c[j] = r[j] - mean[j];
    return c;
  });
  // Gram matrix (symmetric; both triangles filled).
  const g = new Float64Array(t * t);
  for (let a = 0; a < t; a++) {
    for (let b = 0; b <= a; b++) {
      const x = centred[a], y = centred[b];
      let s = 0;
      for (let j = 0; j < n; j++) s += x[j] * y[j];
      g[a * t + b] = s;
      g[b * t + a] = s;
    }
  }
  let total = 0;
  for (let a = 0; a < t; a++) total += g[a * t + a];
  if (!(total > 0)) throw new RangeError("pca: the rows are all equal (zero variance)");
  const eig = symmetricEigen(g, t, { vectors: true });
  const components: Float64Array[] = [];
  const singularValues: number[] = [];
  const explainedVariance: number[] = [];
  const explainedVarianceRatio: number[] = [];
  const scoreCols: Float64Array[] = [];
  for (let i = 0; i < k; i++) {
    const idx = t - 1 - i; // eigenvalues ascend
    const u = eig.vectors![idx];
    // v = X_c^T u, normalised; its norm is the singular value.
    const v = new Float64Array(n);
    for (let a = 0; a < t; a++) {
      const ua = u[a], x = centred[a];
      if (ua !== 0) { for (let j = 0; j < n; j++) v[j] += ua * x[j]; }
    }
    let ss = 0;
    for (let j = 0; j < n; j++) ss += v[j] * v[j];
    const s = Math.sqrt(ss);
    if (s > 0) {
      // sklearn >= 1.5 sign: the largest |loading| (first on ties) is positive.
      let arg = 0;
      for (let j = 1; j < n; j++) if (Math.abs(v[j]) > Math.abs(v[arg])) arg = j;
      const sign = v[arg] < 0 ? -1 : 1;
      for (let j = 0; j < n; j++) v[j] = (sign * v[j]) / s;
    } // else: exactly no variance left (rank < k); the component stays the zero vector.
    components.push(v);
    singularValues.push(s);
    explainedVariance.push(ss / (t - 1));
    explainedVarianceRatio.push(ss / total);
    const col = new Float64Array(t);
    for (let a = 0; a < t; a++) {
      let p = 0;
      const x = centred[a];
      for (let j = 0; j < n; j++) p += x[j] * v[j];
      col[a] = p;
    }
    scoreCols.push(col);
  }
  const scores = Array.from({ length: t }, (_, a) => scoreCols.map((c) => c[a]));
  return { mean, components, explainedVariance, explainedVarianceRatio, singularValues, scores };
}

/**
 * Coordinates of `x` along the components, relative to `reference`:
 * ((x - reference) . v_i). The reference itself maps to exactly 0; with
 * `reference = mean` this is sklearn's `transform`.
 */
export function projectRelative(
  components: readonly Float64Array[],
  x: Float64Array,
  reference: Float64Array,
): number[] {
  const n = x.length;
  if (reference.length !== n) throw new RangeError("projectRelative: lengths differ");
  return components.map((v) => {
    if (v.length !== n) throw new RangeError("projectRelative: component length differs");
    let p = 0;
    for (let j = 0; j < n; j++) p += (x[j] - reference[j]) * v[j];
    return p;
  });
}
