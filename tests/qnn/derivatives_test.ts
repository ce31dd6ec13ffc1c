import { ok } from "node:assert/strict";
import { softmaxCrossEntropy } from "../../lib/qnn/loss.ts";
import { createSimulator } from "../../lib/qnn/simulator.ts";
import { modelParamCount, type ModelSpec } from "../../lib/qnn/spec.ts";
import { assertClose, randomProblem, rng } from "./_problems.ts";

Deno.test("fast f64: lossGrad agrees with central finite differences of the loss (QNN params and bias)", async () => {
  const spec: ModelSpec = { P: 4, d: 2 };
  const { params, images, labels } = randomProblem(spec, 6, 11);
  const sim = await createSimulator(spec, { precision: "f64" });
  try {
    const { grad } = await sim.lossGrad(params, images, labels);
    const loss = async (x: Float64Array) =>
      softmaxCrossEntropy(await sim.forward(x, images), labels).loss;
    const n = modelParamCount(spec);
    const r = rng(5);
    const picks = [0, 17, 100, 250, 400, 703, n - 196, n - 100, n - 1];
    for (let i = 0; i < 8; i++) picks.push(Math.floor(r() * n));
    const h = 1e-5;
    for (const i of picks) {
      const p = Float64Array.from(params), m = Float64Array.from(params);
      p[i] += h;
      m[i] -= h;
      const fd = ((await loss(p)) - (await loss(m))) / (2 * h);
      ok(
        Math.abs(fd - grad[i]) <= 1e-6 * Math.max(1, Math.abs(grad[i])),
        `param ${i}: fd ${fd} vs ${grad[i]}`,
      );
    }
  } finally {
    sim.close();
  }
});

Deno.test("fast f64: jvp matches finite differences of the logits and the adjoint identity <u, Jv> = <J^T u, v>", async () => {
  const spec: ModelSpec = { P: 9, d: 2, aggregate: "sqrt" };
  const B = 7;
  const { params, images } = randomProblem(spec, B, 21);
  const r = rng(8);
  const n = modelParamCount(spec);
  const v = Float64Array.from({ length: n }, () => r() - 0.5);
  const u = Float64Array.from({ length: B * 10 }, () => r() - 0.5);
  const sim = await createSimulator(spec, { precision: "f64", workers: 2 });
  try {
    const jv = await sim.jvp(params, images, v);
    const h = 1e-5;
    const fp = await sim.forward(params.map((x, i) => x + h * v[i]), images);
    const fm = await sim.forward(params.map((x, i) => x - h * v[i]), images);
    assertClose(jv, fp.map((x, i) => (x - fm[i]) / (2 * h)), 1e-7, "jvp vs finite differences");
    const g = await sim.vjp(params, images, u);
    let a = 0, b = 0;
    for (let i = 0; i < jv.length; i++) a += u[i] * jv[i];
    for (let i = 0; i < n; i++) b += g[i] * v[i];
    ok(Math.abs(a - b) <= 1e-11 * Math.abs(a), `<u, Jv> = ${a}, <J^T u, v> = ${b}`);
    // vjp with the loss cotangent is lossGrad's gradient.
    const labels = Uint8Array.from({ length: B }, (_, i) => i);
    const lg = await sim.lossGrad(params, images, labels);
    const cot = new Float64Array(B * 10);
    for (let s = 0; s < B; s++) {
      const row = lg.logits.subarray(s * 10, s * 10 + 10);
      const m = Math.max(...row);
      const z = row.reduce((acc, x) => acc + Math.exp(x - m), 0);
      for (let o = 0; o < 10; o++) {
        cot[s * 10 + o] = (Math.exp(row[o] - m) / z - (o === labels[s] ? 1 : 0)) / B;
      }
    }
    assertClose(
      await sim.vjp(params, images, cot),
      lg.grad,
      1e-12,
      "vjp(loss cotangent) vs lossGrad",
    );
  } finally {
    sim.close();
  }
});

Deno.test("fast f32: jvp agrees with f64", async () => {
  const spec: ModelSpec = { P: 4, d: 2 };
  const { params, images } = randomProblem(spec, 5, 31);
  const r = rng(2);
  const v = Float64Array.from({ length: modelParamCount(spec) }, () => r() - 0.5);
  const s32 = await createSimulator(spec, { precision: "f32" });
  const s64 = await createSimulator(spec, { precision: "f64" });
  try {
    assertClose(
      await s32.jvp(params, images, v),
      await s64.jvp(params, images, v),
      1e-4,
      "jvp f32 vs f64",
    );
  } finally {
    s32.close();
    s64.close();
  }
});
