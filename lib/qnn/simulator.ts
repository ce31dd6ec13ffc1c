/**
 * The fast simulator: P QNNs on a batch, exact forward, gradients (reverse mode) and
 * Jacobian-vector products (forward mode), float32 or float64, on worker threads that share one
 * WebAssembly memory. Workers take work items (QNN, column part of a chunk; QNN and block for
 * building unitaries and sweeps) fixed by the model and the chunk, never by the number of
 * workers; sums over parts and QNNs (logits, bias gradient) run in a fixed order, so results are
 * bit-identical for any number of workers, including more workers than QNNs.
 *
 * @module
 */

import { layoutForPatchCount } from "../data/mod.ts";
import {
  type ComputeOp,
  type HvpParts,
  type HvpReuse,
  QnnWorkerCompute,
  type SetupMode,
} from "./worker_compute.ts";
import { blockMethods } from "./block_method.ts";
import { instantiateKernels, kernelModule, sharedMemory } from "./kernels.ts";
import {
  crossEntropyCotangent,
  crossEntropyHessianProduct,
  crossEntropyOverChunks,
  crossEntropySum,
  givenCotangent,
} from "./loss.ts";
import {
  CHUNK,
  chunkParts,
  hvpCacheChunkBytes,
  MAX_MEMORY_BYTES,
  type MemoryPlan,
  memoryPlan,
  PARTS,
  VECTOR_MAX,
} from "./plan.ts";
import {
  aggregateWeight,
  biasOffset,
  checkDepth,
  CLASSES,
  FEATURES,
  modelParamCount,
  type ModelSpec,
  OUTPUTS,
  PIXELS,
  qnnParamCount,
} from "./spec.ts";
import type { WorkerRequest } from "./worker.ts";

/** The simulator's interface (see lib/qnn/mod.ts). */
export interface Simulator {
  readonly spec: ModelSpec;
  readonly precision: "f32" | "f64";
  /** How many images' states `hessianAt` keeps between products (0: none; whole chunks). */
  readonly hessianCacheImages: number;
  /** Logits (n x 10, row-major) for n preprocessed images (n x 196, row-major). */
  forward(params: Float64Array, images: Float32Array | Float64Array): Promise<Float64Array>;
  /** Mean softmax cross-entropy, its exact gradient w.r.t. every parameter, and the logits. */
  lossGrad(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
  ): Promise<{ loss: number; grad: Float64Array; logits: Float64Array }>;
  /** Gradient of sum_{b,o} cotangent[b*10+o] logits[b*10+o] w.r.t. all parameters. */
  vjp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    cotangent: Float64Array,
  ): Promise<Float64Array>;
  /** Directional derivative of the logits along v (exact forward mode), n x 10. */
  jvp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    v: Float64Array,
  ): Promise<Float64Array>;
  /**
   * Exact Hessian-vector products of the mean softmax cross-entropy along v (forward mode over
   * the reverse sweep; needs `hvp: true` at creation): the full product H v, its Gauss-Newton
   * part G v = J^T (d2L/dz2) J v and its curvature part C v = sum_k dL/dz_k (d2z_k/dtheta2) v
   * (H v = G v + C v), with the loss and gradient at params.
   */
  hvp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
    v: Float64Array,
  ): Promise<HvpResult>;
  /**
   * One Hessian-vector product of the mean softmax cross-entropy along v (needs `hvp: true`):
   * the full H v, or only its curvature part C v, or only its Gauss-Newton part G v. Cheaper
   * than `hvp`, which computes all three; same values up to rounding. Like every call, it
   * streams the images in chunks (memory does not grow with their number).
   */
  hessianProduct(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
    v: Float64Array,
    kind: "full" | "curvature" | "gaussNewton",
  ): Promise<Float64Array>;
  /**
   * Hessian-vector products at one point (needs `hvp: true`): the same values as
   * `hessianProduct` at (params, images, labels), bit for bit, but every product after the
   * first skips the work that does not depend on v (the point's states and adjoints; for the
   * first `hessianCacheImages` images they are kept in memory). The point is copied; a call at
   * another point (or another `hessianAt`) makes the next product here start over, never wrong.
   *
   * @example
   * ```ts
   * const at = sim.hessianAt(params, images, labels);
   * const hv = await at.product(v, "full"); // later products at this point are cheaper
   * ```
   */
  hessianAt(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
  ): HessianPoint;
  /**
   * How many batch GEMMs (`gemm`: U psi, U^H lam; `gemmNh`: psi lam^H sums) the WebAssembly
   * kernels have run since creation, on every worker: what `hessianAt` saves is visible here.
   * Absent on backends that do not run them.
   */
  gemmCounts?(): { gemm: number; gemmNh: number };
  /** Terminates the workers. */
  close(): void;
}

