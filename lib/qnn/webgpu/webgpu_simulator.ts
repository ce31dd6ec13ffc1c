/**
 * The simulator on WebGPU (float32 compute shaders, qnn.wgsl), behind the same `Simulator`
 * interface as the WebAssembly one and with the same batched method: U_B and U_C built by gate
 * sweeps, applied as complex GEMMs over the batch; the adjoint through the conjugate
 * transposes, the block gradients from one sweep over sum_b psi_b lam_b^H per block.
 *
 * Split of the work: the GPU does everything whose size grows with the batch or is a
 * 256 x 256 matrix (unitaries, encodings on the batch, GEMMs, measurement, adjoints, the
 * per-sample partial traces, the gradient sweeps). The calling thread does the float64 scalar
 * work with the WebAssembly scalar kernels, as the WebAssembly backend does: gate angles,
 * the per-sample 2x2 encoding gates, block A (one state), the encoding-angle gradients from the
 * partial traces, and every sum over samples or chunks.
 *
 * `jvp`, `hvp` and `hessianProduct` are not on the GPU: they run on a WebAssembly simulator
 * created on first use.
 *
 * @module
 */

import { layoutForPatchCount } from "../../data/mod.ts";
import { layerGate, layerGateGrad } from "../gates.ts";
import { instantiateKernels, type KernelExports, kernelModule, sharedMemory } from "../kernels.ts";
import { crossEntropyOverChunks, givenCotangent } from "../loss.ts";
import { CHUNK, leadingDimension } from "../plan.ts";
import {
  aggregateWeight,
  biasOffset,
  checkDepth,
  CLASSES,
  FEATURES,
  layout,
  modelParamCount,
  type ModelSpec,
  OUTPUTS,
  PIXELS,
  qnnParamCount,
} from "../spec.ts";
import {
  createSimulator,
  type HessianPoint,
  type HvpResult,
  type Simulator,
} from "../simulator.ts";
import { type AdapterSummary, findAdapter, summarizeAdapter } from "./device.ts";
import { type Batch, Gpu } from "./gpu.ts";

/** Options of createWebGpuSimulator. */
export interface WebGpuSimulatorOptions {
  /** Only "f32": WGSL has no portable float64. */
  precision: "f32" | "f64";
  /** An adapter to use (default: the one WebGPU offers). */
  adapter?: GPUAdapter;
  /** Passed to the WebAssembly simulator that serves jvp and hvp. */
  hvp?: boolean;
  /** Worker threads of that WebAssembly simulator. */
  workers?: number;
  /** Passed to that WebAssembly simulator too (hessianAt). */
  hessianCacheImages?: number;
}

/** A Simulator on WebGPU, with the adapter it runs on. */
export interface WebGpuSimulator extends Simulator {
  readonly adapter: AdapterSummary;
}

const SQUARE = 2 * 256 * 256; // floats of a complex 256 x 256 matrix
const BLK = 64; // columns per partial row sum (row_sums)

/** Per-QNN buffers on the GPU. */
interface QnnGpu {
  gates: GPUBuffer; // f32 [B, C][d][8][8]
  psiA: GPUBuffer; // 512
  UB: GPUBuffer;
  UC: GPUBuffer;
  MB: GPUBuffer;
  MC: GPUBuffer;
  u1: GPUBuffer;
  u2: GPUBuffer;
  psi1: GPUBuffer;
  psi3: GPUBuffer;
  psi4: GPUBuffer;
  y: GPUBuffer; // 10 x ld
  R1: GPUBuffer; // 64 x ld
  R2: GPUBuffer;
  lamPart: GPUBuffer; // [blocks][512]
  ptB: GPUBuffer; // [d][64]
  ptC: GPUBuffer;
}

/** Per-QNN addresses in the host's WebAssembly memory (scalar kernels). */
interface QnnHost {
  rot: number;
  trig: number;
  gradPhi: number;
  gradX: number;
  lamA: number;
  psiA: number;
  gates64: number;
}

