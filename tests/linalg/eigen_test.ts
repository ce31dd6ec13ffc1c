import { ok, strictEqual, throws } from "node:assert/strict";
import { eigs } from "mathjs";
import { tridiagonalEigen } from "../../lib/linalg/tridiagonal.ts";
import { asymmetry, symmetricEigen } from "../../lib/linalg/dense_eig.ts";
import { Prng } from "../../lib/util/prng.ts";
import { absCos, matVec, withSpectrum } from "./_helpers.ts";

function maxResidual(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array[]) {
  let r = 0;
  vectors.forEach((x, j) => {
    const y = matVec(a, n, x);
    for (let i = 0; i < n; i++) r = Math.max(r, Math.abs(y[i] - values[j] * x[i]));
  });
  return r;
}

function maxOrthError(vectors: Float64Array[]) {
  let e = 0;
  for (let p = 0; p < vectors.length; p++) {
    for (let q = 0; q <= p; q++) {
      let d = 0;
      for (let i = 0; i < vectors[p].length; i++) d += vectors[p][i] * vectors[q][i];
      e = Math.max(e, Math.abs(d - (p === q ? 1 : 0)));
    }
  }
  return e;
}

function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = Prng.from(seed, "test-symmetric");
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = rng.normal();
      a[i * n + j] = x;
      a[j * n + i] = x;
    }
  }
  return a;
}

Deno.test("tridiagonal: Toeplitz tridiag(b, a, b) has eigenvalues a + 2b cos(k pi / (m + 1))", () => {
  for (const m of [1, 2, 5, 40]) {
    const a = 1.5, b = -0.7;
    const { values, vectors } = tridiagonalEigen(
      new Array(m).fill(a),
      new Array(Math.max(0, m - 1)).fill(b),
      { vectors: true },
    );
    const want = Array.from(
      { length: m },
      (_, k) => a + 2 * b * Math.cos(((k + 1) * Math.PI) / (m + 1)),
    )
      .sort((x, y) => x - y);
    for (let k = 0; k < m; k++) ok(Math.abs(values[k] - want[k]) < 1e-14, `m=${m} k=${k}`);
    ok(maxOrthError(vectors!) < 1e-13);
    // The analytic eigenvectors: sin(j k pi / (m + 1)).
    for (let k = 0; k < m; k++) {
      const kk = k + 1; // b < 0: the smallest value is k = 1 (largest cosine)
      const s = Float64Array.from(
        { length: m },
        (_, j) => Math.sin(((j + 1) * kk * Math.PI) / (m + 1)),
      );
      ok(absCos(vectors![k], s) > 1 - 1e-12, `vector m=${m} k=${k}`);
    }
  }
});

Deno.test("tridiagonal: zero off-diagonals, repeated values, underflowing couplings", () => {
  const r = tridiagonalEigen([3, 1, 2], [0, 0], { vectors: true });
  strictEqual(Array.from(r.values).join(), "1,2,3");
  const rep = tridiagonalEigen([2, 2, 2, 2], [1e-300, 0, 1e-300]);
  for (const v of rep.values) ok(Math.abs(v - 2) < 1e-15);
  throws(() => tridiagonalEigen([1, 2, 3], [1]));
});

Deno.test("dense symmetric solver equals mathjs eigs on small random matrices", () => {
  for (const n of [1, 2, 3, 7, 20, 45]) {
    const a = randomSymmetric(n, n);
    const mine = symmetricEigen(a, n, { vectors: true });
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) rows.push(Array.from(a.subarray(i * n, (i + 1) * n)));
    const ref = eigs(rows);
    const refValues = (ref.values as unknown as number[]).slice().sort((x, y) => x - y);
    for (let k = 0; k < n; k++) {
      ok(Math.abs(mine.values[k] - refValues[k]) < 1e-12, `n=${n} k=${k}`);
    }
    // Eigenvectors agree up to sign (the spectra of random matrices are simple).
    for (const { value, vector } of ref.eigenvectors) {
      const k = mine.values.reduce(
        (best, v, i) =>
          Math.abs(v - (value as number)) < Math.abs(mine.values[best] - (value as number))
            ? i
            : best,
        0,
      );
      ok(absCos(mine.vectors![k], Float64Array.from(vector as unknown as number[])) > 1 - 1e-10);
    }
    ok(maxResidual(a, n, mine.values, mine.vectors!) < 1e-12);
    ok(maxOrthError(mine.vectors!) < 1e-12);
  }
});

Deno.test("dense solver recovers a known spectrum (n = 120, clustered and negative values)", () => {
  const lambda = Array.from({ length: 120 }, (_, i) => (i < 3 ? 50 - i : i % 2 ? 1e-3 * i : -0.5));
  const { a, n } = withSpectrum(lambda, 3);
  const { values, vectors } = symmetricEigen(a, n, { vectors: true });
  const want = lambda.slice().sort((x, y) => x - y);
  for (let k = 0; k < n; k++) ok(Math.abs(values[k] - want[k]) < 1e-12, `k=${k}`);
  ok(maxResidual(a, n, values, vectors!) < 1e-12);
  ok(maxOrthError(vectors!) < 1e-12);
  strictEqual(asymmetry(a, n), 0);
  // Values only: identical numbers (the vectors do not change the QL path).
  const only = symmetricEigen(a, n);
  strictEqual(only.vectors, undefined);
  for (let k = 0; k < n; k++) strictEqual(only.values[k], values[k]);
});

Deno.test("dense solver reads the lower triangle and rejects non-finite input", () => {
  const a = Float64Array.from([2, 99, 1, 3]); // upper entry ignored: [[2,1],[1,3]]
  const { values } = symmetricEigen(a, 2);
  ok(Math.abs(values[0] - (2.5 - Math.sqrt(1.25))) < 1e-15);
  ok(Math.abs(values[1] - (2.5 + Math.sqrt(1.25))) < 1e-15);
  ok(asymmetry(a, 2) > 0.9);
  throws(() => symmetricEigen(Float64Array.from([1, 0, NaN, 1]), 2));
});
