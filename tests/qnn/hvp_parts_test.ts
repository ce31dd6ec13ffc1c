/** `Simulator.hessianProduct` (H v alone, C v alone) against the three-part `hvp`. */

import { rejects } from "node:assert/strict";
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
      assertClose(full, all.hvp, tol, `${precision} H v`);
      assertClose(curv, all.curvature, tol, `${precision} C v`);
      await rejects(
        sim.hessianProduct(params, images, labels, v, "gn" as "full"),
        /kind must be/,
      );
    } finally {
      sim.close();
    }
  }
});
