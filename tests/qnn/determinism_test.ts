import { equal, ok, rejects } from "node:assert/strict";
import { CHUNK } from "../../lib/qnn/plan.ts";
import { createSimulator } from "../../lib/qnn/simulator.ts";
import { modelParamCount, type ModelSpec } from "../../lib/qnn/spec.ts";
import { assertClose, randomProblem, rng, sameBits } from "./_problems.ts";

Deno.test("fast: identical bits with 0 (in-thread), 1 and 2 workers, both precisions, several chunks", async () => {
  const spec: ModelSpec = { P: 4, d: 1 };
  const r = rng(4);
  const v = Float64Array.from({ length: modelParamCount(spec) }, () => r() - 0.5);
  const ways = [["f32", "unitary"], ["f32", "direct"], ["f64", "unitary"], [
    "f64",
    "direct",
  ]] as const;
  for (const [precision, blocks] of ways) {
    // f32: two chunks, the second one partial; f64: one small chunk (keeps the test quick).
    const B = precision === "f32" ? CHUNK + 37 : 37;
    const { params, images, labels } = randomProblem(spec, B, 41);
    const results = [];
    for (const workers of [0, 1, 2]) {
      const sim = await createSimulator(spec, { precision, workers, blocks });
      try {
        const lg = await sim.lossGrad(params, images, labels);
        results.push({
          ...lg,
          fwd: await sim.forward(params, images),
          jvp: await sim.jvp(params, images, v),
        });
      } finally {
        sim.close();
      }
    }
    for (const other of results.slice(1)) {
      ok(sameBits(other.grad, results[0].grad), `${precision} ${blocks}: gradient bits differ`);
      ok(sameBits(other.logits, results[0].logits), `${precision} ${blocks}: logits bits differ`);
      ok(sameBits(other.fwd, results[0].fwd), `${precision} ${blocks}: forward bits differ`);
      ok(sameBits(other.jvp, results[0].jvp), `${precision} ${blocks}: jvp bits differ`);
      equal(other.loss, results[0].loss);
    }
    ok(
      sameBits(results[0].fwd, results[0].logits),
      `${precision} ${blocks}: forward and lossGrad logits differ`,
    );
  }
});

Deno.test("fast: a sample's logits do not depend on its chunk; chunked gradients add up", async () => {
  const spec: ModelSpec = { P: 4, d: 2 };
  const B = CHUNK + 5;
  const { params, images, labels } = randomProblem(spec, B, 51);
  const sim = await createSimulator(spec, { precision: "f64" });
  try {
    const all = await sim.forward(params, images);
    const tail = await sim.forward(params, images.subarray(CHUNK * 196));
    ok(sameBits(all.subarray(CHUNK * 10), tail), "tail logits differ");
    const whole = await sim.lossGrad(params, images, labels);
    const a = await sim.lossGrad(
      params,
      images.subarray(0, CHUNK * 196),
      labels.subarray(0, CHUNK),
    );
    const b = await sim.lossGrad(params, images.subarray(CHUNK * 196), labels.subarray(CHUNK));
    const combined = a.grad.map((x, i) => (x * CHUNK + b.grad[i] * 5) / B);
    assertClose(whole.grad, combined, 1e-12, "chunked gradient");
    ok(Math.abs(whole.loss - (a.loss * CHUNK + b.loss * 5) / B) < 1e-12);
  } finally {
    sim.close();
  }
});

Deno.test("fast: inputs of the wrong shape are rejected with a clear message", async () => {
  const spec: ModelSpec = { P: 4, d: 1 };
  const sim = await createSimulator(spec, { precision: "f64", workers: 1 });
  try {
    const { params, images, labels } = randomProblem(spec, 2, 1);
    await rejects(sim.forward(params.subarray(1), images), /params has length/);
    await rejects(sim.forward(params, images.subarray(1)), /multiple of 196/);
    await rejects(sim.lossGrad(params, images, labels.subarray(1)), /labels/);
    await rejects(sim.lossGrad(params, images, Uint8Array.of(1, 12)), /not in 0..9/);
    await rejects(sim.vjp(params, images, new Float64Array(3)), /cotangent/);
    // The simulator still works after rejected calls.
    equal((await sim.forward(params, images)).length, 20);
  } finally {
    sim.close();
  }
  await rejects(createSimulator({ P: 5, d: 1 }, { precision: "f64" }), /perfect square/);
  await rejects(createSimulator({ P: 4, d: 0 }, { precision: "f64" }), /positive integer/);
});

Deno.test("fast: concurrent calls on one simulator are serialised and give the sequential results", async () => {
  const spec: ModelSpec = { P: 4, d: 1 };
  const { params, images, labels } = randomProblem(spec, 9, 61);
  const other = params.map((x) => x + 0.1);
  const sim = await createSimulator(spec, { precision: "f64", workers: 2 });
  try {
    const [a, b, c] = await Promise.all([
      sim.forward(params, images),
      sim.lossGrad(other, images, labels),
      sim.forward(other, images),
    ]);
    ok(sameBits(a, await sim.forward(params, images)));
    ok(sameBits(b.grad, (await sim.lossGrad(other, images, labels)).grad));
    ok(sameBits(c, b.logits));
  } finally {
    sim.close();
  }
});
