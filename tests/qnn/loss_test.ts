import { equal, ok } from "node:assert/strict";
import {
  accuracy,
  crossEntropyCotangent,
  crossEntropyHessianProduct,
  crossEntropySum,
  softmaxCrossEntropy,
} from "../../lib/qnn/loss.ts";
import { rng } from "./_problems.ts";

Deno.test("loss: cross-entropy by hand, stable for large logits; accuracy takes the first maximum", () => {
  const logits = new Float64Array(20);
  logits[3] = Math.log(3); // row 0: p = 3 / 12 on class 3
  for (let o = 0; o < 10; o++) logits[10 + o] = 1000 + (o === 7 ? 2 : 0);
  const { loss } = softmaxCrossEntropy(logits, [3, 7]);
  const row1 = -(2 - Math.log(9 + Math.exp(2)));
  ok(Math.abs(loss - (Math.log(12 / 3) + row1) / 2) < 1e-12, String(loss));
  equal(accuracy(logits, [3, 7]), 1);
  equal(accuracy(new Float64Array(10), [0]), 1);
  equal(accuracy(new Float64Array(10), [1]), 0);
});

Deno.test("loss: the cotangent and the Hessian product match finite differences", () => {
  const r = rng(12);
  const n = 3;
  const logits = Float64Array.from({ length: n * 10 }, () => 4 * (r() - 0.5));
  const labels = [1, 5, 9];
  const g = crossEntropyCotangent(logits, labels, n);
  const t = Float64Array.from({ length: n * 10 }, () => r() - 0.5);
  const ht = crossEntropyHessianProduct(logits, t, n);
  const h = 1e-5;
  const shifted = (s: number) => logits.map((x, i) => x + s * t[i]);
  const fdLoss = (crossEntropySum(shifted(h), labels) - crossEntropySum(shifted(-h), labels)) /
    (2 * h * n);
  ok(Math.abs(fdLoss - g.reduce((a, x, i) => a + x * t[i], 0)) < 1e-9);
  const gp = crossEntropyCotangent(shifted(h), labels, n),
    gm = crossEntropyCotangent(shifted(-h), labels, n);
  for (let i = 0; i < n * 10; i++) {
    ok(Math.abs((gp[i] - gm[i]) / (2 * h) - ht[i]) < 1e-8, `entry ${i}`);
  }
});
