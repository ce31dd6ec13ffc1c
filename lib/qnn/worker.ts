/**
 * Worker entry of the fast simulator: instantiates the kernels on the shared memory and runs the
 * operations the main thread hands over (whole phases for all of this worker's QNNs, never
 * single gates: a round trip costs tens of microseconds).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { type ComputeOp, QnnWorkerCompute } from "./worker_compute.ts";
import { instantiateKernels } from "./kernels.ts";
import type { MemoryPlan } from "./plan.ts";

/** Messages from the main thread. */
export type WorkerRequest =
  | {
    type: "init";
    module: WebAssembly.Module;
    memory: WebAssembly.Memory;
    plan: MemoryPlan;
    slot: number;
    /** How many slots share the work items (see QnnWorkerCompute). */
    slots: number;
  }
  /** Phases run in order with one round trip (a round trip costs tens of microseconds). */
  | { type: "ops"; ops: ComputeOp[] };

let compute: QnnWorkerCompute | undefined;
let sync: Int32Array | undefined;

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const msg = event.data;
  try {
    if (msg.type === "init") {
      const kernels = await instantiateKernels(msg.module, msg.memory);
      compute = new QnnWorkerCompute(msg.plan, msg.memory, kernels, msg.slot, msg.slots);
      sync = new Int32Array(msg.memory.buffer, 0, 16);
      self.postMessage({ ok: true });
      return;
    }
    if (!compute || !sync) throw new Error("qnn worker: not initialised");
    Atomics.load(sync, 0); // order our reads after the main thread's writes
    for (const op of msg.ops) compute.run(op);
    Atomics.add(sync, 1, 1); // publish our writes before replying
    self.postMessage({ ok: true });
  } catch (e) {
    self.postMessage({
      ok: false,
      error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e),
    });
  }
};