/** Hessian-vector products at one point (Simulator.hessianAt). */
export interface HessianPoint {
  /** H v, or only C v, or only G v, at the point (vectors in the order of params). */
  product(v: Float64Array, kind: HessianProductKind): Promise<Float64Array>;
}

/** Which product Simulator.hessianProduct computes. */
export type HessianProductKind = "full" | "curvature" | "gaussNewton";

/** What Simulator.hvp returns (vectors in the order of params). */
export interface HvpResult {
  loss: number;
  grad: Float64Array;
  /** H v = gaussNewton + curvature. */
  hvp: Float64Array;
  gaussNewton: Float64Array;
  curvature: Float64Array;
}

/** Options of createSimulator. */
export interface SimulatorOptions {
  precision: "f32" | "f64";
  /** Worker threads (default: every core; at most P x PARTS have work); 0: the calling thread. */
  workers?: number;
  /** Reserve the buffers of exact Hessian-vector products (`hvp`); default false. */
  hvp?: boolean;
  /**
   * With `hvp`: keep the states of up to this many images between products at one point
   * (`hessianAt`), in chunks of 1,000; default 0. Memory: `hessianCacheBytes`; capped so that
   * the simulator's memory stays within WebAssembly's 4 GiB.
   */
  hessianCacheImages?: number;
  /**
   * How forward passes and gradients apply blocks B and C: `unitary` builds the two 256 x 256
   * block unitaries and applies them as GEMMs over the batch (f64 chunks of at most 32 images
   * still take the per-sample vectors); `direct` applies the blocks' layers to the batch of
   * states, layer by layer, and walks the adjoints back the same way (no unitaries, no sweeps),
   * on every chunk; `auto` (default) takes, for each half of a call, whichever `blockMethods`
   * estimates cheaper. They agree to rounding (tests/qnn/direct_blocks_test.ts). Jacobian- and
   * Hessian-vector products are not affected.
   */
  blocks?: BlockChoice;
}

/** `SimulatorOptions.blocks`. */
export type BlockChoice = "auto" | "unitary" | "direct";
const BLOCK_CHOICES: readonly BlockChoice[] = ["auto", "unitary", "direct"];

/**
 * The memory `hessianCacheImages: images` adds to a simulator of this model (bytes).
 *
 * @example
 * ```ts
 * hessianCacheBytes({ P: 16, d: 20 }, "f32", 2000); // 2 chunks x 16 QNNs x 4 states
 * ```
 */
export function hessianCacheBytes(
  spec: ModelSpec,
  precision: "f32" | "f64",
  images: number,
): number {
  return Math.ceil(images / CHUNK) * hvpCacheChunkBytes(spec, precision);
}

type Op = ComputeOp;
type Ops = Extract<WorkerRequest, { type: "ops" }>;

/** One worker slot: a Deno Worker, or the computation on this thread (workers: 0). */
interface Slot {
  run(ops: Ops): Promise<void>;
  close(): void;
}

class WorkerSlot implements Slot {
  readonly #worker: Worker;
  #pending: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(init: Extract<WorkerRequest, { type: "init" }>, ready: (e?: Error) => void) {
    this.#worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    this.#pending = { resolve: () => ready(), reject: ready };
    this.#worker.onmessage = (e: MessageEvent<{ ok: boolean; error?: string }>) => {
      const p = this.#pending;
      this.#pending = undefined;
      if (e.data.ok) p?.resolve();
      else p?.reject(new Error(`qnn worker failed: ${e.data.error}`));
    };
    this.#worker.onerror = (e) => {
      e.preventDefault();
      const p = this.#pending;
      this.#pending = undefined;
      p?.reject(new Error(`qnn worker crashed: ${e.message}`));
    };
    this.#worker.postMessage(init);
  }

  run(ops: Ops): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#worker.postMessage(ops);
    });
  }

  close(): void {
    this.#worker.terminate();
    const p = this.#pending;
    this.#pending = undefined;
    p?.reject(new Error("simulator: closed while a call was running"));
  }
}

