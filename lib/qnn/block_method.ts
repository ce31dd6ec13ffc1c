/**
 * Which way a forward pass or gradient applies blocks B and C (`SimulatorOptions.blocks`): as
 * two 256 x 256 unitaries built by gate sweeps and applied by GEMMs over the batch, or as their
 * layers applied to the batch of states directly. Building and sweeping the unitaries costs the
 * same for 1 or 1,000 images, and a GEMM costs the same for every depth, while the direct layers
 * cost d per image: shallow circuits and small batches (the default profile's training steps)
 * are cheaper direct, deep circuits on large chunks with unitaries.
 *
 * @module
 */

import type { ModelSpec } from "./spec.ts";
import { CHUNK } from "./plan.ts";

/**
 * Single-thread seconds of the kernels behind the choice, on this machine kind (2 vCPUs, Zen 4,
 * WebAssembly SIMD; `deno task bench --blocks`): one layer on a 256 x 256 matrix from the left
 * (`layer_left`) and from the right with partial traces (`layer_right`), a batch GEMM per column
 * (`gemm`, `gemm_nh`), and per column one layer from the left and one reverse layer
 * (`layer_back`).
 */
const COST = {
  f32: { left: 1.58e-4, right: 2.31e-4, gemm: 1.08e-5, nh: 1.37e-5, leftCol: 6.2e-7, back: 1.9e-6 },
  f64: {
    left: 3.17e-4,
    right: 4.15e-4,
    gemm: 2.45e-5,
    nh: 2.67e-5,
    leftCol: 1.24e-6,
    back: 3.8e-6,
  },
};

/**
 * The cheaper way to apply blocks B and C for a call on n images ("forward": outputs only;
 * "grad": outputs and gradient), by the kernels' measured costs. Forward passes decide on a
 * full chunk whatever n is, so a sample's outputs do not depend on the size of its call.
 *
 * @example
 * ```ts
 * blockMethod({ P: 9, d: 10 }, "f32", "grad", 200); // "direct"
 * blockMethod({ P: 9, d: 50 }, "f32", "grad", 1000); // "unitary"
 * ```
 */
export function blockMethod(
  spec: ModelSpec,
  precision: "f32" | "f64",
  mode: "forward" | "grad",
  n: number,
): "unitary" | "direct" {
  const c = COST[precision], d = spec.d;
  const nb = mode === "forward" ? CHUNK : Math.min(Math.max(n, 1), CHUNK);
  const unitary = mode === "forward"
    ? 2 * d * c.left + nb * 2 * c.gemm
    : 2 * d * (2 * c.left + c.right) + nb * (4 * c.gemm + 2 * c.nh);
  const direct = mode === "forward"
    ? nb * 2 * d * c.leftCol
    : nb * d * (3 * c.leftCol + 2 * c.back);
  return direct < unitary ? "direct" : "unitary";
}
