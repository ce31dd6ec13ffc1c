import { ok, strictEqual, throws } from "node:assert/strict";
import { slq } from "../../lib/linalg/slq.ts";
import { densityGenerate } from "../../lib/linalg/density.ts";
import { countingOperator, denseOperator } from "../../lib/linalg/operator.ts";
import { Prng } from "../../lib/util/prng.ts";
import { matVec, withSpectrum } from "./_helpers.ts";

// 400 eigenvalues: 300 spread over [-0.5, 0.5], 96 near 3, and 4 outliers.
const LAMBDA = Array.from({ length: 400 }, (_, i) => {
  if (i < 300) return -0.5 + i / 299;
  if (i < 396) return 3 + 0.01 * Math.sin(i);
  return [8, 9, 10, 12][i - 396];
});

Deno.test("SLQ quadrature reproduces each probe's moments q^T A^p q (p < 2 iter)", async () => {
  const { a, n } = withSpectrum(LAMBDA, 11);
  const steps = 12;
  for (const variant of ["standard", "pyhessian"] as const) {
    const rng = Prng.from(1001, "slq");
    const probeRng = rng.clone(); // the probes are Rademacher vectors drawn in order
    const { op, count } = countingOperator(denseOperator(a, n));
    const r = await slq(op, n, { probes: 3, steps, rng, variant });
    strictEqual(r.applications, 3 * steps);
    strictEqual(count(), 3 * steps);
    // The standard variant is exact to rounding. PyHessian's divides every
    // vector by ||v|| + 1e-6, which scales T (and so the nodes) by ~(1 - 2e-6).
    const tol = variant === "standard" ? 1e-10 : 2e-5;
    for (let p = 0; p < 3; p++) {
      strictEqual(r.nodes[p].length, steps);
      const q = new Float64Array(n);
      probeRng.fillRademacher(q);
      for (let i = 0; i < n; i++) q[i] /= Math.sqrt(n);
      let sw = 0;
      for (const w of r.weights[p]) sw += w;
      ok(Math.abs(sw - 1) < 1e-12, "weights sum to 1");
      let x: Float64Array = q;
      for (let k = 1; k <= 8; k++) {
        x = matVec(a, n, x);
        let exact = 0;
        for (let i = 0; i < n; i++) exact += q[i] * x[i];
        let quad = 0;
        r.nodes[p].forEach((t, j) => quad += r.weights[p][j] * t ** k);
        const scale = Math.max(1, 12 ** k / 100);
        ok(
          Math.abs(quad - exact) < tol * k * scale,
          `${variant} p=${p} k=${k}: ${quad} vs ${exact}`,
        );
      }
    }
  }
});

Deno.test("SLQ density puts the right mass near the known eigenvalues", async () => {
  const { a, n } = withSpectrum(LAMBDA, 12);
  const r = await slq(denseOperator(a, n), n, { probes: 4, steps: 40, rng: Prng.from(7, "slq") });
  const { grid, density } = densityGenerate(r.nodes, r.weights);
  strictEqual(grid.length, 10000);
  const dx = grid[1] - grid[0];
  const mass = (lo: number, hi: number) => {
    let m = 0;
    grid.forEach((x, j) => {
      if (x >= lo && x <= hi) m += density[j] * dx;
    });
    return m;
  };
  ok(Math.abs(mass(-Infinity, Infinity) - 1) < 1e-12);
  // Expected masses 300/400, 96/400, 1/400 each; Rademacher noise ~ 0.02.
  ok(Math.abs(mass(-0.6, 0.6) - 0.75) < 0.06, `bulk ${mass(-0.6, 0.6)}`);
  ok(Math.abs(mass(2.9, 3.1) - 0.24) < 0.06, `cluster ${mass(2.9, 3.1)}`);
  ok(mass(11.9, 12.1) > 0.0005 && mass(11.9, 12.1) < 0.01, `top ${mass(11.9, 12.1)}`);
  ok(mass(5, 7.5) < 1e-6, "no mass in the gap");
  // The largest node is the top eigenvalue (Lanczos finds extremes first), up
  // to PyHessian's normalisation constant: q_j = w / (||w|| + 1e-6) shrinks
  // the basis vectors by ~1e-6 / beta, and the nodes with them.
  for (const nd of r.nodes) ok(Math.abs(Math.max(...nd) / 12 - 1) < 3e-6);
});

Deno.test("density: PyHessian's grid (means of per-probe extremes) and variance rule", () => {
  // Two probes; node ranges [1, 3] and [2, 5]: grid from mean(1, 2) - 0.01 to mean(3, 5) + 0.01.
  const nodes = [[1, 3], [2, 5]];
  const weights = [[0.5, 0.5], [0.25, 0.75]];
  const { grid, density } = densityGenerate(nodes, weights, { numBins: 1001 });
  strictEqual(grid[0], 1.5 - 0.01);
  strictEqual(grid[1000], 4 + 0.01);
  strictEqual(grid[500], 500 * ((4.01 - 1.49) / 1000) + 1.49);
  // sigma (a variance) = 1e-5 * max(1, 2.52); evaluate one grid point by hand.
  const v = 1e-5 * (4.01 - 1.49);
  const g = (x: number, x0: number) =>
    Math.exp(-((x0 - x) ** 2) / (2 * v)) / Math.sqrt(2 * Math.PI * v);
  const raw = (x: number) =>
    ((0.5 * g(1, x) + 0.5 * g(3, x)) + (0.25 * g(2, x) + 0.75 * g(5, x))) / 2;
  let total = 0;
  for (const x of grid) total += raw(x);
  const norm = total * (grid[1] - grid[0]);
  for (const j of [0, 17, 400, 600, 1000]) {
    ok(Math.abs(density[j] - raw(grid[j]) / norm) <= 1e-12 * Math.max(1, density[j]), `bin ${j}`);
  }
  throws(() => densityGenerate([], []));
  throws(() => densityGenerate([[1]], [[1, 2]]));
});

Deno.test("standard variant stops at the invariant subspace when steps exceed it", async () => {
  const lambda = Array.from({ length: 50 }, (_, i) => [4, 1, -1, 2][i % 4]);
  const { a, n } = withSpectrum(lambda, 13);
  const r = await slq(denseOperator(a, n), n, {
    probes: 2,
    steps: 20,
    rng: Prng.from(3, "slq"),
    variant: "standard",
  });
  strictEqual(r.applications, 8);
  for (const nd of r.nodes) {
    strictEqual(nd.length, 4);
    const want = [-1, 1, 2, 4];
    nd.forEach((t, i) => ok(Math.abs(t - want[i]) < 1e-12));
  }
});
