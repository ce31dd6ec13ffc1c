import { assert, assertEquals } from "../report/_assert.ts";
import {
  bootstrapMeanDifference,
  type ClaimResult,
  combine,
  compare,
  type Comparison,
  evaluateClaims,
  exponentCheck,
  fitExponent,
  fitLine,
  modelParams,
  outlierCount,
  type Run,
  similarCountPairs,
  type Study,
  withinBand,
} from "../../lib/study/mod.ts";
import { Prng } from "../../lib/util/prng.ts";

/** A study of synthetic runs: `value(P, d, seed)` gives each run's numbers. */
function study(
  Ps: number[],
  ds: number[],
  seeds: number[],
  make: (P: number, d: number, seed: number) => Partial<Run>,
): Study {
  const runs: Run[] = [];
  for (const P of Ps) {
    for (const d of ds) {
      for (const seed of seeds) {
        runs.push({ P, d, seed, ...make(P, d, seed) });
      }
    }
  }
  return {
    runs,
    Ps,
    ds,
    seeds,
    firstSeed: seeds[0],
    available: { best: true, metrics: false, hessian: true, density: false, landscape: true },
    notes: [],
    aggregates: ["mean"],
    byAggregate: { mean: runs },
  };
}

function best(train_loss: number, test_loss: number, test_acc: number) {
  return {
    P: 0,
    d: 0,
    seed: 0,
    n_params: 0,
    n_qnn_params: 0,
    epoch: 1,
    train_loss,
    train_acc: 0.9,
    test_loss,
    test_acc,
    epochs: 2,
    n_train: 10,
    n_test: 10,
  };
}

function hessian(lambda: number, gn = lambda, curv = lambda / 10, top: number[] = []) {
  return {
    P: 0,
    d: 0,
    seed: 0,
    n_params: 0,
    epoch: 1,
    lambda_max: lambda,
    gauss_newton: { lambda_max: gn },
    curvature: { lambda_max: curv, lambda_min: -curv },
    lanczos: { top },
  };
}

function verdictOf(claims: ClaimResult[], id: string) {
  const c = claims.find((x) => x.id === id);
  assert(c, `claim ${id}`);
  return c.verdict;
}

const noise = (seed: number) => 1 + 0.01 * ((seed * 7919) % 5 - 2);

Deno.test("stats: bootstrap interval (fixed PRNG) and line fit with standard error", () => {
  const [lo, hi] = bootstrapMeanDifference([1, 2, 3], [5, 6, 7], Prng.from(7, "t"));
  assert(lo < -4 + 1e-9 && hi > -4 - 1e-9 && hi < 0, `${lo} .. ${hi}`);
  assertEquals(bootstrapMeanDifference([1, 2, 3], [5, 6, 7], Prng.from(7, "t")), [lo, hi]);
  // y = 1, 3, 5.5 at x = 0, 1, 2: slope 2.25, residuals ±1/12, SSR 1/24, Sxx 2.
  const f = fitLine([0, 1, 2], [1, 3, 5.5]);
  assert(Math.abs(f.slope - 2.25) < 1e-12);
  assert(Math.abs(f.slopeSe - Math.sqrt(1 / 24 / 2)) < 1e-12);
  assert(Number.isNaN(fitLine([0, 1], [1, 2]).slopeSe), "two points: no standard error");
});

Deno.test("compare: one seed is the point comparison; several seeds use the interval", () => {
  const a = { label: "a", values: [10] };
  assertEquals(compare("x", a, { label: "b", values: [5] }, "lower").outcome, "supports");
  assertEquals(compare("x", a, { label: "b", values: [15] }, "lower").outcome, "contradicts");
  assertEquals(compare("x", a, { label: "b", values: [15] }, "higher").outcome, "supports");
  const many = { label: "a", values: [10, 10.2, 9.9] };
  assertEquals(
    compare("x", many, { label: "b", values: [5, 5.1, 4.9] }, "lower").outcome,
    "supports",
  );
  assertEquals(
    compare("x", many, { label: "b", values: [12, 12.5, 11.8] }, "lower").outcome,
    "contradicts",
  );
  // Overlapping seeds: the interval straddles zero.
  assertEquals(
    compare("x", { label: "a", values: [1, 5, 9] }, { label: "b", values: [2, 6, 8] }, "lower")
      .outcome,
    "unclear",
  );
});

Deno.test("combine: holds / does not hold / inconclusive", () => {
  const c = (outcome: Comparison["outcome"], seeds = 1): Comparison => ({
    label: "",
    outcome,
    detail: "",
    seeds,
  });
  assertEquals(combine([c("supports"), c("supports")]).verdict, "holds");
  assertEquals(combine([c("supports"), c("contradicts")]).verdict, "does not hold");
  assertEquals(combine([c("supports", 3), c("unclear", 3)]).verdict, "inconclusive");
  assertEquals(combine([]).verdict, "inconclusive");
  assert(combine([c("supports", 3)]).reason.includes("bootstrap"));
  assert(combine([c("supports")]).reason.includes("one seed"));
});

