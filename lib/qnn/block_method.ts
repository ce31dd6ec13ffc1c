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

/** A way to apply blocks B and C. */
export type BlockMethod = "unitary" | "direct";

/**
 * Single-thread seconds of the kernels behind the choice, on this machine kind (2 vCPUs, Zen 4,
 * WebAssembly SIMD). `left`, `right`, `gemm`, `nh`: one layer on a 256 x 256 matrix from the
 * left (`layer_left`) and from the right with partial traces (`layer_right`), and a batch GEMM
 * (`gemm`, `gemm_nh`) per column: the kernel times of docs/simulator.md. `leftCol`: one layer on
 * one column, `left` / 256; `back`: `layer_back` per column, set so that the model's ratios
 * match `deno task bench --blocks` (docs/simulator.md, "Direct blocks").
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
 * The cheaper way to apply blocks B and C in each half of a call on n images, by the kernels'
 * measured costs: `forward` (the outputs) is decided on a full chunk whatever n is, so that a
 * sample's outputs do not depend on the size of its call (nor on whether a gradient was asked
 * for); `backward` (grad calls only, else null) on the call's chunk, counting the unitaries'
 * build when the forward half does not build them.
 *
 * @example
 * ```ts
 * blockMethods({ P: 9, d: 10 }, "f32", "grad", 200); // { forward: "direct", backward: "direct" }
 * blockMethods({ P: 9, d: 50 }, "f32", "grad", 1000); // { forward: "unitary", backward: "unitary" }
 * ```
 */
export function blockMethods(
  spec: ModelSpec,
  precision: "f32" | "f64",
  mode: "forward" | "grad",
  n: number,
): { forward: BlockMethod; backward: BlockMethod | null } {
  const c = COST[precision], d = spec.d;
  const forward = CHUNK * 2 * d * c.leftCol < 2 * d * c.left + CHUNK * 2 * c.gemm
    ? "direct"
    : "unitary";
  if (mode === "forward") return { forward, backward: null };
  const nb = Math.min(Math.max(n, 1), CHUNK);
  const unitary = (forward === "direct" ? 2 * d * c.left : 0) + 2 * d * (c.left + c.right) +
    nb * (2 * c.gemm + 2 * c.nh);
  const direct = nb * d * (c.leftCol + 2 * c.back);
  return { forward, backward: direct < unitary ? "direct" : "unitary" };
}
