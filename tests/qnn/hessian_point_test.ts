/**
 * `Simulator.hessianAt`: products at one point that keep the point's states between products
 * give exactly the bits of `hessianProduct`, whatever the order of kinds, the number of kept
 * chunks (none, some, all), the number of workers and calls at other points in between.
 */

import { deepStrictEqual, rejects, throws } from "node:assert/strict";
import { CHUNK } from "../../lib/qnn/plan.ts";
import { createSimulator, hessianCacheBytes } from "../../lib/qnn/simulator.ts";
import { modelParamCount, type ModelSpec } from "../../lib/qnn/spec.ts";
import { randomProblem, rng } from "./_problems.ts";

type Kind = "full" | "curvature" | "gaussNewton";

function direction(spec: ModelSpec, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: modelParamCount(spec) }, () => r() - 0.5);
}

/** First differing index of two vectors, or -1 (bitwise, through their f64 bits). */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return 0;
  const x = new BigUint64Array(a.buffer, a.byteOffset, a.length);
  const y = new BigUint64Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

// A Gauss-Newton product first (it keeps the states but not the adjoints), then the others, then
// repeats: every reuse path is taken at least once.
const ORDER: Kind[] = ["gaussNewton", "full", "curvature", "full", "gaussNewton", "curvature"];

/**
 * The batch GEMMs one product runs per QNN and chunk ([gemm, gemm_nh]): 6 GEMMs forward (4 when
 * the chunk's states are kept), then the Gauss-Newton sweep (2 + 2), or per block the adjoint
 * U^H lam (kept or not) and its two tangent terms, and psi lam^H (skipped when the point's sweep
 * matrices are kept) with its two tangent terms.
 */
function expectedGemms(kind: Kind, slot: boolean, forward: boolean, adjoint: boolean) {
  const fwd = slot && forward ? 4 : 6;
  if (kind === "gaussNewton") return [fwd + 2, 2];
  return [fwd + 2 * ((slot && adjoint ? 0 : 1) + 2), 2 * ((adjoint ? 0 : 1) + 2)];
}

for (
  const [precision, B, keep, workers] of [
    ["f32", CHUNK + 37, CHUNK, 2], // chunk 0 kept, chunk 1 recomputed
    ["f32", 300, 5000, 0], // everything kept, on the calling thread
    ["f64", CHUNK + 3, 2 * CHUNK, 3], // both kept, more workers than needed
    ["f64", 40, 0, 2], // nothing kept: only the sweep matrices are reused
  ] as const
) {
  Deno.test(`fast: hessianAt gives hessianProduct's bits and skips the GEMMs it keeps (${precision}, ${B} images, keep ${keep}, ${workers} workers)`, async () => {
    const spec: ModelSpec = { P: 4, d: 2 };
    const { params, images, labels } = randomProblem(spec, B, 91);
    const other = randomProblem(spec, B, 92);
    const chunks = Math.ceil(B / CHUNK), slots = Math.min(chunks, Math.ceil(keep / CHUNK));
    // The references on a simulator of their own, so no buffer of theirs can stand in for a kept one.
    const ref = await createSimulator(spec, { precision, hvp: true, workers });
    const fresh: Float64Array[] = [];
    try {
      for (let i = 0; i < ORDER.length; i++) {
        fresh.push(
          await ref.hessianProduct(params, images, labels, direction(spec, 100 + i), ORDER[i]),
        );
      }
    } finally {
      ref.close();
    }
    const sim = await createSimulator(spec, {
      precision,
      hvp: true,
      workers,
      hessianCacheImages: keep,
    });
    try {
      deepStrictEqual(sim.hessianCacheImages, Math.ceil(keep / CHUNK) * CHUNK);
      const at = sim.hessianAt(params, images, labels);
      // The point is copied: changing the caller's arrays afterwards changes nothing.
      params.fill(0.25);
      const kept = { forward: false, adjoint: false };
      for (let i = 0; i < ORDER.length; i++) {
        const before = sim.gemmCounts!();
        const out = await at.product(direction(spec, 100 + i), ORDER[i]);
        const after = sim.gemmCounts!();
        const j = firstDifference(out, fresh[i]);
        deepStrictEqual(
          j,
          -1,
          `product ${i} (${ORDER[i]}) differs at ${j}: ${out[j]} vs ${fresh[i][j]}`,
        );
        let want = [0, 0];
        for (let c = 0; c < chunks; c++) {
          const [g, n] = expectedGemms(ORDER[i], c < slots, kept.forward, kept.adjoint);
          want = [want[0] + spec.P * g, want[1] + spec.P * n];
        }
        deepStrictEqual(
          [after.gemm - before.gemm, after.gemmNh - before.gemmNh],
          want,
          `GEMMs of product ${i} (${ORDER[i]})`,
        );
        kept.forward = true;
        kept.adjoint ||= ORDER[i] !== "gaussNewton";
        // Calls at another point in between overwrite every shared buffer, not the kept states.
        await sim.lossGrad(other.params, other.images, other.labels);
        await sim.hessianProduct(
          other.params,
          other.images,
          other.labels,
          direction(spec, 7),
          "full",
        );
      }
    } finally {
      sim.close();
    }
  });
}

Deno.test("fast: two points in turn on one simulator each give their own products", async () => {
  const spec: ModelSpec = { P: 4, d: 1 };
  const a = randomProblem(spec, 120, 92), b = randomProblem(spec, 120, 93);
  const sim = await createSimulator(spec, { precision: "f32", hvp: true, hessianCacheImages: 120 });
  try {
    const atA = sim.hessianAt(a.params, a.images, a.labels);
    const atB = sim.hessianAt(b.params, b.images, b.labels);
    for (let i = 0; i < 4; i++) {
      const v = direction(spec, 200 + i);
      const [at, p] = i % 2 === 0 ? [atA, a] : [atB, b];
      const kept = await at.product(v, "full");
      const fresh = await sim.hessianProduct(p.params, p.images, p.labels, v, "full");
      deepStrictEqual(firstDifference(kept, fresh), -1, `product ${i}`);
      // The second product at the same point reuses what the first kept.
      deepStrictEqual(firstDifference(await at.product(v, "full"), fresh), -1, `again ${i}`);
    }
  } finally {
    sim.close();
  }
});

Deno.test("fast: hessianAt rejects what it cannot serve, before any product", async () => {
  const spec: ModelSpec = { P: 4, d: 1 };
  const { params, images, labels } = randomProblem(spec, 10, 94);
  const plain = await createSimulator(spec, { precision: "f32", workers: 0 });
  try {
    throws(() => plain.hessianAt(params, images, labels), /needs createSimulator.*hvp: true/);
  } finally {
    plain.close();
  }
  const sim = await createSimulator(spec, { precision: "f32", workers: 0, hvp: true });
  try {
    throws(() => sim.hessianAt(params.subarray(1), images, labels), /params has length/);
    throws(() => sim.hessianAt(params, images, labels.subarray(1)), /9 labels for 10 images/);
  } finally {
    sim.close();
  }
  await rejects(
    createSimulator(spec, { precision: "f32", hvp: true, hessianCacheImages: -1 }),
    /hessianCacheImages must be an integer >= 0/,
  );
  // One chunk per 1,000 images, four states of 256 x ld complex numbers per QNN.
  deepStrictEqual(hessianCacheBytes({ P: 16, d: 20 }, "f32", 2000), 2 * 16 * 4 * 256 * 1008 * 8);
});
