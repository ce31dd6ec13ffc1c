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

for (
  const [precision, B, keep, workers] of [
    ["f32", CHUNK + 37, CHUNK, 2], // chunk 0 kept, chunk 1 recomputed
    ["f32", 300, 5000, 0], // everything kept, on the calling thread
    ["f64", CHUNK + 3, 2 * CHUNK, 3], // both kept, more workers than needed
    ["f64", 40, 0, 2], // nothing kept: only the sweep matrices are reused
  ] as const
) {
  Deno.test(`fast: hessianAt gives hessianProduct's bits (${precision}, ${B} images, keep ${keep}, ${workers} workers)`, async () => {
    const spec: ModelSpec = { P: 4, d: 2 };
    const { params, images, labels } = randomProblem(spec, B, 91);
    const sim = await createSimulator(spec, {
      precision,
      hvp: true,
      workers,
      hessianCacheImages: keep,
    });
    try {
      const at = sim.hessianAt(params, images, labels);
      // The point is copied: changing the caller's arrays afterwards changes nothing.
      const original = params.slice();
      params.fill(0.25);
      for (let i = 0; i < ORDER.length; i++) {
        const v = direction(spec, 100 + i);
        const kept = await at.product(v, ORDER[i]);
        const fresh = await sim.hessianProduct(original, images, labels, v, ORDER[i]);
        const j = firstDifference(kept, fresh);
        deepStrictEqual(
          j,
          -1,
          `product ${i} (${ORDER[i]}) differs at ${j}: ${kept[j]} vs ${fresh[j]}`,
        );
        // A call at another point in between must not disturb the kept states.
        if (i === 2) await sim.lossGrad(params, images, labels);
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