/** Creates a WebGPU simulator; throws when WebGPU or an adapter is missing, or for f64. */
export async function createWebGpuSimulator(
  spec: ModelSpec,
  opts: WebGpuSimulatorOptions,
): Promise<WebGpuSimulator> {
  checkDepth(spec.d);
  aggregateWeight(spec);
  if (opts.precision !== "f32") {
    throw new Error(
      `simulator: the webgpu backend computes in float32 only (WGSL has no portable float64); ` +
        `got precision ${JSON.stringify(opts.precision)}`,
    );
  }
  let adapter = opts.adapter;
  if (!adapter) {
    const found = await findAdapter();
    if (!found.adapter) throw new Error(`simulator: webgpu backend unavailable: ${found.reason}`);
    adapter = found.adapter;
  }
  const summary = summarizeAdapter(adapter);
  const gpu = await Gpu.create(adapter);
  const kernels = await instantiateHost(spec);
  return new GpuSimulator(spec, opts, gpu, summary, kernels);
}

/** The host memory and its layout. */
interface Host {
  k: KernelExports;
  memory: WebAssembly.Memory;
  images: number;
  bias: number;
  pix: number;
  u1: number;
  u2: number;
  R: number;
  lam: number;
  ptrace: number;
  qnn: QnnHost[];
}

async function instantiateHost(spec: ModelSpec): Promise<Host> {
  const { P, d } = spec;
  const ld = leadingDimension(CHUNK, 4);
  let top = 65536; // below: the module's own data
  const take = (bytes: number) => {
    const at = top;
    top += Math.ceil(bytes / 64) * 64;
    return at;
  };
  const base = {
    images: take(CHUNK * PIXELS * 8),
    bias: take(PIXELS * 8),
    pix: take(P * FEATURES * 4),
    u1: take(64 * ld * 4),
    u2: take(64 * ld * 4),
    R: take(64 * ld * 4),
    lam: take(512 * 8),
    ptrace: take(64 * 8),
  };
  const qnn: QnnHost[] = [];
  for (let p = 0; p < P; p++) {
    qnn.push({
      rot: take(256 * 8),
      trig: take(128 * ld * 8),
      gradPhi: take(qnnParamCount(d) * 8),
      gradX: take(FEATURES * 8),
      lamA: take(512 * 8),
      psiA: take((d + 1) * 512 * 8),
      gates64: take(3 * d * 64 * 8),
    });
  }
  const memory = sharedMemory(Math.ceil(top / 65536) * 65536);
  const k = await instantiateKernels(await kernelModule(), memory);
  new Int32Array(memory.buffer, base.pix, P * FEATURES).set(layoutForPatchCount(P).pixel);
  return { k, memory, ...base, qnn };
}