Deno.test("withinBand: inside, outside, straddling", () => {
  assertEquals(withinBand("x", { label: "", values: [0.95] }, 0.9, Infinity).outcome, "supports");
  assertEquals(withinBand("x", { label: "", values: [0.8] }, 0.9, Infinity).outcome, "contradicts");
  assertEquals(
    withinBand("x", { label: "", values: [0.85, 0.95, 0.99] }, 0.9, Infinity).outcome,
    "unclear",
  );
});

Deno.test("exponents: the interval must hold the theory's value and exclude the other", () => {
  // Exactly P^-2 with a little scatter over two seeds at three P: a tight interval around -2.
  const pts = (b: number) =>
    [4, 9, 16].flatMap((P) => [0.98, 1.02].map((k) => ({ P, value: 50 * k * P ** b })));
  assertEquals(exponentCheck(fitExponent(10, "gauss_newton", pts(-2)), -2, -1).outcome, "supports");
  assertEquals(
    exponentCheck(fitExponent(10, "gauss_newton", pts(-1)), -2, -1).outcome,
    "contradicts",
  );
  // Three points with one degree of freedom and real scatter: the interval holds both.
  const wide = fitExponent(10, "curvature", [
    { P: 4, value: 10 },
    { P: 9, value: 2 },
    { P: 16, value: 1.5 },
  ]);
  assertEquals(exponentCheck(wide, -1, -2).outcome, "unclear");
  // Two values of P: a slope, no standard error.
  const two = fitExponent(1, "full", [{ P: 4, value: 10 }, { P: 9, value: 3 }]);
  assert(Number.isNaN(two.se) && Number.isFinite(two.slope));
  assertEquals(exponentCheck(two, -2, -1).outcome, "unclear");
  // Non-positive values cannot be logged: dropped and counted.
  assertEquals(fitExponent(1, "curvature", [...pts(-1), { P: 4, value: -1 }]).dropped, 1);
});

Deno.test("outliers: the gap rule on hand-made spectra", () => {
  // Ten outliers from 50 down to 4, then a bulk below 1% of 50.
  const ten = [50, 20, 15, 12, 10, 8, 7, 6, 5, 4, 0.3, 0.2, 0.1, 0.05, 0, -0.1];
  assertEquals(outlierCount(ten), 10);
  assertEquals(outlierCount([40, 12, 10, 9, 0.3, 0.2]), 4);
  assertEquals(outlierCount([5, 4.5, 4, 3.8]), null);
  assertEquals(outlierCount([0, -1]), null);
});

Deno.test("similar parameter counts: pairs within 25%, more patches second", () => {
  const pairs = similarCountPairs([{ P: 4, d: 20 }, { P: 9, d: 10 }, { P: 16, d: 10 }]);
  // 4 x 1088 + 196 = 4548 and 9 x 608 + 196 = 5668: ratio 1.246.
  assertEquals(modelParams(4, 20), 4548);
  assertEquals(pairs, [[{ P: 4, d: 20 }, { P: 9, d: 10 }]]);
});

const Ps = [4, 9, 16];
const ds = [10, 20];

Deno.test("claims: λ_max orderings hold, fail, or are inconclusive", () => {
  const good = study(
    Ps,
    ds,
    [1, 2, 3],
    (P, d, s) => ({ hessian: hessian((d / P ** 2) * noise(s)) }),
  );
  const c = evaluateClaims(good);
  assertEquals(verdictOf(c, "lambda_falls_with_P"), "holds");
  assertEquals(verdictOf(c, "lambda_rises_with_d"), "holds");
  assertEquals(verdictOf(c, "gauss_newton_sets_lambda"), "holds");
  // λ_max rising with P at d = 20: does not hold.
  const bad = study(Ps, ds, [1, 2, 3], (P, d, s) => ({
    hessian: hessian((d === 20 ? P : 1 / P) * noise(s)),
  }));
  assertEquals(verdictOf(evaluateClaims(bad), "lambda_falls_with_P"), "does not hold");
  // One depth: "rises with d" has nothing to compare.
  const one = study(Ps, [10], [1], (P) => ({ hessian: hessian(1 / P) }));
  assertEquals(verdictOf(evaluateClaims(one), "lambda_rises_with_d"), "inconclusive");
  // Seeds whose spread swamps the differences: inconclusive.
  const noisy = study(Ps, ds, [1, 2, 3], (P, d, s) => ({
    hessian: hessian(d / P / 100 + [1, 5, 9][s - 1]),
  }));
  assertEquals(verdictOf(evaluateClaims(noisy), "lambda_falls_with_P"), "inconclusive");
});

