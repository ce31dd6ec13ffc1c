/**
 * An explicit matrix from an operator, column by column (A e_j), to validate
 * Hessian-vector products on small models against a full Hessian and to get
 * exact spectra (`dense_eig.ts`). Costs n operator applications.
 *
 * @module
 */

import { asymmetry } from "./dense_eig.ts";
import type { Operator } from "./operator.ts";

export { asymmetry } from "./dense_eig.ts";

/** The explicit matrix and how far from symmetric it is. */
export interface ExplicitMatrix {
  /** n x n, row-major: matrix[i * n + j] = (A e_j)_i. */
  matrix: Float64Array;
  n: number;
  /** max |A_ij - A_ji| / max |A_ij| before any symmetrisation. */
  asymmetry: number;
}

/** Options of `explicitMatrix`. */
export interface ExplicitOptions {
  /** Throw if the relative asymmetry exceeds this (default: no check). */
  symmetryTol?: number;
  /** Replace A by (A + A^T) / 2 after measuring the asymmetry (default false). */
  symmetrize?: boolean;
  /** Called after each column. */
  onColumn?: (j: number) => void;
}

/** Applies `op` to the n unit vectors and assembles A (checking its symmetry). */
export async function explicitMatrix(
  op: Operator,
  n: number,
  opts: ExplicitOptions = {},
): Promise<ExplicitMatrix> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`explicitMatrix: bad size ${n}`);
  const matrix = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const e = new Float64Array(n);
    e[j] = 1;
    const col = await op(e);
    if (col.length !== n) throw new RangeError(`explicitMatrix: operator returned ${col.length}`);
    for (let i = 0; i < n; i++) matrix[i * n + j] = col[i];
    opts.onColumn?.(j);
  }
  const asym = asymmetry(matrix, n);
  if (opts.symmetryTol !== undefined && !(asym <= opts.symmetryTol)) {
    throw new Error(
      `explicitMatrix: relative asymmetry ${asym.toExponential(3)} exceeds ${opts.symmetryTol}`,
    );
  }
  if (opts.symmetrize) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const s = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
        matrix[i * n + j] = s;
        matrix[j * n + i] = s;
      }
    }
  }
  return { matrix, n, asymmetry: asym };
}
