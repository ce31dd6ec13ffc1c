/**
 * Benchmark worker: times the raw complex GEMM kernel (256 x 256 @ 256 x n, f32) on its own
 * buffers in a shared memory, so that two of them measure both cores.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { instantiateKernels } from "../lib/qnn/kernels.ts";

/** Bytes one worker's buffers take for n columns. */
export function gemmRegionBytes(n: number): number {
  return 256 * 264 * 8 + 2 * 256 * n * 8 + 4096;
}

self.onmessage = async (e: MessageEvent) => {
  const { module, memory, base, n, reps } = e.data as {
    module: WebAssembly.Module;
    memory: WebAssembly.Memory;
    base: number;
    n: number;
    reps: number;
  };
  const k = await instantiateKernels(module, memory);
  const f = new Float32Array(memory.buffer);
  const A = base, X = A + 256 * 264 * 8, Y = X + 256 * n * 8;
  for (let i = A / 4; i < (Y + 256 * n * 8) / 4; i++) f[i] = Math.sin(i) * 0.1;
  const run = () =>
    k.gemm_f32(
      Y,
      Y + 256 * n * 4,
      n,
      A,
      A + 256 * 264 * 4,
      264,
      X,
      X + 256 * n * 4,
      n,
      256,
      256,
      n,
      0,
    );
  run();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) run();
  self.postMessage({ seconds: (performance.now() - t0) / 1000 / reps });
};