class LocalSlot implements Slot {
  constructor(readonly compute: QnnWorkerCompute) {}
  run(ops: Ops): Promise<void> {
    for (const op of ops.ops) this.compute.run(op);
    return Promise.resolve();
  }
  close(): void {}
}

/** Creates a simulator for a model; `close()` it when done. */
export async function createSimulator(spec: ModelSpec, opts: SimulatorOptions): Promise<Simulator> {
  checkDepth(spec.d);
  const patches = layoutForPatchCount(spec.P);
  aggregateWeight(spec); // validates aggregate
  if (opts.precision !== "f32" && opts.precision !== "f64") {
    throw new Error(
      `simulator: precision must be "f32" or "f64", got ${JSON.stringify(opts.precision)}`,
    );
  }
  const blocks = opts.blocks ?? "auto";
  if (!BLOCK_CHOICES.includes(blocks)) {
    throw new Error(
      `simulator: blocks must be one of ${BLOCK_CHOICES.join(", ")}, got ${JSON.stringify(blocks)}`,
    );
  }
  const cores = navigator.hardwareConcurrency || 2;
  const workers = opts.workers ?? cores;
  if (!Number.isInteger(workers) || workers < 0) {
    throw new Error(`simulator: workers must be an integer >= 0`);
  }
  // Work items are (QNN, column part) pairs, so up to P x PARTS workers have work.
  const slots = Math.max(1, Math.min(workers, spec.P * PARTS));
  const keep = opts.hessianCacheImages ?? 0;
  if (!Number.isInteger(keep) || keep < 0) {
    throw new Error(`simulator: hessianCacheImages must be an integer >= 0, got ${keep}`);
  }
  const hvp = opts.hvp ?? false;
  const base = memoryPlan(spec, opts.precision, slots, hvp);
  // As many whole chunks as asked for and as fit below WebAssembly's limit (with 64 MiB spare).
  const room = Math.floor(
    (MAX_MEMORY_BYTES - 64 * 2 ** 20 - base.bytes) / hvpCacheChunkBytes(spec, opts.precision),
  );
  const chunks = hvp ? Math.max(0, Math.min(Math.ceil(keep / CHUNK), room)) : 0;
  const plan = chunks > 0 ? memoryPlan(spec, opts.precision, slots, hvp, chunks) : base;
  const memory = sharedMemory(plan.bytes);
  new Int32Array(memory.buffer, plan.pix, spec.P * FEATURES).set(patches.pixel);
  const module = await kernelModule();
  let list: Slot[];
  if (workers === 0) {
    const kernels = await instantiateKernels(module, memory);
    list = [new LocalSlot(new QnnWorkerCompute(plan, memory, kernels, 0, 1))];
  } else {
    const ready: Promise<void>[] = [];
    list = Array.from({ length: slots }, (_, slot) => {
      let done!: (e?: Error) => void;
      ready.push(new Promise((res, rej) => (done = (e) => (e ? rej(e) : res()))));
      return new WorkerSlot({ type: "init", module, memory, plan, slot, slots }, done);
    });
    try {
      await Promise.all(ready);
    } catch (e) {
      list.forEach((s) => s.close());
      throw e;
    }
  }
  return new FastSimulator(
    spec,
    opts.precision,
    plan,
    memory,
    list,
    patches.pixel,
    chunks * CHUNK,
    blocks,
  );
}

class FastSimulator implements Simulator {
  readonly #plan: MemoryPlan;
  readonly #f64: Float64Array;
  readonly #sync: Int32Array;
  readonly #slots: Slot[];
  readonly #pixel: Int32Array;
  readonly #w: number;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** The point whose states the memory holds (hessianAt), and which of them are there. */
  #point: object | undefined;
  #kept = { forward: false, adjoint: false };
  readonly #blocks: BlockChoice;
  /** Whether the current call applies the blocks directly (set by #begin). */
  #callDirect = false;

