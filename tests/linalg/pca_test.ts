import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { pca, projectRelative } from "../../lib/linalg/pca.ts";
import { symmetricEigen } from "../../lib/linalg/dense_eig.ts";
import { Prng } from "../../lib/util/prng.ts";
import { absCos, randomOrthogonal } from "./_helpers.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

Deno.test("points on a plane: known components, variances, ratios, scores", () => {
  const n = 500;
  const basis = randomOrthogonal(n, Prng.from(1, "pca")).slice(0, 2);
  const [d1, d2] = basis;
  const c = new Float64Array(n);
  Prng.from(2, "pca").fillUniform(c, -1, 1);
  // Zero-mean, orthogonal designs: sum a = sum b = sum ab = 0.
  const a = [3, 3, 3, 3, -3, -3, -3, -3];
  const b = [1, -1, 1, -1, 1, -1, 1, -1];
  const rows = a.map((ai, t) => Float64Array.from(c, (cj, j) => cj + ai * d1[j] + b[t] * d2[j]));
  const r = pca(rows, 2);
  ok(absCos(r.components[0], d1) > 1 - 1e-12);
  ok(absCos(r.components[1], d2) > 1 - 1e-12);
  ok(close(r.explainedVariance[0], 72 / 7) && close(r.explainedVariance[1], 8 / 7));
  ok(close(r.explainedVarianceRatio[0], 0.9) && close(r.explainedVarianceRatio[1], 0.1));
  ok(close(r.singularValues[0], Math.sqrt(72)) && close(r.singularValues[1], Math.sqrt(8)));
  for (let j = 0; j < n; j++) ok(close(r.mean[j], c[j], 1e-13));
  // Signs: the largest |loading| of each component is positive.
  for (const v of r.components) {
    let arg = 0;
    for (let j = 1; j < n; j++) if (Math.abs(v[j]) > Math.abs(v[arg])) arg = j;
    ok(v[arg] > 0);
  }
  const s1 = Math.sign(r.components[0][0] * d1[0]);
  const s2 = Math.sign(r.components[1][0] * d2[0]);
  r.scores.forEach((sc, t) => {
    ok(close(sc[0], s1 * a[t], 1e-12) && close(sc[1], s2 * b[t], 1e-12));
  });
  // Coordinates relative to a reference point: it maps to exactly (0, 0).
  deepStrictEqual(projectRelative(r.components, rows[5], rows[5]), [0, 0]);
  const rel = projectRelative(r.components, rows[0], rows[5]);
  ok(close(rel[0], s1 * (a[0] - a[5]), 1e-12) && close(rel[1], s2 * (b[0] - b[5]), 1e-12));
  // Relative to the mean it is sklearn's transform (= the scores).
  const m = projectRelative(r.components, rows[2], r.mean);
  ok(close(m[0], r.scores[2][0], 1e-12) && close(m[1], r.scores[2][1], 1e-12));
});

Deno.test("points on a line: one component carries all the variance", () => {
  const d = Float64Array.from([0, 3, -4, 0]).map((x) => x / 5); // largest |loading| is -0.8
  const steps = [0, 1, 2, 5, 9];
  const rows = steps.map((s) => Float64Array.from(d, (x, j) => 10 + j + s * x));
  const r = pca(rows, 1);
  // d's largest |loading| is -0.8, so the component is -d.
  [0, -0.6, 0.8, 0].forEach((want, j) => ok(Math.abs(r.components[0][j] - want) < 1e-12));
  ok(close(r.explainedVarianceRatio[0], 1));
  const mean = steps.reduce((x, y) => x + y) / steps.length;
  r.scores.forEach((sc, t) => ok(close(sc[0], -(steps[t] - mean), 1e-12)));
});

Deno.test("matches the covariance-matrix route (N x N eigenproblem) on random data", () => {
  const t = 9, n = 6;
  const rng = Prng.from(3, "pca");
  const rows = Array.from({ length: t }, () => {
    const r = new Float64Array(n);
    rng.fillNormal(r);
    r[0] *= 4;
    r[1] *= 2;
    return r;
  });
  const res = pca(rows, 3);
  const mean = new Float64Array(n);
  for (const r of rows) for (let j = 0; j < n; j++) mean[j] += r[j] / t;
  const cov = new Float64Array(n * n);
  for (const r of rows) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) cov[i * n + j] += ((r[i] - mean[i]) * (r[j] - mean[j])) / (t - 1);
    }
  }
  const eig = symmetricEigen(cov, n, { vectors: true });
  let trace = 0;
  for (let i = 0; i < n; i++) trace += cov[i * n + i];
  for (let k = 0; k < 3; k++) {
    const idx = n - 1 - k;
    ok(close(res.explainedVariance[k], eig.values[idx], 1e-12));
    ok(close(res.explainedVarianceRatio[k], eig.values[idx] / trace, 1e-12));
    ok(absCos(res.components[k], eig.vectors![idx]) > 1 - 1e-12);
  }
});

Deno.test("a trajectory-sized case: 51 x 160,000 stays fast and exact on a plane", () => {
  const n = 160_000, t = 51;
  const d1 = new Float64Array(n), d2 = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    d1[j] = Math.sin(j) / Math.sqrt(n / 2);
    d2[j] = Math.cos(j) / Math.sqrt(n / 2);
  }
  const rows = Array.from(
    { length: t },
    (_, i) =>
      Float64Array.from(d1, (x, j) => 1 + 5 * Math.cos(i / 8) * x + Math.sin(i / 3) * d2[j]),
  );
  const r = pca(rows, 2);
  strictEqual(r.components[0].length, n);
  ok(r.explainedVarianceRatio[0] > r.explainedVarianceRatio[1]);
  ok(Math.abs(r.explainedVarianceRatio[0] + r.explainedVarianceRatio[1] - 1) < 1e-9);
  deepStrictEqual(projectRelative(r.components, rows[30], rows[30]), [0, 0]);
  throws(() => pca([rows[0]]));
  throws(() => pca(rows, 0));
});
