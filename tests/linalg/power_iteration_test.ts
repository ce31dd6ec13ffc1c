import { ok, strictEqual } from "node:assert/strict";
import { powerIteration, powerIterationTopN } from "../../lib/linalg/power_iteration.ts";
import { countingOperator, denseOperator, type Operator } from "../../lib/linalg/operator.ts";
import { Prng } from "../../lib/util/prng.ts";
import { absCos, withSpectrum } from "./_helpers.ts";

Deno.test("recovers the top eigenvalue of Q diag(lambda) Q^T within PyHessian's tolerance", async () => {
  const lambda = Array.from(
    { length: 150 },
    (_, i) => (i === 0 ? 10 : i === 1 ? 6 : Math.sin(i) * 3),
  );
  const { a, q, n } = withSpectrum(lambda, 1);
  const { op, count } = countingOperator(denseOperator(a, n));
  const r = await powerIteration(op, n, { rng: Prng.from(1001, "hessian-probe") });
  ok(r.converged);
  strictEqual(r.iterations, count());
  ok(r.iterations < 100);
  // tol 1e-3 on successive estimates with a gap ratio 0.6: the error is below ~1e-3.
  ok(Math.abs(r.eigenvalue - 10) / 10 < 2e-3, `${r.eigenvalue}`);
  ok(absCos(r.eigenvector, q[0]) > 0.99);
  // Tighter tolerance, tighter answer; PyHessian's 1e-6 in the normalisation
  // shrinks each vector by ~1e-6, biasing the quotient low by ~2e-6 relative.
  const t = await powerIteration(op, n, { rng: Prng.from(1, "p"), tol: 1e-10, maxIter: 500 });
  ok(t.eigenvalue < 10 && Math.abs(t.eigenvalue / 10 - (1 - 2e-6)) < 2e-7, `${t.eigenvalue}`);
  const exact = await powerIteration(op, n, {
    rng: Prng.from(1, "p"),
    tol: 1e-10,
    maxIter: 500,
    normEps: 0,
  });
  ok(Math.abs(exact.eigenvalue - 10) < 1e-8, `${exact.eigenvalue}`);
});

Deno.test("PyHessian's rule: on convergence the PREVIOUS estimate is returned", async () => {
  // diag(2, 1) from (1, 1)/|.|: with exact normalisation the k-th Rayleigh
  // quotient is (2^(2k+1) + 1) / (4^k + 1), k = 0, 1, ...
  const op: Operator = (v) => Promise.resolve(Float64Array.from([2 * v[0], v[1]]));
  const rq = (k: number) => (2 ** (2 * k + 1) + 1) / (4 ** k + 1);
  const seen: number[] = [];
  const r = await powerIteration(op, 2, {
    start: Float64Array.from([1, 1]),
    normEps: 0,
    tol: 1e-3,
    onIteration: ({ estimate }) => seen.push(estimate),
  });
  for (let k = 0; k < seen.length; k++) ok(Math.abs(seen[k] - rq(k)) < 1e-14);
  // First k >= 1 with |rq(k-1) - rq(k)| / (|rq(k-1)| + 1e-6) < 1e-3:
  let stop = 1;
  while (Math.abs(rq(stop - 1) - rq(stop)) / (Math.abs(rq(stop - 1)) + 1e-6) >= 1e-3) stop++;
  strictEqual(r.iterations, stop + 1);
  ok(r.converged);
  ok(Math.abs(r.eigenvalue - rq(stop - 1)) < 1e-14, "returns the previous quotient");
  ok(Math.abs(seen[seen.length - 1] - rq(stop)) < 1e-14);
  // The vector is the newest normalised H v: proportional to (2^(stop+1), 1).
  const w = [2 ** (stop + 1), 1];
  const s = Math.hypot(w[0], w[1]);
  ok(
    Math.abs(r.eigenvector[0] - w[0] / s) < 1e-14 && Math.abs(r.eigenvector[1] - w[1] / s) < 1e-14,
  );
});

Deno.test("maxIter exhausted: not converged, last estimate returned", async () => {
  // An operator whose quotient keeps growing: c v with c = 1, 2, 3, ...
  let c = 0;
  const op: Operator = (v) => {
    c++;
    return Promise.resolve(v.map((x) => x * c));
  };
  const r = await powerIteration(op, 2, { start: Float64Array.from([0.6, 0.8]), maxIter: 7 });
  strictEqual(r.iterations, 7);
  strictEqual(r.converged, false);
  ok(Math.abs(r.eigenvalue - 7) < 1e-4, `${r.eigenvalue}`);
});

Deno.test("PyHessian's normalisation constant: vectors have norm s / (s + 1e-6)", async () => {
  const op: Operator = (v) => Promise.resolve(Float64Array.from([3 * v[0], v[1]]));
  const r = await powerIteration(op, 2, { start: Float64Array.from([1, 0]), maxIter: 1 });
  // v0 = (1/(1+1e-6), 0) -> orthnormal -> H v -> normalization.
  let v = 1 / (1 + 1e-6);
  v = v / (v + 1e-6);
  strictEqual(r.eigenvalue, 3 * v * v);
  strictEqual(r.eigenvector[0], (3 * v) / (3 * v + 1e-6));
});

Deno.test("top_n = 3 by deflation (largest magnitudes, including a negative one)", async () => {
  const lambda = Array.from({ length: 80 }, (_, i) => [20, -12, 7][i] ?? 0.5 * Math.cos(i));
  const { a, q, n } = withSpectrum(lambda, 2);
  const r = await powerIterationTopN(denseOperator(a, n), n, 3, {
    rng: Prng.from(5, "probe"),
    tol: 1e-9,
    maxIter: 1000,
    normEps: 0,
  });
  strictEqual(r.length, 3);
  ok(Math.abs(r[0].eigenvalue - 20) < 1e-6);
  ok(Math.abs(r[1].eigenvalue + 12) < 1e-6);
  ok(Math.abs(r[2].eigenvalue - 7) < 1e-6);
  ok(absCos(r[1].eigenvector, q[1]) > 1 - 1e-6);
  ok(absCos(r[2].eigenvector, q[2]) > 1 - 1e-6);
  // The first pair equals a top_n = 1 run with the same generator state.
  const one = await powerIteration(denseOperator(a, n), n, {
    rng: Prng.from(5, "probe"),
    tol: 1e-9,
    maxIter: 1000,
    normEps: 0,
  });
  strictEqual(one.eigenvalue, r[0].eigenvalue);
});
