import { ok, strictEqual, throws } from "node:assert/strict";
import { lanczos, LanczosProcess, lanczosTopEigen, ritz } from "../../lib/linalg/lanczos.ts";
import { countingOperator, denseOperator } from "../../lib/linalg/operator.ts";
import { dot } from "../../lib/linalg/vector.ts";
import { Prng } from "../../lib/util/prng.ts";
import { absCos, matVec, withSpectrum } from "./_helpers.ts";

const SPECTRUM = Array.from(
  { length: 200 },
  (_, i) => [25, 17, 12, 9.5, 8][i] ?? 4 * Math.sin(0.37 * i) - 1,
);

Deno.test("lanczosTopEigen recovers the top 5 eigenvalues and counts applications", async () => {
  const { a, q, n } = withSpectrum(SPECTRUM, 4);
  const { op, count } = countingOperator(denseOperator(a, n));
  const r = await lanczosTopEigen(op, n, {
    k: 5,
    maxSteps: 80,
    tol: 1e-10,
    rng: Prng.from(1, "lanczos"),
    vectors: true,
  });
  ok(r.converged);
  strictEqual(r.applications, count());
  strictEqual(r.steps, r.applications);
  ok(r.steps <= 80);
  const want = [25, 17, 12, 9.5, 8];
  for (let i = 0; i < 5; i++) ok(Math.abs(r.values[i] - want[i]) < 1e-8, `${i}: ${r.values[i]}`);
  for (let i = 0; i < 3; i++) ok(absCos(r.vectors![i], q[i]) > 1 - 1e-8);
  // The residual bounds are honest: ||A y - theta y|| <= bound (+ rounding).
  for (let i = 0; i < 5; i++) {
    const y = r.vectors![i];
    const ay = matVec(a, n, y);
    let res = 0;
    for (let j = 0; j < n; j++) res += (ay[j] - r.values[i] * y[j]) ** 2;
    ok(Math.sqrt(res) <= r.residuals[i] + 1e-10, `${Math.sqrt(res)} vs ${r.residuals[i]}`);
  }
});

Deno.test("a loose tolerance stops early; maxSteps caps the work", async () => {
  const { a, n } = withSpectrum(SPECTRUM, 4);
  const loose = await lanczosTopEigen(denseOperator(a, n), n, {
    k: 1,
    tol: 1e-3,
    rng: Prng.from(2, "l"),
  });
  ok(loose.converged && loose.steps < 30);
  ok(Math.abs(loose.values[0] - 25) / 25 < 1e-2);
  const capped = await lanczosTopEigen(denseOperator(a, n), n, {
    k: 3,
    tol: 0,
    maxSteps: 6,
    rng: Prng.from(2, "l"),
  });
  strictEqual(capped.steps, 6);
  strictEqual(capped.converged, false);
});

Deno.test("breakdown: 3 distinct eigenvalues give an exact invariant subspace after 3 steps", async () => {
  const lambda = Array.from({ length: 60 }, (_, i) => [5, -2, 0.5][i % 3]);
  const { a, n } = withSpectrum(lambda, 6);
  const r = await lanczos(denseOperator(a, n), n, 20, { rng: Prng.from(3, "b"), keepBasis: true });
  ok(r.breakdown);
  strictEqual(r.alpha.length, 3);
  strictEqual(r.applications, 3);
  const { values } = ritz(r.alpha, r.beta);
  const want = [-2, 0.5, 5];
  for (let i = 0; i < 3; i++) ok(Math.abs(values[i] - want[i]) < 1e-12);
  const top = await lanczosTopEigen(denseOperator(a, n), n, { k: 2, rng: Prng.from(3, "b") });
  ok(top.converged);
  strictEqual(top.steps, 3);
  ok(Math.abs(top.values[0] - 5) < 1e-12 && Math.abs(top.values[1] - 0.5) < 1e-12);
});

Deno.test("the basis stays orthonormal and A Q = Q T + r e^T holds", async () => {
  const { a, n } = withSpectrum(SPECTRUM, 8);
  const proc = new LanczosProcess(denseOperator(a, n), n, { rng: Prng.from(4, "o") });
  for (let j = 0; j < 40; j++) await proc.step();
  const qs = proc.basis;
  for (let i = 0; i < qs.length; i++) {
    for (let j = 0; j <= i; j++) {
      ok(Math.abs(dot(qs[i], qs[j]) - (i === j ? 1 : 0)) < 1e-13);
    }
  }
  // Column j of A Q - Q T is zero for j < m - 1.
  for (let j = 0; j < 39; j++) {
    const aq = matVec(a, n, qs[j]);
    for (let i = 0; i < n; i++) {
      let t = proc.alpha[j] * qs[j][i] + proc.beta[j] * qs[j + 1][i];
      if (j > 0) t += proc.beta[j - 1] * qs[j - 1][i];
      ok(Math.abs(aq[i] - t) < 1e-11);
    }
  }
});

Deno.test("PyHessian's variant gives the same tridiagonal up to rounding", async () => {
  const { a, n } = withSpectrum(SPECTRUM, 9);
  const start = new Float64Array(n);
  Prng.from(5, "start").fillRademacher(start);
  const std = await lanczos(denseOperator(a, n), n, 30, { start });
  const pyh = await lanczos(denseOperator(a, n), n, 30, { start, variant: "pyhessian" });
  // PyHessian's 1e-6 in the normalisation scales the start by ~1 - 1e-6/sqrt(n).
  for (let j = 0; j < 30; j++) ok(Math.abs(std.alpha[j] - pyh.alpha[j]) < 1e-5 * 25);
  for (let j = 0; j < 29; j++) ok(Math.abs(std.beta[j] - pyh.beta[j]) < 1e-5 * 25);
  // PyHessian's variant never stops early: 70 steps on a 60-dim space with 3 values.
  const lambda = Array.from({ length: 60 }, (_, i) => [5, -2, 0.5][i % 3]);
  const m = withSpectrum(lambda, 6);
  const r = await lanczos(denseOperator(m.a, 60), 60, 10, {
    start: start.subarray(0, 60),
    rng: Prng.from(1, "restart"),
    variant: "pyhessian",
  });
  strictEqual(r.alpha.length, 10);
  strictEqual(r.breakdown, false);
  throws(() => new LanczosProcess(denseOperator(m.a, 60), 60, {}));
});