class GpuSimulator implements WebGpuSimulator {
  readonly precision = "f32" as const;
  readonly #gpu: Gpu;
  readonly #host: Host;
  readonly #f64: Float64Array;
  readonly #f32: Float32Array;
  readonly #q: QnnGpu[];
  readonly #cot: GPUBuffer;
  readonly #bufX: GPUBuffer;
  readonly #bufY: GPUBuffer;
  readonly #rowTrace: GPUBuffer;
  readonly #ld: number;
  readonly #nPhi: number;
  readonly #w: number;
  readonly #pixel: Int32Array;
  readonly #opts: WebGpuSimulatorOptions;
  /** As asked of the WebAssembly simulator that serves the Hessian products. */
  readonly hessianCacheImages: number;
  #fallback: Promise<Simulator> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(
    readonly spec: ModelSpec,
    opts: WebGpuSimulatorOptions,
    gpu: Gpu,
    readonly adapter: AdapterSummary,
    host: Host,
  ) {
    this.#opts = opts;
    this.hessianCacheImages = opts.hvp
      ? Math.ceil((opts.hessianCacheImages ?? 0) / CHUNK) * CHUNK
      : 0;
    this.#gpu = gpu;
    this.#host = host;
    this.#f64 = new Float64Array(host.memory.buffer);
    this.#f32 = new Float32Array(host.memory.buffer);
    this.#ld = leadingDimension(CHUNK, 4);
    this.#nPhi = qnnParamCount(spec.d);
    this.#w = aggregateWeight(spec);
    this.#pixel = layoutForPatchCount(spec.P).pixel;
    const ld = this.#ld, d = spec.d;
    const batch = 2 * 256 * ld * 4, square = SQUARE * 4;
    const blocks = Math.ceil(CHUNK / BLK);
    this.#q = Array.from({ length: spec.P }, () => ({
      gates: gpu.buffer(2 * d * 64 * 4),
      psiA: gpu.buffer(512 * 4),
      UB: gpu.buffer(square),
      UC: gpu.buffer(square),
      MB: gpu.buffer(square),
      MC: gpu.buffer(square),
      u1: gpu.buffer(64 * ld * 4),
      u2: gpu.buffer(64 * ld * 4),
      psi1: gpu.buffer(batch),
      psi3: gpu.buffer(batch),
      psi4: gpu.buffer(batch),
      y: gpu.buffer(OUTPUTS * ld * 4),
      R1: gpu.buffer(64 * ld * 4),
      R2: gpu.buffer(64 * ld * 4),
      lamPart: gpu.buffer(blocks * 512 * 4),
      ptB: gpu.buffer(d * 64 * 4),
      ptC: gpu.buffer(d * 64 * 4),
    }));
    this.#cot = gpu.buffer(OUTPUTS * ld * 4);
    this.#bufX = gpu.buffer(batch);
    this.#bufY = gpu.buffer(batch);
    this.#rowTrace = gpu.buffer(d * 256 * 32 * 4);
  }

  /** Runs calls one at a time: they share the buffers. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("simulator: closed"));
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => {});
    return next;
  }

  #count(images: Float32Array | Float64Array): number {
    if (images.length % PIXELS !== 0) {
      throw new Error(
        `simulator: images has length ${images.length}, not a multiple of 196 (14 x 14 per image)`,
      );
    }
    return images.length / PIXELS;
  }

  #checkParams(params: Float64Array, name: string): void {
    const n = modelParamCount(this.spec);
    if (params.length !== n) {
      throw new Error(`simulator: ${name} has length ${params.length}, expected ${n}`);
    }
  }

  /**
   * Gates, rotation tables and block A on the host; U_B, U_C on the GPU; with grad, zeroed
   * accumulators (MB, MC on the GPU, the rest on the host).
   */
  async #setup(params: Float64Array, grad: boolean): Promise<void> {
    this.#checkParams(params, "params");
    const { d } = this.spec;
    const h = this.#host, f64 = this.#f64, k = h.k;
    f64.set(params.subarray(biasOffset(this.spec)), h.bias / 8);
    const batch = this.#gpu.batch();
    for (let p = 0; p < this.spec.P; p++) {
      const r = h.qnn[p], g = this.#q[p];
      const phi = params.subarray(p * this.#nPhi, (p + 1) * this.#nPhi);
      const gatesT = new Float32Array(2 * d * 64);
      const blocks = ["A", "B", "C"] as const;
      for (let b = 0; b < 3; b++) {
        for (let l = 0; l < d; l++) {
          const base = layout.layer(d, blocks[b], l);
          for (let q = 0; q < 8; q++) {
            const gate = layerGate(phi[base + q], phi[base + 8 + q]);
            const at = ((b * d + l) * 8 + q) * 8;
            f64.set(gate, r.gates64 / 8 + at);
            if (b > 0) gatesT.set(gate, at - d * 64);
          }
        }
      }
      for (let e = 0; e < 2; e++) {
        const enc = layout.encoding(d, (e + 1) as 1 | 2);
        for (let i = 0; i < 64; i++) {
          f64[r.rot / 8 + (e * 64 + i) * 2] = Math.cos(phi[enc + i] / 2);
          f64[r.rot / 8 + (e * 64 + i) * 2 + 1] = Math.sin(phi[enc + i] / 2);
        }
      }
      // Block A on |0> in float64, keeping every layer's state for the backward pass.
      f64.fill(0, r.psiA / 8, r.psiA / 8 + (d + 1) * 512);
      f64[r.psiA / 8] = 1;
      for (let l = 0; l < d; l++) {
        const next = r.psiA + (l + 1) * 512 * 8;
        f64.copyWithin(next / 8, next / 8 - 512, next / 8);
        k.vec_layer(next, 0, r.gates64 + l * 512, 0, 1);
      }
      this.#gpu.write(
        g.psiA,
        Float32Array.from(f64.subarray(r.psiA / 8 + d * 512, r.psiA / 8 + (d + 1) * 512)),
      );
      this.#gpu.write(g.gates, gatesT);
      batch.dispatch("build_unitary", [g.gates, g.UB], [d, 0, 0], [256]);
      batch.dispatch("build_unitary", [g.gates, g.UC], [d, d * 64, 1], [256]);
      if (grad) {
        batch.clear(g.MB).clear(g.MC);
        f64.fill(0, r.gradPhi / 8, r.gradPhi / 8 + this.#nPhi);
        f64.fill(0, r.gradX / 8, r.gradX / 8 + FEATURES);
        f64.fill(0, r.lamA / 8, r.lamA / 8 + 512);
      }
    }
    await batch.run();
  }

  /** Y = op(A) X for a 256 x 256 A (adjoint when adj) and batch buffers X, Y (nb columns). */
  #gemm(batch: Batch, A: GPUBuffer, X: GPUBuffer, Y: GPUBuffer, nb: number, adj: boolean): void {
    const ld = this.#ld;
    batch.dispatch("gemm", [A, X, Y], [
      256,
      nb,
      256,
      65536,
      adj ? 1 : 256,
      adj ? 256 : 1,
      256 * ld,
      ld,
      1,
      256 * ld,
      ld,
      adj ? 1 : 0,
    ], [Math.ceil(nb / 16), 16]);
  }

  /** M += P Q^H for batch buffers P, Q (nb columns) and a 256 x 256 M. */
  #gemmNH(batch: Batch, Pb: GPUBuffer, Q: GPUBuffer, M: GPUBuffer, nb: number): void {
    const ld = this.#ld;
    batch.dispatch("gemm", [Pb, Q, M], [
      256,
      256,
      nb,
      256 * ld,
      ld,
      1,
      256 * ld,
      1,
      ld,
      65536,
      256,
      2 | 4,
    ], [16, 16]);
  }

  /** The chunk's per-sample encoding gates (host, float64 then float32) uploaded per QNN. */
  #prepare(images: Float32Array | Float64Array, start: number, nb: number): void {
    const h = this.#host, ld = this.#ld;
    this.#f64.set(images.subarray(start * PIXELS, (start + nb) * PIXELS), h.images / 8);
    for (let p = 0; p < this.spec.P; p++) {
      const r = h.qnn[p];
      h.k.enc_prepare_f32(
        h.images,
        h.bias,
        h.pix + p * FEATURES * 4,
        nb,
        ld,
        r.rot,
        r.trig,
        h.u1,
        h.u2,
        0,
        0,
        0,
        0,
      );
      this.#gpu.write(this.#q[p].u1, this.#f32.subarray(h.u1 / 4, h.u1 / 4 + 64 * ld));
      this.#gpu.write(this.#q[p].u2, this.#f32.subarray(h.u2 / 4, h.u2 / 4 + 64 * ld));
    }
  }

  /** Forward pass of a chunk on the GPU; adds w * sum_p y_p to logits (p ascending). */
  async #forwardChunk(nb: number, logits: Float64Array, start: number): Promise<void> {
    const ld = this.#ld;
    const batch = this.#gpu.batch();
    const dims = [nb, ld];
    for (const g of this.#q) {
      batch.dispatch("encode", [g.psiA, g.u1, g.psi1], [nb, ld, 1], [nb]);
      this.#gemm(batch, g.UB, g.psi1, this.#bufX, nb, false);
      batch.dispatch("encode", [this.#bufX, g.u2, g.psi3], [nb, ld, 0], [nb]);
      this.#gemm(batch, g.UC, g.psi3, g.psi4, nb, false);
      batch.dispatch("measure", [g.psi4, g.y], dims, [Math.ceil(nb / 64)]);
      batch.read(g.y, OUTPUTS * ld);
    }
    const y = await batch.run();
    for (let b = 0; b < nb; b++) {
      for (let o = 0; o < OUTPUTS; o++) {
        let s = 0;
        for (let p = 0; p < this.spec.P; p++) s += y[p * OUTPUTS * ld + o * ld + b];
        logits[(start + b) * CLASSES + o] = this.#w * s;
      }
    }
  }

  /** Backward pass of the last forward chunk with the QNN outputs' cotangent cot ([10][ld]). */
  async #backwardChunk(nb: number, cot: Float32Array): Promise<void> {
    const ld = this.#ld, h = this.#host, d = this.spec.d;
    this.#gpu.write(this.#cot, cot);
    const X = this.#bufX, Y = this.#bufY;
    const batch = this.#gpu.batch();
    const blocks = Math.ceil(nb / BLK);
    for (const g of this.#q) {
      batch.dispatch("observe_adjoint", [g.psi4, this.#cot, X], [nb, ld], [Math.ceil(nb / 64), 64]);
      this.#gemm(batch, g.UC, X, Y, nb, true);
      this.#gemmNH(batch, g.psi3, Y, g.MC, nb);
      batch.dispatch("encode_backward", [Y, g.psi3, g.u2, X, g.R2], [nb, ld], [nb]);
      this.#gemm(batch, g.UB, X, Y, nb, true);
      this.#gemmNH(batch, g.psi1, Y, g.MB, nb);
      batch.dispatch("encode_backward", [Y, g.psi1, g.u1, X, g.R1], [nb, ld], [nb]);
      batch.dispatch("row_sums", [X, g.lamPart], [nb, ld], [8, blocks]);
      batch.read(g.R2, 64 * ld).read(g.R1, 64 * ld).read(g.lamPart, blocks * 512);
    }
    const out = await batch.run();
    const per = 128 * ld + blocks * 512;
    for (let p = 0; p < this.spec.P; p++) {
      const r = h.qnn[p];
      const at = p * per;
      for (const [e, off] of [[1, 0], [0, 64 * ld]]) {
        this.#f32.set(out.subarray(at + off, at + off + 64 * ld), h.R / 4);
        const enc = layout.encoding(d, (e + 1) as 1 | 2);
        h.k.enc_grads_f32(h.R, e, nb, ld, r.rot, r.trig, r.gradPhi + enc * 8, r.gradX);
      }
      for (let i = 0; i < 512; i++) {
        let s = 0;
        for (let b = 0; b < blocks; b++) s += out[at + 128 * ld + b * 512 + i];
        this.#f64[r.lamA / 8 + i] += s;
      }
    }
  }

  /** The block gradients: sweeps on the GPU, partial traces to gradients on the host. */
  async #finish(params: Float64Array): Promise<Float64Array> {
    const d = this.spec.d, h = this.#host, f64 = this.#f64;
    const batch = this.#gpu.batch();
    for (const g of this.#q) {
      for (const [W, pt, b] of [[g.MB, g.ptB, 0], [g.MC, g.ptC, 1]] as const) {
        for (let l = 0; l < d; l++) {
          const goff = (b * d + l) * 64;
          const cz = b === 1 && l === d - 1 ? 0 : 1;
          batch.dispatch("sweep_left", [g.gates, W], [goff], [256]);
          batch.dispatch("sweep_right", [g.gates, W, this.#rowTrace], [goff, cz, l * 8192], [256]);
        }
        batch.dispatch("ptrace_reduce", [this.#rowTrace, pt], [d], [d]);
      }
      batch.read(g.ptB, d * 64).read(g.ptC, d * 64);
    }
    const pts = await batch.run();
    const grad = new Float64Array(modelParamCount(this.spec));
    const off = biasOffset(this.spec);
    for (let p = 0; p < this.spec.P; p++) {
      const r = h.qnn[p];
      const phi = params.subarray(p * this.#nPhi, (p + 1) * this.#nPhi);
      const gp = f64.subarray(r.gradPhi / 8, r.gradPhi / 8 + this.#nPhi);
      const addLayer = (base: number, R: (q: number) => ArrayLike<number>) => {
        for (let q = 0; q < 8; q++) {
          const [da, db] = layerGateGrad(phi[base + 8 + q], R(q));
          gp[base + q] += da;
          gp[base + 8 + q] += db;
        }
      };
      for (const [b, block] of [[0, "B"], [1, "C"]] as const) {
        for (let l = 0; l < d; l++) {
          const at = (p * 2 + b) * d * 64 + l * 64;
          addLayer(layout.layer(d, block, l), (q) => pts.subarray(at + q * 8, at + q * 8 + 8));
        }
      }
      // Block A: the summed adjoint walked back through the float64 states.
      f64.copyWithin(h.lam / 8, r.lamA / 8, r.lamA / 8 + 512);
      for (let l = d - 1; l >= 0; l--) {
        h.k.vec_layer_backward(r.psiA + (l + 1) * 512 * 8, h.lam, r.gates64 + l * 512, 1, h.ptrace);
        addLayer(
          layout.layer(d, "A", l),
          (q) => f64.subarray(h.ptrace / 8 + q * 8, h.ptrace / 8 + q * 8 + 8),
        );
      }
      grad.set(gp, p * this.#nPhi);
      for (let f = 0; f < FEATURES; f++) {
        grad[off + this.#pixel[p * FEATURES + f]] += f64[r.gradX / 8 + f];
      }
    }
    return grad;
  }

  forward(params: Float64Array, images: Float32Array | Float64Array): Promise<Float64Array> {
    return this.#serial(async () => {
      const n = this.#count(images);
      await this.#setup(params, false);
      const logits = new Float64Array(n * CLASSES);
      for (let start = 0; start < n; start += CHUNK) {
        const nb = Math.min(CHUNK, n - start);
        this.#prepare(images, start, nb);
        await this.#forwardChunk(nb, logits, start);
      }
      return logits;
    });
  }

  /** Reverse mode over all chunks; `cot` fills a chunk's logit cotangent (nb x 10). */
  async #backprop(
    params: Float64Array,
    images: Float32Array | Float64Array,
    cot: (logits: Float64Array, start: number, nb: number, out: Float64Array) => void,
  ): Promise<{ grad: Float64Array; logits: Float64Array }> {
    const n = this.#count(images);
    await this.#setup(params, true);
    const logits = new Float64Array(n * CLASSES);
    const chunkCot = new Float64Array(CHUNK * CLASSES);
    const ld = this.#ld;
    for (let start = 0; start < n; start += CHUNK) {
      const nb = Math.min(CHUNK, n - start);
      this.#prepare(images, start, nb);
      await this.#forwardChunk(nb, logits, start);
      cot(logits, start, nb, chunkCot);
      // d logits / d y_p = w for every p; layout [o][b].
      const c = new Float32Array(OUTPUTS * ld);
      for (let o = 0; o < OUTPUTS; o++) {
        for (let b = 0; b < nb; b++) c[o * ld + b] = this.#w * chunkCot[b * CLASSES + o];
      }
      await this.#backwardChunk(nb, c);
    }
    return { grad: await this.#finish(params), logits };
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

  /** The WebAssembly simulator that serves jvp and hvp (same spec, float32). */
  #wasm(): Promise<Simulator> {
    this.#fallback ??= createSimulator(this.spec, {
      precision: "f32",
      hvp: this.#opts.hvp,
      workers: this.#opts.workers,
      hessianCacheImages: this.#opts.hessianCacheImages,
    });
    return this.#fallback;
  }

  /** Forward-mode products run on the WebAssembly kernels (not ported to WGSL). */
  jvp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    v: Float64Array,
  ): Promise<Float64Array> {
    return this.#serial(async () => (await this.#wasm()).jvp(params, images, v));
  }

  /** Hessian-vector products run on the WebAssembly kernels (not ported to WGSL). */
  hvp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
    v: Float64Array,
  ): Promise<HvpResult> {
    return this.#serial(async () => (await this.#wasm()).hvp(params, images, labels, v));
  }

  /** One part of the Hessian product, on the WebAssembly kernels too (see `hvp`). */
  hessianProduct(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
    v: Float64Array,
    kind: "full" | "curvature" | "gaussNewton",
  ): Promise<Float64Array> {
    return this.#serial(async () =>
      (await this.#wasm()).hessianProduct(params, images, labels, v, kind)
    );
  }

  /** Products at one point, on the WebAssembly kernels too (see `hvp`). */
  hessianAt(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
  ): HessianPoint {
    if (!this.#opts.hvp) {
      throw new Error("simulator: hessianAt needs createSimulator(..., { hvp: true })");
    }
    const n = modelParamCount(this.spec);
    if (params.length !== n) {
      throw new Error(`simulator: params has length ${params.length}, expected ${n}`);
    }
    if (labels.length * PIXELS !== images.length) {
      throw new Error(`simulator: ${labels.length} labels for ${images.length / PIXELS} images`);
    }
    // Copied now: the WebAssembly simulator starts at the first product (its own checks then).
    const point = [params.slice(), images.slice(), labels.slice()] as const;
    let at: Promise<HessianPoint> | undefined;
    return {
      product: (v, kind) =>
        this.#serial(async () => {
          at ??= this.#wasm().then((sim) => sim.hessianAt(...point));
          return (await at).product(v, kind);
        }),
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fallback?.then((s) => s.close(), () => {});
    this.#gpu.destroy();
  }
}
