/**
 * Linear operators as asynchronous functions, so that one application can be
 * a Hessian-vector product taking seconds (or a call into workers). The
 * algorithms here (power iteration, Lanczos, SLQ, explicit matrices) only
 * ever apply an operator to a vector and never mutate the vector they pass.
 *
 * @module
 */

/** A linear operator on R^n: returns A v as a new array (it must not keep or mutate `v`). */
export type Operator = (v: Float64Array) => Promise<Float64Array>;

/** The operator v -> A v of a dense n x n row-major matrix (rows summed left to right). */
export function denseOperator(a: Float64Array, n: number): Operator {
  if (a.length !== n * n) throw new RangeError(`denseOperator: expected ${n * n} entries`);
  return (v: Float64Array) => {
    if (v.length !== n) throw new RangeError(`denseOperator: vector of length ${v.length} != ${n}`);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) s += a[row + j] * v[j];
      out[i] = s;
    }
    return Promise.resolve(out);
  };
}

/** Wraps an operator to count its applications (for reports of work done). */
export function countingOperator(op: Operator): { op: Operator; count: () => number } {
  let count = 0;
  return {
    op: (v) => {
      count++;
      return op(v);
    },
    count: () => count,
  };
}
