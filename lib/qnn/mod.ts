/**
 * The distributed QNN model of the paper: P 8-qubit QNNs, one per image patch, their outputs
 * averaged into logits. A fast simulator (WebAssembly SIMD kernels on worker threads; exact
 * forward, reverse-mode gradients and forward-mode Jacobian-vector products, float32 or float64),
 * the loss helpers, and a slow gate-by-gate reference used by the tests.
 *
 * ```ts
 * const sim = await createSimulator({ P: 9, d: 50 }, { precision: "f32" });
 * const { loss, grad } = await sim.lossGrad(params, images, labels);
 * sim.close();
 * ```
 *
 * @module
 */

export {
  AGGREGATES,
  aggregateWeight,
  biasOffset,
  layout,
  modelParamCount,
  type ModelSpec,
  PIXELS,
  qnnParamCount,
} from "./spec.ts";
export {
  type BlockChoice,
  createSimulator,
  hessianCacheBytes,
  type HessianPoint,
  type HessianProductKind,
  type HvpResult,
  type Simulator,
  type SimulatorOptions,
} from "./simulator.ts";
export {
  accuracy,
  countCorrect,
  crossEntropyCotangent,
  crossEntropyHessianProduct,
  crossEntropySum,
  softmaxCrossEntropy,
} from "./loss.ts";
export { type BlockMethod, blockMethods } from "./block_method.ts";
export { evaluate } from "./evaluate.ts";
export {
  type Backend,
  type BackendChoice,
  BACKENDS,
  type BackendSimulator,
  chooseBackend,
  createBackendSimulator,
} from "./backend.ts";
export { CHUNK } from "./plan.ts";
/** The raw WebAssembly kernels (for benchmarks and alternative backends). */
export { instantiateKernels, type KernelExports, kernelModule, sharedMemory } from "./kernels.ts";