Deno.test("claims: Gauss-Newton share and the terms' exponents", () => {
  const theory = study(Ps, ds, [1, 2], (P, d, s) => ({
    hessian: hessian(d / P ** 2 * noise(s), d / P ** 2 * noise(s), d / P / 50 * noise(s)),
  }));
  const c = evaluateClaims(theory);
  assertEquals(verdictOf(c, "gauss_newton_exponent"), "holds");
  assertEquals(verdictOf(c, "curvature_exponent"), "holds");
  // Swapped scalings: both exponent claims fail; a GN share of 0.5 fails the share claim.
  const swapped = study(Ps, ds, [1, 2], (P, d, s) => ({
    hessian: hessian(2 * d / P * noise(s), d / P * noise(s), d / P ** 2 * noise(s)),
  }));
  const w = evaluateClaims(swapped);
  assertEquals(verdictOf(w, "gauss_newton_exponent"), "does not hold");
  assertEquals(verdictOf(w, "curvature_exponent"), "does not hold");
  assertEquals(verdictOf(w, "gauss_newton_sets_lambda"), "does not hold");
  // Two values of P, one seed: no standard error, inconclusive.
  const two = study([4, 9], [1], [1], (P) => ({ hessian: hessian(1 / P ** 2) }));
  assertEquals(verdictOf(evaluateClaims(two), "gauss_newton_exponent"), "inconclusive");
});

Deno.test("claims: training loss with depth, generalisation at similar counts", () => {
  const deep = study(Ps, ds, [1], (P, d) => ({ best: best(1 / d, 1 / P, 1 - 0.1 / P) }));
  const c = evaluateClaims(deep);
  assertEquals(verdictOf(c, "deeper_lower_loss"), "holds");
  // (4, 20) vs (9, 10) and (9, 20) vs (16, 10) are within 25%: more patches better.
  assertEquals(verdictOf(c, "patches_generalise"), "holds");
  const shallow = study(Ps, ds, [1], (P, d) => ({ best: best(d, P, 1 - 0.1 * P) }));
  const w = evaluateClaims(shallow);
  assertEquals(verdictOf(w, "deeper_lower_loss"), "does not hold");
  assertEquals(verdictOf(w, "patches_generalise"), "does not hold");
  const lone = study([4], [10], [1], () => ({ best: best(1, 1, 0.9) }));
  assertEquals(verdictOf(evaluateClaims(lone), "deeper_lower_loss"), "inconclusive");
  assertEquals(verdictOf(evaluateClaims(lone), "patches_generalise"), "inconclusive");
});

function landscape(pc1: number, pc2: number, points: number) {
  return {
    P: 0,
    d: 0,
    seed: 0,
    min_epoch: 1,
    explained_variance_ratio: [pc1, pc2] as [number, number],
    x: [0, 1],
    y: [0, 1],
    loss: [[1, 1], [1, 1]],
    trajectory: Array.from({ length: points }, (_, i) => [i, 0] as [number, number]),
  };
}

Deno.test("claims: the PCA plane and the spectrum's outliers", () => {
  const ten = [50, 20, 15, 12, 10, 8, 7, 6, 5, 4, 0.3, 0.2, 0.1, 0.05, 0, -0.1, -0.2];
  const ok = study(Ps, ds, [1], () => ({
    landscape: landscape(0.85, 0.1, 11),
    hessian: hessian(50, 50, 1, ten),
  }));
  assertEquals(verdictOf(evaluateClaims(ok), "pca_plane"), "holds");
  assertEquals(verdictOf(evaluateClaims(ok), "spectrum_outliers"), "holds");
  const low = study(Ps, ds, [1], () => ({
    landscape: landscape(0.7, 0.1, 11),
    hessian: hessian(50, 50, 1, [
      50,
      1,
      0.9,
      0.8,
      0.7,
      0.6,
      0.5,
      0.4,
      0.3,
      0.2,
      0.1,
      0,
      0,
      0,
      0,
      0,
    ]),
  }));
  assertEquals(verdictOf(evaluateClaims(low), "pca_plane"), "does not hold");
  assertEquals(verdictOf(evaluateClaims(low), "spectrum_outliers"), "does not hold");
  // Three trajectory points (two epochs) always give PC1 + PC2 = 1; three eigenvalues are too few.
  const tiny = study(Ps, ds, [1], () => ({
    landscape: landscape(0.9, 0.1, 3),
    hessian: hessian(50, 50, 1, [50, 20, 1]),
  }));
  assertEquals(verdictOf(evaluateClaims(tiny), "pca_plane"), "inconclusive");
  assertEquals(verdictOf(evaluateClaims(tiny), "spectrum_outliers"), "inconclusive");
});

Deno.test("claims: the paper's own numbers under the same rules", () => {
  const c = evaluateClaims(study([4], [1], [1], () => ({})));
  const paper = (id: string) => c.find((x) => x.id === id)!.paperVerdict;
  assertEquals(paper("lambda_falls_with_P"), "holds");
  assertEquals(paper("lambda_rises_with_d"), "holds");
  assertEquals(paper("pca_plane"), "holds");
  // Table 1 under the strict every-pair rule: (9, 150) vs (16, 100) has the lower accuracy at
  // P = 16, and (9, 200) vs (16, 100) the lower test loss at P = 9.
  assertEquals(paper("patches_generalise"), "does not hold");
  assertEquals(paper("spectrum_outliers"), null);
});
