import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  axpy,
  dot,
  norm,
  normalize,
  orthogonalize,
  orthonormalize,
  pairwiseSum,
  scale,
} from "../../lib/linalg/vector.ts";
import { countingOperator, denseOperator } from "../../lib/linalg/operator.ts";

Deno.test("dot, norm, axpy, scale", () => {
  const a = Float64Array.from([1, 2, 3]);
  const b = Float64Array.from([4, -5, 6]);
  strictEqual(dot(a, b), 12);
  strictEqual(norm(Float64Array.from([3, 4])), 5);
  deepStrictEqual(Array.from(axpy(2, a, b.slice())), [6, -1, 12]);
  deepStrictEqual(Array.from(scale(-1, a.slice())), [-1, -2, -3]);
  throws(() => dot(a, new Float64Array(2)));
});

Deno.test("normalize: exact, and PyHessian's v / (||v|| + 1e-6)", () => {
  const v = Float64Array.from([3, 4]);
  strictEqual(normalize(v), 5);
  deepStrictEqual(Array.from(v), [0.6, 0.8]);
  const w = Float64Array.from([3, 4]);
  normalize(w, 1e-6);
  deepStrictEqual(Array.from(w), [3 / (5 + 1e-6), 4 / (5 + 1e-6)]);
  const z = new Float64Array(3);
  strictEqual(normalize(z), 0);
  deepStrictEqual(Array.from(z), [0, 0, 0]);
});

Deno.test("orthogonalize / orthonormalize (one modified Gram–Schmidt pass)", () => {
  const e1 = Float64Array.from([1, 0, 0]);
  const e2 = Float64Array.from([0, Math.SQRT1_2, Math.SQRT1_2]);
  const w = Float64Array.from([2, 3, 5]);
  orthogonalize(w, [e1, e2]);
  ok(Math.abs(dot(w, e1)) < 1e-14 && Math.abs(dot(w, e2)) < 1e-14);
  const u = Float64Array.from([2, 3, 5]);
  const s = orthonormalize(u, [e1, e2]);
  ok(Math.abs(s - Math.SQRT2) < 1e-14);
  ok(Math.abs(norm(u) - 1) < 1e-15);
});

Deno.test("pairwiseSum reproduces numpy.sum's rounding (values from NumPy 2.4)", () => {
  for (
    const [n, want] of [
      [37, 11368668595541.418],
      [200, -1910271945934557.2],
    ]
  ) {
    const a = Array.from({ length: n }, (_, i) => (i * 0.37) ** 3 * (-1) ** i * 10 ** (i % 11));
    strictEqual(pairwiseSum(a), want);
  }
  const a = Array.from({ length: 1000 }, (_, i) => (i * 0.1) ** 3 * (-1) ** i * 10 ** (i % 7));
  strictEqual(pairwiseSum(a), -540557114856.05743);
  // the left-to-right sum differs: the order matters here
  strictEqual(a.reduce((x, y) => x + y, 0), -540557114856.0589);
  strictEqual(pairwiseSum([1, 2, 3], 1, 2), 5);
});

Deno.test("denseOperator and countingOperator", async () => {
  const a = Float64Array.from([2, 1, 1, 3]);
  const { op, count } = countingOperator(denseOperator(a, 2));
  deepStrictEqual(Array.from(await op(Float64Array.from([1, -1]))), [1, -2]);
  await op(Float64Array.from([0, 1]));
  strictEqual(count(), 2);
});
