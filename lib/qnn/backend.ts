/**
 * Which simulator backend runs a model: "wasm" (WebAssembly SIMD on worker threads, the
 * default), "webgpu" (WGSL compute shaders in float32, lib/qnn/webgpu/) or "auto", which takes
 * WebGPU only for a hardware adapter and otherwise WebAssembly. The two backends agree within
 * the float32 tolerance, not bit for bit, so whatever selects one belongs in a cache key.
 *
 * @module
 */

import { createSimulator, type Simulator, type SimulatorOptions } from "./simulator.ts";
import { findAdapter } from "./webgpu/device.ts";
import { createWebGpuSimulator } from "./webgpu/webgpu_simulator.ts";

/** The values of a `backend` setting. */
export const BACKENDS = ["auto", "wasm", "webgpu"] as const;
/** A backend setting. */
export type Backend = typeof BACKENDS[number];

/** The outcome of a backend setting on this machine. */
export interface BackendChoice {
  backend: "wasm" | "webgpu";
  /** The adapter used (webgpu only). */
  adapter?: GPUAdapter;
  /** One line for logs: what was chosen and why. */
  note: string;
}

/**
 * Resolves a setting: "webgpu" needs an adapter (any, software included) and throws without
 * one; "auto" takes WebGPU only for a hardware adapter and only in float32.
 */
export async function chooseBackend(
  backend: Backend,
  precision: "f32" | "f64" = "f32",
): Promise<BackendChoice> {
  if (backend === "wasm") return { backend, note: "backend wasm (WebAssembly SIMD)" };
  if (backend !== "auto" && backend !== "webgpu") {
    throw new Error(`simulator: backend must be one of ${BACKENDS.join(", ")}, got ${backend}`);
  }
  const found = await findAdapter();
  if (backend === "webgpu") {
    if (!found.adapter) throw new Error(`simulator: backend webgpu unavailable: ${found.reason}`);
    const kind = found.summary.software ? "software" : "hardware";
    return {
      backend,
      adapter: found.adapter,
      note: `backend webgpu on ${found.summary.name} (${kind} adapter)`,
    };
  }
  if (!found.adapter) return { backend: "wasm", note: `backend auto -> wasm: ${found.reason}` };
  if (found.summary.software) {
    return {
      backend: "wasm",
      note: `backend auto -> wasm: the only adapter, ${found.summary.name}, is a software one`,
    };
  }
  if (precision !== "f32") {
    return { backend: "wasm", note: `backend auto -> wasm: webgpu computes in float32 only` };
  }
  return {
    backend: "webgpu",
    adapter: found.adapter,
    note: `backend auto -> webgpu on ${found.summary.name} (hardware adapter)`,
  };
}

/** A Simulator with the backend it runs on. */
export type BackendSimulator = Simulator & {
  readonly backend: "wasm" | "webgpu";
  /** What was chosen and why (for step logs and benchmark rows). */
  readonly note: string;
};

/** createSimulator with a backend setting (default "wasm"). */
export async function createBackendSimulator(
  spec: Parameters<typeof createSimulator>[0],
  opts: SimulatorOptions & { backend?: Backend },
): Promise<BackendSimulator> {
  const choice = await chooseBackend(opts.backend ?? "wasm", opts.precision);
  const sim = choice.backend === "webgpu"
    ? await createWebGpuSimulator(spec, {
      precision: opts.precision,
      adapter: choice.adapter,
      hvp: opts.hvp,
    })
    : await createSimulator(spec, opts);
  return Object.assign(sim, { backend: choice.backend, note: choice.note });
}