  constructor(
    readonly spec: ModelSpec,
    readonly precision: "f32" | "f64",
    plan: MemoryPlan,
    memory: WebAssembly.Memory,
    slots: Slot[],
    pixel: Int32Array,
    readonly hessianCacheImages: number,
    blocks: BlockChoice,
  ) {
    this.#blocks = blocks;
    this.#plan = plan;
    this.#f64 = new Float64Array(memory.buffer);
    this.#sync = new Int32Array(memory.buffer, 0, 16);
    this.#slots = slots;
    this.#pixel = pixel;
    this.#w = aggregateWeight(spec);
  }

  /** Runs calls one at a time: they share the memory. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("simulator: closed"));
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => {});
    return next;
  }

  /**
   * Starts a call. Small f64 calls need no unitaries: their setup is returned, to travel with
   * the first chunk (round trips dominate them); otherwise setup, then building U_B and U_C (a
   * phase of its own: work items read gates that other slots wrote), and nothing is returned.
   */
  async #begin(mode: SetupMode, n: number): Promise<Op[]> {
    const parts = chunkParts(Math.min(n, CHUNK)).length;
    let forward = false, backward = false;
    if (mode === "forward" || mode === "grad") {
      if (this.#blocks === "direct") [forward, backward] = [true, mode === "grad"];
      else if (this.#blocks === "auto" && this.#built(n)) {
        const m = blockMethods(this.spec, this.precision, mode, n);
        [forward, backward] = [m.forward === "direct", m.backward === "direct"];
      }
    }
    const direct = forward || backward;
    this.#callDirect = direct;
    const setup: Op = {
      type: "run",
      op: "setup",
      arg: mode,
      ...(direct
        ? { direct: { forward, backward, columnParts: parts, forced: this.#blocks === "direct" } }
        : {}),
    };
    if (!this.#built(n) && !direct) return [setup];
    // Chunk items on other slots read the gates setup writes: a message of its own.
    await this.#all(setup);
    const unitaries = !forward || (mode !== "forward" && !backward);
    if (unitaries) await this.#all({ type: "run", op: "build", arg: parts });
    return [];
  }

  /** Whether a call on n images builds the unitaries (f32, or a chunk above VECTOR_MAX). */
  #built(n: number): boolean {
    return this.precision === "f32" || n > VECTOR_MAX;
  }

  /** Runs phases on every slot, in order, one message per slot. */
  async #all(...list: Op[]): Promise<void> {
    const ops: Ops = { type: "ops", ops: list };
    Atomics.add(this.#sync, 0, 1); // publish the inputs written above
    await Promise.all(this.#slots.map((s) => s.run(ops)));
    Atomics.load(this.#sync, 1); // and see the workers' outputs
  }

  #count(images: Float32Array | Float64Array): number {
    return imageCount(images);
  }

  #setParams(params: Float64Array, at: number, name: string): void {
    const n = modelParamCount(this.spec);
    if (params.length !== n) {
      throw new Error(`simulator: ${name} has length ${params.length}, expected ${n}`);
    }
    this.#f64.set(params, at / 8);
  }

  #loadChunk(images: Float32Array | Float64Array, start: number, nb: number): void {
    this.#f64.set(images.subarray(start * PIXELS, (start + nb) * PIXELS), this.#plan.images / 8);
  }

  /** out[(start + b) * 10 + o] = w * sum_p y_p[o][b], p ascending (y_p at y[p], default region y). */
  #gather(nb: number, out: Float64Array, start: number, y?: number[]): void {
    const { ld, qnn } = this.#plan;
    const f = this.#f64;
    const at = y ?? qnn.map((r) => r.y);
    for (let b = 0; b < nb; b++) {
      for (let o = 0; o < OUTPUTS; o++) {
        let s = 0;
        for (let p = 0; p < this.spec.P; p++) s += f[at[p] / 8 + o * ld + b];
        out[(start + b) * CLASSES + o] = this.#w * s;
      }
    }
  }

