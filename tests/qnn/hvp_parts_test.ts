/** `Simulator.hessianProduct` (H v alone, C v alone) against the three-part `hvp`. */

import { rejects } from "node:assert/strict";
import { CHUNK } from "../../lib/qnn/plan.ts";
import { createSimulator } from "../../lib/qnn/simulator.ts";
import { modelParamCount, type ModelSpec } from "../../lib/qnn/spec.ts";
import { assertClose, randomProblem, rng } from "./_problems.ts";

Deno.test("fast: hessianProduct full / curvature match hvp's H v and C v (f64, f32, several chunks)", async () => {
  const spec: ModelSpec = { P: 4, d: 2 };
  const r = rng(81);
  const v = Float64Array.from({ length: modelParamCount(spec) }, () => r() - 0.5);
  for (const [precision, B, tol] of [["f64", 7, 1e-12], ["f32", 1003, 1e-5]] as const) {
    const { params, images, labels } = randomProblem(spec, B, 82);
    const sim = await createSimulator(spec, { precision, hvp: true });
    try {
      const all = await sim.hvp(params, images, labels, v);
      const full = await sim.hessianProduct(params, images, labels, v, "full");
      const curv = await sim.hessianProduct(params, images, labels, v, "curvature");
      const gn = await sim.hessianProduct(params, images, labels, v, "gaussNewton");
      assertClose(full, all.hvp, tol, `${precision} H v`);
      assertClose(curv, all.curvature, tol, `${precision} C v`);
      assertClose(gn, all.gaussNewton, tol, `${precision} G v`);
      await rejects(
        sim.hessianProduct(params, images, labels, v, "gn" as "full"),
        /kind must be/,
      );
    } finally {
      sim.close();
    }
  }
});

Deno.test("fast: products over a streamed data set (two chunks in one call) equal the chunks' weighted sum", async () => {
  const spec: ModelSpec = { P: 4, d: 1 };
  const B = CHUNK + 5;
  const { params, images, labels } = randomProblem(spec, B, 83);
  const r = rng(84);
  const v = Float64Array.from({ length: modelParamCount(spec) }, () => r() - 0.5);
  const sim = await createSimulator(spec, { precision: "f64", hvp: true });
  try {
    const cut = CHUNK * 196;
    for (const kind of ["full", "curvature", "gaussNewton"] as const) {
      const whole = await sim.hessianProduct(params, images, labels, v, kind);
      const a = await sim.hessianProduct(
        params,
        images.subarray(0, cut),
        labels.subarray(0, CHUNK),
        v,
        kind,
      );
      const b = await sim.hessianProduct(
        params,
        images.subarray(cut),
        labels.subarray(CHUNK),
        v,
        kind,
      );
      const sum = a.map((x, i) => (x * CHUNK + b[i] * 5) / B);
      assertClose(whole, sum, 1e-12, `streamed ${kind}`);
    }
  } finally {
    sim.close();
  }
});
