// Blocks B and C applied layer by layer to the batch of states (`blocks: "direct"`) against the
// gate-by-gate reference, against the unitaries-and-GEMMs path on larger batches, and bit for bit
// across worker counts; and the rule that picks one of them.
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { blockMethods } from "../../lib/qnn/block_method.ts";
import { referenceLossGrad } from "../../lib/qnn/reference_simulator.ts";
import { createSimulator } from "../../lib/qnn/simulator.ts";
import type { ModelSpec } from "../../lib/qnn/spec.ts";
import { assertClose, randomProblem, sameBits } from "./_problems.ts";

const CASES: { spec: ModelSpec; B: number }[] = [
  { spec: { P: 4, d: 1 }, B: 3 },
  { spec: { P: 4, d: 3, aggregate: "sqrt" }, B: 2 },
  { spec: { P: 9, d: 2 }, B: 2 },
  { spec: { P: 16, d: 1 }, B: 2 },
  { spec: { P: 16, d: 3 }, B: 1 },
];

for (const [i, { spec, B }] of CASES.entries()) {
  const name = `P=${spec.P} d=${spec.d} ${spec.aggregate ?? "mean"}`;
  Deno.test(`direct blocks vs reference: logits, loss, every gradient entry (${name})`, async () => {
    const { params, images, labels } = randomProblem(spec, B, 300 + i);
    const ref = referenceLossGrad(spec, params, images, labels);
    for (const [precision, tol] of [["f64", 1e-10], ["f32", 1e-4]] as const) {
      const sim = await createSimulator(spec, { precision, blocks: "direct" });
      try {
        const before = sim.gemmCounts!();
        const got = await sim.lossGrad(params, images, labels);
        // Direct: no batch GEMM ran (and, in f64 on B <= 3 images, not the per-sample vectors:
        // those agree with the reference too, so the bits are compared with them below).
        equal(sim.gemmCounts!().gemm, before.gemm, `${precision}: a GEMM ran`);
        assertClose(got.logits, ref.logits, tol, `${precision} logits`);
        assertClose([got.loss], [ref.loss], tol, `${precision} loss`);
        assertClose(got.grad, ref.grad, tol, `${precision} gradient`);
        assertClose(await sim.forward(params, images), ref.logits, tol, `${precision} forward`);
        if (precision === "f64") {
          const vec = await createSimulator(spec, { precision, blocks: "unitary" });
          try {
            const v = await vec.lossGrad(params, images, labels);
            ok(!sameBits(v.grad, got.grad), "f64: the direct gradient is the vectors' bit for bit");
          } finally {
            vec.close();
          }
        }
      } finally {
        sim.close();
      }
    }
  });
}

Deno.test("direct blocks vs unitaries: 1,100 images (two chunks, column parts), f64 and f32", async () => {
  const spec: ModelSpec = { P: 9, d: 3 };
  const { params, images, labels } = randomProblem(spec, 1100, 41);
  for (const [precision, tol] of [["f64", 1e-12], ["f32", 2e-5]] as const) {
    const u = await createSimulator(spec, { precision, blocks: "unitary" });
    const v = await createSimulator(spec, { precision, blocks: "direct" });
    try {
      const a = await u.lossGrad(params, images, labels);
      const b = await v.lossGrad(params, images, labels);
      ok(u.gemmCounts!().gemm > 0, "the unitaries' GEMMs ran");
      equal(v.gemmCounts!().gemm, 0, "no GEMM ran direct");
      assertClose(b.logits, a.logits, tol, `${precision} logits`);
      assertClose([b.loss], [a.loss], tol, `${precision} loss`);
      assertClose(b.grad, a.grad, tol, `${precision} gradient`);
      const small = images.subarray(0, 200 * 196);
      assertClose(await v.forward(params, small), await u.forward(params, small), tol, "forward");
    } finally {
      u.close();
      v.close();
    }
  }
});

Deno.test("direct blocks: bit-identical on 0, 1, 2, 3 and 5 workers (f32 and f64)", async () => {
  const spec: ModelSpec = { P: 4, d: 2 };
  const { params, images, labels } = randomProblem(spec, 300, 43);
  for (const precision of ["f32", "f64"] as const) {
    let first: { grad: Float64Array; logits: Float64Array; fwd: Float64Array } | undefined;
    for (const workers of [0, 1, 2, 3, 5]) {
      const sim = await createSimulator(spec, { precision, workers, blocks: "direct" });
      try {
        const g = await sim.lossGrad(params, images, labels);
        const got = { grad: g.grad, logits: g.logits, fwd: await sim.forward(params, images) };
        if (!first) first = got;
        else {
          ok(sameBits(got.grad, first.grad), `${precision} gradient on ${workers} workers`);
          ok(sameBits(got.logits, first.logits), `${precision} logits on ${workers} workers`);
          ok(sameBits(got.fwd, first.fwd), `${precision} forward on ${workers} workers`);
        }
      } finally {
        sim.close();
      }
    }
  }
});

Deno.test("blockMethods: shallow circuits and small batches direct, deep ones on large chunks with unitaries", () => {
  const both = (forward: string, backward: string | null) => ({ forward, backward });
  deepEqual(blockMethods({ P: 9, d: 10 }, "f32", "grad", 200), both("direct", "direct"));
  deepEqual(blockMethods({ P: 9, d: 50 }, "f32", "grad", 1000), both("unitary", "unitary"));
  deepEqual(blockMethods({ P: 9, d: 200 }, "f64", "forward", 1000), both("unitary", null));
  // The halves can differ: forward is decided on a full chunk, backward on the call's.
  deepEqual(blockMethods({ P: 4, d: 20 }, "f32", "grad", 1000), both("direct", "unitary"));
  deepEqual(blockMethods({ P: 4, d: 30 }, "f32", "grad", 200), both("unitary", "direct"));
  for (const d of [1, 10, 20, 50, 100]) {
    for (const mode of ["forward", "grad"] as const) {
      equal(
        blockMethods({ P: 4, d }, "f32", mode, 7).forward,
        blockMethods({ P: 4, d }, "f32", "forward", 5000).forward,
      );
    }
  }
});

Deno.test("auto: halves on different paths, and lossGrad's logits are forward's bit for bit", async () => {
  for (const [d, B] of [[20, 1000], [30, 200]] as const) {
    const spec: ModelSpec = { P: 4, d };
    const { params, images, labels } = randomProblem(spec, B, 47);
    const f32 = new Float32Array(images);
    const auto = await createSimulator(spec, { precision: "f32" });
    const unitary = await createSimulator(spec, { precision: "f32", blocks: "unitary" });
    try {
      const g = await auto.lossGrad(params, f32, labels);
      const gemms = auto.gemmCounts!().gemm;
      const u = await unitary.lossGrad(params, f32, labels);
      // d = 20 on 1,000: forward direct, backward with unitaries; d = 30 on 200: the reverse.
      ok(gemms > 0 && gemms < unitary.gemmCounts!().gemm, `d=${d}: ${gemms} GEMMs`);
      ok(sameBits(g.logits, await auto.forward(params, f32)), `d=${d}: logits differ`);
      assertClose(g.grad, u.grad, 2e-5, `d=${d} gradient`);
    } finally {
      auto.close();
      unitary.close();
    }
  }
});

Deno.test("blocks: an unknown choice is refused", async () => {
  await rejects(
    // @ts-expect-error: not a BlockChoice
    createSimulator({ P: 4, d: 1 }, { precision: "f32", blocks: "Direct" }),
    /blocks must be one of auto, unitary, direct, got "Direct"/,
  );
});