  forward(params: Float64Array, images: Float32Array | Float64Array): Promise<Float64Array> {
    return this.#serial(async () => {
      const n = this.#count(images);
      this.#setParams(params, this.#plan.params, "params");
      const logits = new Float64Array(n * CLASSES);
      // Setup travels with the first chunk: small calls are dominated by round trips.
      let setup = await this.#begin("forward", n);
      for (let start = 0; start < n; start += CHUNK) {
        const nb = Math.min(CHUNK, n - start);
        this.#loadChunk(images, start, nb);
        await this.#all(...setup, { type: "run", op: "forward", arg: nb });
        setup = [];
        this.#gather(nb, logits, start);
      }
      return logits;
    });
  }

  /**
   * Reverse mode over all chunks: `cot` fills the cotangent of a chunk's logits (nb x 10) given
   * those logits; the gradient sums over chunks in order.
   */
  async #backprop(
    params: Float64Array,
    images: Float32Array | Float64Array,
    cot: (logits: Float64Array, start: number, nb: number, out: Float64Array) => void,
  ): Promise<{ grad: Float64Array; logits: Float64Array }> {
    const n = this.#count(images);
    const plan = this.#plan;
    this.#setParams(params, plan.params, "params");
    const logits = new Float64Array(n * CLASSES);
    let setup = await this.#begin("grad", n);
    const finish: Op = { type: "run", op: "finish" };
    const chunkCot = new Float64Array(Math.min(n, CHUNK) * CLASSES);
    for (let start = 0; start < n; start += CHUNK) {
      const nb = Math.min(CHUNK, n - start);
      this.#loadChunk(images, start, nb);
      await this.#all(...setup, { type: "run", op: "forward", arg: nb });
      setup = [];
      this.#gather(nb, logits, start);
      cot(logits, start, nb, chunkCot);
      // The QNN outputs' cotangent: d logits / d y_p = w for every p; layout [o][b].
      for (let o = 0; o < OUTPUTS; o++) {
        for (let b = 0; b < nb; b++) {
          this.#f64[plan.cot / 8 + o * plan.ld + b] = this.#w * chunkCot[b * CLASSES + o];
        }
      }
      // Small calls: finish travels with the last backward (each QNN's items on one slot);
      // otherwise it reads other slots' parts and needs the backward phase complete.
      const merge = start + nb >= n && !this.#built(n) && !this.#callDirect;
      await this.#all({ type: "run", op: "backward", arg: nb }, ...(merge ? [finish] : []));
      if (start + nb >= n && !merge) await this.#all(finish);
    }
    if (n === 0) await this.#all(...setup, finish);
    const grad = new Float64Array(modelParamCount(this.spec));
    const nPhi = qnnParamCount(this.spec.d);
    const off = biasOffset(this.spec);
    for (let p = 0; p < this.spec.P; p++) {
      const r = plan.qnn[p];
      grad.set(this.#f64.subarray(r.gradPhi / 8, r.gradPhi / 8 + nPhi), p * nPhi);
      // Bias: each feature's data-angle gradient goes to its pixel (p, then f ascending).
      for (let f = 0; f < FEATURES; f++) {
        grad[off + this.#pixel[p * FEATURES + f]] += this.#f64[r.gradX / 8 + f];
      }
    }
    return { grad, logits };
  }

  lossGrad(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
  ): Promise<{ loss: number; grad: Float64Array; logits: Float64Array }> {
    return this.#serial(async () => {
      const ce = crossEntropyOverChunks(labels, this.#count(images));
      const { grad, logits } = await this.#backprop(params, images, ce.cotangent);
      return { loss: ce.loss(), grad, logits };
    });
  }

  vjp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    cotangent: Float64Array,
  ): Promise<Float64Array> {
    return this.#serial(async () => {
      const cot = givenCotangent(cotangent, this.#count(images));
      return (await this.#backprop(params, images, cot)).grad;
    });
  }

  jvp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    v: Float64Array,
  ): Promise<Float64Array> {
    return this.#serial(async () => {
      const n = this.#count(images);
      this.#setParams(params, this.#plan.params, "params");
      this.#setParams(v, this.#plan.tangent, "v");
      const out = new Float64Array(n * CLASSES);
      let setup = await this.#begin("jvp", n);
      for (let start = 0; start < n; start += CHUNK) {
        const nb = Math.min(CHUNK, n - start);
        this.#loadChunk(images, start, nb);
        await this.#all(...setup, { type: "run", op: "jvp", arg: nb });
        setup = [];
        this.#gather(nb, out, start);
      }
      return out;
    });
  }

  hvp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
    v: Float64Array,
  ): Promise<HvpResult> {
    return this.#serial(() => this.#hvp(params, images, labels, v, "all"));
  }

  hessianAt(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
  ): HessianPoint {
    if (this.#plan.cot2 === 0) {
      throw new Error("simulator: hessianAt needs createSimulator(..., { hvp: true })");
    }
    const n = this.#checkLabels(images, labels);
    if (params.length !== modelParamCount(this.spec)) {
      throw new Error(
        `simulator: params has length ${params.length}, expected ${modelParamCount(this.spec)}`,
      );
    }
    // Copies: the kept states are only valid for exactly these numbers.
    const point = {
      params: params.slice(),
      images: images.slice(),
      labels: labels.slice(0, n),
    };
    return {
      product: (v, kind) => {
        checkProductKind(kind);
        return this.#serial(async () => {
          if (this.#point !== point) {
            this.#point = point;
            this.#kept = { forward: false, adjoint: false };
          }
          const reuse = { keep: true, ...this.#kept };
          const r = await this.#hvp(point.params, point.images, point.labels, v, kind, reuse);
          this.#kept = { forward: true, adjoint: this.#kept.adjoint || kind !== "gaussNewton" };
          return kind === "full" ? r.hvp : kind === "curvature" ? r.curvature : r.gaussNewton;
        });
      },
    };
  }

  hessianProduct(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
    v: Float64Array,
    kind: HessianProductKind,
  ): Promise<Float64Array> {
    try {
      checkProductKind(kind);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#serial(async () => {
      const r = await this.#hvp(params, images, labels, v, kind);
      return kind === "full" ? r.hvp : kind === "curvature" ? r.curvature : r.gaussNewton;
    });
  }

  /** The products of `parts`; with "full", hvp holds H v and the parts are not computed. */
  async #hvp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
    v: Float64Array,
    parts: HvpParts,
    reuse?: HvpReuse,
  ): Promise<HvpResult> {
    {
      const plan = this.#plan;
      if (plan.cot2 === 0) {
        throw new Error("simulator: hvp needs createSimulator(..., { hvp: true })");
      }
      const n = this.#checkLabels(images, labels);
      this.#setParams(params, plan.params, "params");
      this.#setParams(v, plan.tangent, "v");
      let setup: Op[] = [{ type: "run", op: "setup", arg: "hvp", parts, reuse }];
      const finish: Op = { type: "run", op: "hvpFinish" };
      const logits = new Float64Array(Math.min(n, CHUNK) * CLASSES);
      const jv = new Float64Array(Math.min(n, CHUNK) * CLASSES);
      const u = new Float64Array(Math.min(n, CHUNK) * CLASSES);
      const du = new Float64Array(Math.min(n, CHUNK) * CLASSES);
      const dyAt = plan.qnn.map((r) => r.hvp!.dy);
      let total = 0;
      for (let start = 0; start < n; start += CHUNK) {
        const nb = Math.min(CHUNK, n - start);
        this.#loadChunk(images, start, nb);
        const chunk = start / CHUNK;
        await this.#all(...setup, { type: "run", op: "hvpForward", arg: nb, chunk });
        setup = [];
        this.#gather(nb, logits, 0);
        this.#gather(nb, jv, 0, dyAt);
        const part = logits.subarray(0, nb * CLASSES);
        const lab = labels.subarray(start, start + nb);
        total += crossEntropySum(part, lab);
        crossEntropyCotangent(part, lab, n, u);
        // The cotangent's tangent along v: the softmax Hessian times J v, over the count.
        crossEntropyHessianProduct(part, jv.subarray(0, nb * CLASSES), n, du);
        for (let o = 0; o < OUTPUTS; o++) {
          for (let b = 0; b < nb; b++) {
            this.#f64[plan.cot / 8 + o * plan.ld + b] = this.#w * u[b * CLASSES + o];
            this.#f64[plan.cot2 / 8 + o * plan.ld + b] = this.#w * du[b * CLASSES + o];
          }
        }
        const last = start + nb >= n;
        await this.#all(
          { type: "run", op: "hvpBackward", arg: nb, chunk },
          ...(last ? [finish] : []),
        );
      }
      // Products that reuse a point's adjoints skip the gradient's encoding terms: no gradient.
      const grad = reuse?.adjoint
        ? new Float64Array(0)
        : this.#collect((r) => [r.gradPhi, r.gradX]);
      const curvature = this.#collect((r) => [r.hvp!.cGradPhi, r.hvp!.cGradX]);
      if (parts === "gaussNewton") {
        const gn = this.#collect((r) => [r.hvp!.gGradPhi, r.hvp!.gGradX]);
        const none = new Float64Array(0);
        return { loss: total / n, grad: none, hvp: none, gaussNewton: gn, curvature: none };
      }
      if (parts !== "all") {
        // "full": the curvature accumulators hold H v; "curvature": G v was not computed.
        const none = new Float64Array(0);
        return {
          loss: total / n,
          grad,
          hvp: parts === "full" ? curvature : none,
          gaussNewton: none,
          curvature,
        };
      }
      const gaussNewton = this.#collect((r) => [r.hvp!.gGradPhi, r.hvp!.gGradX]);
      const hv = new Float64Array(grad.length);
      for (let i = 0; i < hv.length; i++) hv[i] = gaussNewton[i] + curvature[i];
      return { loss: total / n, grad, hvp: hv, gaussNewton, curvature };
    }
  }

  #checkLabels(images: Float32Array | Float64Array, labels: Uint8Array): number {
    return labeledCount(images, labels);
  }

  /**
   * A full parameter vector from per-QNN accumulators [phi part, feature part] (addresses): QNN
   * blocks in order, then each feature's entry added to its bias pixel (p, then f ascending).
   */
  #collect(at: (r: MemoryPlan["qnn"][number]) => [number, number]): Float64Array {
    const out = new Float64Array(modelParamCount(this.spec));
    const nPhi = qnnParamCount(this.spec.d);
    const off = biasOffset(this.spec);
    for (let p = 0; p < this.spec.P; p++) {
      const [phi, x] = at(this.#plan.qnn[p]);
      out.set(this.#f64.subarray(phi / 8, phi / 8 + nPhi), p * nPhi);
      for (let f = 0; f < FEATURES; f++) {
        out[off + this.#pixel[p * FEATURES + f]] += this.#f64[x / 8 + f];
      }
    }
    return out;
  }

  gemmCounts(): { gemm: number; gemmNh: number } {
    const c = new Int32Array(this.#f64.buffer, this.#plan.counts, 2);
    return { gemm: Atomics.load(c, 0), gemmNh: Atomics.load(c, 1) };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#slots.forEach((s) => s.close());
  }
}

/** The number of 14 x 14 images in a flat pixel array; throws for a partial image. */
export function imageCount(images: Float32Array | Float64Array): number {
  if (images.length % PIXELS !== 0) {
    throw new Error(
      `simulator: images has length ${images.length}, not a multiple of 196 (14 x 14 per image)`,
    );
  }
  return images.length / PIXELS;
}

/** Checks labels against images (at least one, one label 0-9 each); returns the count. */
export function labeledCount(images: Float32Array | Float64Array, labels: Uint8Array): number {
  const n = imageCount(images);
  if (n === 0) throw new Error("simulator: needs at least one image");
  if (labels.length !== n) {
    throw new Error(`simulator: ${labels.length} labels for ${n} images`);
  }
  for (let b = 0; b < n; b++) {
    if (labels[b] > 9) throw new Error(`simulator: label ${labels[b]} at ${b} is not in 0..9`);
  }
  return n;
}

/** Throws unless kind is a HessianProductKind. */
export function checkProductKind(kind: string): void {
  if (kind !== "full" && kind !== "curvature" && kind !== "gaussNewton") {
    throw new Error(
      `simulator: kind must be "full", "curvature" or "gaussNewton", got ${JSON.stringify(kind)}`,
    );
  }
}
