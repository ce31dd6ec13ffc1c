/**
 * The simulator on WebGPU (float32 compute shaders, qnn.wgsl), behind the same `Simulator`
 * interface as the WebAssembly one and with the same batched method: U_B and U_C built by gate
 * sweeps, applied as complex GEMMs over the batch; the adjoint through the conjugate
 * transposes, the block gradients from one sweep over sum_b psi_b lam_b^H per block. Forward
 * mode (jvp, and the tangent of the reverse sweep in Hessian-vector products) carries a tangent
 * next to every state, unitary and sweep matrix.
 *
 * Split of the work: the GPU does everything whose size grows with the batch or is a
 * 256 x 256 matrix (unitaries, encodings on the batch, GEMMs, measurement, adjoints, the
 * per-sample partial traces, the gradient sweeps), with their tangents. The calling thread does
 * the float64 scalar work with the WebAssembly scalar kernels, as the WebAssembly backend does:
 * gate angles, the per-sample 2x2 encoding gates, block A (one state), the encoding-angle
 * gradients from the partial traces, the loss and its derivatives in the logits, and the sums of
 * per-sample results over samples and chunks (the sweep matrices are summed on the GPU).
 *
 * @module
 */

import { addLayerGrads, layerGate, layerGateTangent } from "../gates.ts";
import {
  crossEntropyCotangent,
  crossEntropyHessianProduct,
  crossEntropyOverChunks,
  crossEntropySum,
  givenCotangent,
} from "../loss.ts";
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
  checkProductKind,
  type HessianPoint,
  type HessianProductKind,
  type HvpResult,
  imageCount,
  labeledCount,
  type Simulator,
} from "../simulator.ts";
import { type AdapterSummary, findAdapter, summarizeAdapter } from "./device.ts";
import { type Batch, Gpu } from "./gpu.ts";
import { type Host, instantiateHost, type QnnHost } from "./host.ts";

/** Options of createWebGpuSimulator. */
export interface WebGpuSimulatorOptions {
  /** Only "f32": WGSL has no portable float64. */
  precision: "f32" | "f64";
  /** An adapter to use (default: the one WebGPU offers). */
  adapter?: GPUAdapter;
  /** Allow Hessian-vector products (`hvp`, `hessianProduct`, `hessianAt`); default false. */
  hvp?: boolean;
}

/** A Simulator on WebGPU, with the adapter it runs on. */
export interface WebGpuSimulator extends Simulator {
  readonly adapter: AdapterSummary;
}

/** Which products a Hessian-vector call accumulates (as the WebAssembly engine's HvpParts). */
type Parts = "all" | HessianProductKind;

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

/** Per-QNN buffers of forward-mode calls (jvp, hvp): the tangents of the forward pass. */
interface QnnTangentGpu {
  dgates: GPUBuffer;
  dpsiA: GPUBuffer;
  dUB: GPUBuffer;
  dUC: GPUBuffer;
  du1: GPUBuffer;
  du2: GPUBuffer;
  dpsi1: GPUBuffer;
  dpsi3: GPUBuffer;
  dpsi4: GPUBuffer;
  dy: GPUBuffer;
}

/** Per-QNN buffers of Hessian-vector products: the reverse sweep's tangents, the Gauss-Newton's. */
interface QnnHvpGpu {
  dMB: GPUBuffer;
  dMC: GPUBuffer;
  dR1: GPUBuffer;
  dR2: GPUBuffer;
  dlamPart: GPUBuffer;
  dptB: GPUBuffer;
  dptC: GPUBuffer;
  /** The Gauss-Newton sweep (the plain reverse sweep of the cotangent's tangent). */
  gn: Adjoint;
}

/** Where a reverse sweep accumulates on the GPU. */
interface Adjoint {
  MB: GPUBuffer;
  MC: GPUBuffer;
  R1: GPUBuffer;
  R2: GPUBuffer;
  lamPart: GPUBuffer;
  ptB: GPUBuffer;
  ptC: GPUBuffer;
}

/** The Hessian-vector product buffers of all QNNs, and the shared ones. */
interface HvpGpu {
  qnn: QnnHvpGpu[];
  cot2: GPUBuffer;
  bufZ: GPUBuffer;
  bufW: GPUBuffer;
  dRowTrace: GPUBuffer;
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
  const host = await instantiateHost(spec);
  return new GpuSimulator(spec, opts, gpu, summary, host);
}

class GpuSimulator implements WebGpuSimulator {
  readonly precision = "f32" as const;
  /** Products at one point recompute their states: nothing is kept between them. */
  readonly hessianCacheImages = 0;
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
  readonly #hvpAllowed: boolean;
  #tangentBufs: QnnTangentGpu[] | undefined;
  #hvpBufs: HvpGpu | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(
    readonly spec: ModelSpec,
    opts: WebGpuSimulatorOptions,
    gpu: Gpu,
    readonly adapter: AdapterSummary,
    host: Host,
  ) {
    this.#hvpAllowed = opts.hvp ?? false;
    this.#gpu = gpu;
    this.#host = host;
    this.#f64 = new Float64Array(host.memory.buffer);
    this.#f32 = new Float32Array(host.memory.buffer);
    this.#ld = leadingDimension(CHUNK, 4);
    this.#nPhi = qnnParamCount(spec.d);
    this.#w = aggregateWeight(spec);
    this.#pixel = new Int32Array(host.memory.buffer, host.pix, spec.P * FEATURES).slice();
    const d = spec.d;
    this.#q = Array.from({ length: spec.P }, () => ({
      gates: gpu.buffer(2 * d * 64 * 4),
      psiA: gpu.buffer(512 * 4),
      UB: this.#square(),
      UC: this.#square(),
      MB: this.#square(),
      MC: this.#square(),
      u1: this.#perSample(64),
      u2: this.#perSample(64),
      psi1: this.#batchBuffer(),
      psi3: this.#batchBuffer(),
      psi4: this.#batchBuffer(),
      y: this.#perSample(OUTPUTS),
      R1: this.#perSample(64),
      R2: this.#perSample(64),
      lamPart: this.#lamParts(),
      ptB: gpu.buffer(d * 64 * 4),
      ptC: gpu.buffer(d * 64 * 4),
    }));
    this.#cot = this.#perSample(OUTPUTS);
    this.#bufX = this.#batchBuffer();
    this.#bufY = this.#batchBuffer();
    this.#rowTrace = gpu.buffer(d * 256 * 32 * 4);
  }

  #square(): GPUBuffer {
    return this.#gpu.buffer(SQUARE * 4);
  }

  /** A batch of states: 256 x ld complex. */
  #batchBuffer(): GPUBuffer {
    return this.#gpu.buffer(2 * 256 * this.#ld * 4);
  }

  /** `rows` x ld floats (per-sample gates, outputs, partial traces). */
  #perSample(rows: number): GPUBuffer {
    return this.#gpu.buffer(rows * this.#ld * 4);
  }

  #lamParts(): GPUBuffer {
    return this.#gpu.buffer(Math.ceil(CHUNK / BLK) * 512 * 4);
  }

  /** The buffers of forward-mode calls, made on the first one. */
  #tangent(): QnnTangentGpu[] {
    const gpu = this.#gpu, d = this.spec.d;
    this.#tangentBufs ??= this.#q.map(() => ({
      dgates: gpu.buffer(2 * d * 64 * 4),
      dpsiA: gpu.buffer(512 * 4),
      dUB: this.#square(),
      dUC: this.#square(),
      du1: this.#perSample(64),
      du2: this.#perSample(64),
      dpsi1: this.#batchBuffer(),
      dpsi3: this.#batchBuffer(),
      dpsi4: this.#batchBuffer(),
      dy: this.#perSample(OUTPUTS),
    }));
    return this.#tangentBufs;
  }

  /** The buffers of Hessian-vector products, made on the first one. */
  #hvpBuffers(): HvpGpu {
    const gpu = this.#gpu, d = this.spec.d;
    this.#hvpBufs ??= {
      qnn: this.#q.map(() => ({
        dMB: this.#square(),
        dMC: this.#square(),
        dR1: this.#perSample(64),
        dR2: this.#perSample(64),
        dlamPart: this.#lamParts(),
        dptB: gpu.buffer(d * 64 * 4),
        dptC: gpu.buffer(d * 64 * 4),
        gn: {
          MB: this.#square(),
          MC: this.#square(),
          R1: this.#perSample(64),
          R2: this.#perSample(64),
          lamPart: this.#lamParts(),
          ptB: gpu.buffer(d * 64 * 4),
          ptC: gpu.buffer(d * 64 * 4),
        },
      })),
      cot2: this.#perSample(OUTPUTS),
      bufZ: this.#batchBuffer(),
      bufW: this.#batchBuffer(),
      dRowTrace: gpu.buffer(d * 256 * 32 * 4),
    };
    return this.#hvpBufs;
  }

  /** Runs calls one at a time: they share the buffers. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("simulator: closed"));
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => {});
    return next;
  }

  #checkParams(params: Float64Array, name: string): void {
    const n = modelParamCount(this.spec);
    if (params.length !== n) {
      throw new Error(`simulator: ${name} has length ${params.length}, expected ${n}`);
    }
  }

  /**
   * Gates, rotation tables and block A on the host; U_B, U_C on the GPU. With a tangent v (jvp,
   * hvp): their tangents too (and A's state tangents after every layer). With grad or hvp: zeroed
   * accumulators (sweep matrices on the GPU, the rest on the host).
   */
  async #setup(
    params: Float64Array,
    mode: "forward" | "grad" | "jvp" | "hvp",
    v?: Float64Array,
  ): Promise<void> {
    this.#checkParams(params, "params");
    if (v) this.#checkParams(v, "v");
    const { d } = this.spec;
    const h = this.#host, f64 = this.#f64, k = h.k;
    const t = v ? this.#tangent() : undefined;
    const hb = mode === "hvp" ? this.#hvpBuffers() : undefined;
    const off = biasOffset(this.spec);
    f64.set(params.subarray(off), h.bias / 8);
    const batch = this.#gpu.batch();
    for (let p = 0; p < this.spec.P; p++) {
      const r = h.qnn[p], g = this.#q[p], tg = t?.[p];
      const phi = params.subarray(p * this.#nPhi, (p + 1) * this.#nPhi);
      const dphi = v?.subarray(p * this.#nPhi, (p + 1) * this.#nPhi);
      const gatesT = new Float32Array(2 * d * 64), dgatesT = new Float32Array(2 * d * 64);
      const blocks = ["A", "B", "C"] as const;
      for (let b = 0; b < 3; b++) {
        for (let l = 0; l < d; l++) {
          const base = layout.layer(d, blocks[b], l);
          for (let q = 0; q < 8; q++) {
            const at = ((b * d + l) * 8 + q) * 8;
            const gate = layerGate(phi[base + q], phi[base + 8 + q]);
            f64.set(gate, r.gates64 / 8 + at);
            if (b > 0) gatesT.set(gate, at - d * 64);
            if (dphi) {
              const dg = layerGateTangent(
                phi[base + q],
                phi[base + 8 + q],
                dphi[base + q],
                dphi[base + 8 + q],
              );
              f64.set(dg, r.dgates64 / 8 + at);
              if (b > 0) dgatesT.set(dg, at - d * 64);
            }
          }
        }
      }
      for (let e = 0; e < 2; e++) {
        const enc = layout.encoding(d, (e + 1) as 1 | 2);
        for (let i = 0; i < 64; i++) {
          f64[r.rot / 8 + (e * 64 + i) * 2] = Math.cos(phi[enc + i] / 2);
          f64[r.rot / 8 + (e * 64 + i) * 2 + 1] = Math.sin(phi[enc + i] / 2);
          if (dphi) f64[r.drot / 8 + e * 64 + i] = dphi[enc + i];
        }
      }
      if (v) {
        for (let f = 0; f < FEATURES; f++) {
          f64[r.dx / 8 + f] = v[off + this.#pixel[p * FEATURES + f]];
        }
      }
      // Block A on |0> in float64, keeping every layer's state (and tangent) for the backward pass.
      f64.fill(0, r.psiA / 8, r.psiA / 8 + (d + 1) * 512);
      f64.fill(0, r.dpsiA / 8, r.dpsiA / 8 + (d + 1) * 512);
      f64[r.psiA / 8] = 1;
      for (let l = 0; l < d; l++) {
        const next = r.psiA + (l + 1) * 512 * 8, dnext = r.dpsiA + (l + 1) * 512 * 8;
        f64.copyWithin(next / 8, next / 8 - 512, next / 8);
        f64.copyWithin(dnext / 8, dnext / 8 - 512, dnext / 8);
        k.vec_layer(next, v ? dnext : 0, r.gates64 + l * 512, v ? r.dgates64 + l * 512 : 0, 1);
      }
      const last = (at: number) =>
        Float32Array.from(f64.subarray(at / 8 + d * 512, at / 8 + (d + 1) * 512));
      this.#gpu.write(g.psiA, last(r.psiA));
      this.#gpu.write(g.gates, gatesT);
      if (tg) {
        this.#gpu.write(tg.dpsiA, last(r.dpsiA));
        this.#gpu.write(tg.dgates, dgatesT);
        for (const [U, dU, at, cz] of [[g.UB, tg.dUB, 0, 0], [g.UC, tg.dUC, d * 64, 1]] as const) {
          batch.dispatch("build_unitary_tangent", [g.gates, tg.dgates, U, dU], [d, at, cz], [256]);
        }
      } else {
        batch.dispatch("build_unitary", [g.gates, g.UB], [d, 0, 0], [256]);
        batch.dispatch("build_unitary", [g.gates, g.UC], [d, d * 64, 1], [256]);
      }
      if (mode === "grad" || mode === "hvp") {
        batch.clear(g.MB).clear(g.MC);
        const zero = (at: number, n: number) => f64.fill(0, at / 8, at / 8 + n);
        zero(r.gradPhi, this.#nPhi);
        zero(r.gradX, FEATURES);
        zero(r.lamA, 512);
        if (mode === "hvp") {
          const hg = hb!.qnn[p];
          batch.clear(hg.dMB).clear(hg.dMC).clear(hg.gn.MB).clear(hg.gn.MC);
          const curvature = [r.cGradPhi, r.cGradX, r.cLamA];
          const gaussNewton = [r.gGradPhi, r.gGradX, r.gLamA];
          for (const [phiAt, xAt, lamAt] of [curvature, gaussNewton]) {
            zero(phiAt, this.#nPhi);
            zero(xAt, FEATURES);
            zero(lamAt, 512);
          }
        }
      }
    }
    await batch.run();
  }

  /**
   * Y = op(A) X (+ Y when acc) for a 256 x 256 A (adjoint when adj) and batch buffers X, Y (nb
   * columns).
   */
  #gemm(
    batch: Batch,
    A: GPUBuffer,
    X: GPUBuffer,
    Y: GPUBuffer,
    nb: number,
    adj: boolean,
    acc = false,
  ): void {
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
      (adj ? 1 : 0) | (acc ? 4 : 0),
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

  /**
   * The chunk's per-sample encoding gates (host, float64 then float32) uploaded per QNN; with
   * tangent, their tangents too (from the angle and bias tangents of #setup).
   */
  #prepare(images: Float32Array | Float64Array, start: number, nb: number, tangent = false): void {
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
        tangent ? r.drot : 0,
        tangent ? r.dx : 0,
        tangent ? h.du1 : 0,
        tangent ? h.du2 : 0,
      );
      const up = (buf: GPUBuffer, at: number) =>
        this.#gpu.write(buf, this.#f32.subarray(at / 4, at / 4 + 64 * ld));
      up(this.#q[p].u1, h.u1);
      up(this.#q[p].u2, h.u2);
      if (tangent) {
        const tg = this.#tangent()[p];
        up(tg.du1, h.du1);
        up(tg.du2, h.du2);
      }
    }
  }

  /**
   * dest[(start + b) * 10 + o] = w * sum_p out[p * stride + at + o * ld + b] (p ascending): a
   * chunk's logits (or their tangents) from the QNNs' outputs read back.
   */
  #sumOutputs(
    out: Float32Array,
    stride: number,
    at: number,
    nb: number,
    dest: Float64Array,
    start: number,
  ): void {
    const ld = this.#ld;
    for (let b = 0; b < nb; b++) {
      for (let o = 0; o < OUTPUTS; o++) {
        let s = 0;
        for (let p = 0; p < this.spec.P; p++) s += out[p * stride + at + o * ld + b];
        dest[(start + b) * CLASSES + o] = this.#w * s;
      }
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
    this.#sumOutputs(await batch.run(), OUTPUTS * ld, 0, nb, logits, start);
  }

  /**
   * Forward pass of a chunk with tangents: every state and its tangent kept for the backward
   * pass; reads back per QNN [y (with outputs), dy].
   */
  #forwardTangentChunk(nb: number, outputs: boolean): Promise<Float32Array> {
    const ld = this.#ld, X = this.#bufX, Y = this.#bufY;
    const t = this.#tangent();
    const batch = this.#gpu.batch();
    const dims = [nb, ld], groups = [Math.ceil(nb / 64)];
    this.#q.forEach((g, p) => {
      const tg = t[p];
      batch.dispatch("encode_tangent", [g.psiA, tg.dpsiA, g.u1, tg.du1, g.psi1, tg.dpsi1], [
        nb,
        ld,
        1,
      ], [nb]);
      this.#gemm(batch, g.UB, g.psi1, X, nb, false);
      this.#gemm(batch, tg.dUB, g.psi1, Y, nb, false);
      this.#gemm(batch, g.UB, tg.dpsi1, Y, nb, false, true);
      batch.dispatch("encode_tangent", [X, Y, g.u2, tg.du2, g.psi3, tg.dpsi3], [nb, ld, 0], [nb]);
      this.#gemm(batch, g.UC, g.psi3, g.psi4, nb, false);
      this.#gemm(batch, tg.dUC, g.psi3, tg.dpsi4, nb, false);
      this.#gemm(batch, g.UC, tg.dpsi3, tg.dpsi4, nb, false, true);
      if (outputs) {
        batch.dispatch("measure", [g.psi4, g.y], dims, groups);
        batch.read(g.y, OUTPUTS * ld);
      }
      batch.dispatch("measure_tangent", [g.psi4, tg.dpsi4, tg.dy], dims, groups);
      batch.read(tg.dy, OUTPUTS * ld);
    });
    return batch.run();
  }

  /**
   * Records the reverse sweep of QNN g for the last forward chunk with the outputs' cotangent
   * in `cot` ([10][ld]), into acc's sweep matrices, per-sample traces and adjoint row sums.
   */
  #recordAdjoint(batch: Batch, g: QnnGpu, cot: GPUBuffer, acc: Adjoint, nb: number): void {
    const ld = this.#ld, X = this.#bufX, Y = this.#bufY;
    batch.dispatch("observe_adjoint", [g.psi4, cot, X], [nb, ld], [Math.ceil(nb / 64), 64]);
    this.#gemm(batch, g.UC, X, Y, nb, true);
    this.#gemmNH(batch, g.psi3, Y, acc.MC, nb);
    batch.dispatch("encode_backward", [Y, g.psi3, g.u2, X, acc.R2], [nb, ld], [nb]);
    this.#gemm(batch, g.UB, X, Y, nb, true);
    this.#gemmNH(batch, g.psi1, Y, acc.MB, nb);
    batch.dispatch("encode_backward", [Y, g.psi1, g.u1, X, acc.R1], [nb, ld], [nb]);
    batch.dispatch("row_sums", [X, acc.lamPart], [nb, ld], [8, Math.ceil(nb / BLK)]);
    batch.read(acc.R2, 64 * ld).read(acc.R1, 64 * ld).read(acc.lamPart, Math.ceil(nb / BLK) * 512);
  }

  /**
   * Adds what #recordAdjoint read back (from `at`) to a QNN's host accumulators: the encoding
   * gradients from the traces (encoding 2, then 1) and the summed adjoint of block A's output.
   */
  #absorbAdjoint(
    out: Float32Array,
    at: number,
    r: QnnHost,
    nb: number,
    gradPhi: number,
    gradX: number,
    lamA: number,
  ): void {
    const h = this.#host, ld = this.#ld, d = this.spec.d;
    for (const [e, off] of [[1, 0], [0, 64 * ld]]) {
      this.#f32.set(out.subarray(at + off, at + off + 64 * ld), h.R / 4);
      const enc = layout.encoding(d, (e + 1) as 1 | 2);
      h.k.enc_grads_f32(h.R, e, nb, ld, r.rot, r.trig, gradPhi + enc * 8, gradX);
    }
    this.#addRowSums(out, at + 128 * ld, nb, lamA);
  }

  /** lam[i] += the sum of the partial row sums (row_sums) read back at `at`. */
  #addRowSums(out: Float32Array, at: number, nb: number, lam: number): void {
    const blocks = Math.ceil(nb / BLK);
    for (let i = 0; i < 512; i++) {
      let s = 0;
      for (let b = 0; b < blocks; b++) s += out[at + b * 512 + i];
      this.#f64[lam / 8 + i] += s;
    }
  }

  /** Backward pass of the last forward chunk with the QNN outputs' cotangent cot ([10][ld]). */
  async #backwardChunk(nb: number, cot: Float32Array): Promise<void> {
    this.#gpu.write(this.#cot, cot);
    const batch = this.#gpu.batch();
    const at = this.#q.map((g) => {
      const from = batch.readFloats;
      this.#recordAdjoint(batch, g, this.#cot, g, nb);
      return from;
    });
    const out = await batch.run();
    this.#host.qnn.forEach((r, p) =>
      this.#absorbAdjoint(out, at[p], r, nb, r.gradPhi, r.gradX, r.lamA)
    );
  }

  /**
   * Backward pass of the last forward-tangent chunk of a Hessian-vector product: the tangent of
   * the reverse sweep at the fixed cotangent `cot` (gradient and curvature accumulators; with
   * "full" the cotangent's tangent `cot2` folded in, so that they hold H v), and the plain reverse
   * sweep of cot2 (Gauss-Newton accumulators) for "all" and "gaussNewton".
   */
  async #backwardTangentChunk(
    nb: number,
    cot: Float32Array,
    cot2: Float32Array,
    parts: Parts,
  ): Promise<void> {
    const ld = this.#ld, t = this.#tangent(), hb = this.#hvpBuffers();
    this.#gpu.write(this.#cot, cot);
    this.#gpu.write(hb.cot2, cot2);
    const X = this.#bufX, Y = this.#bufY, Z = hb.bufZ, W = hb.bufW;
    const tangentSweep = parts !== "gaussNewton",
      gnSweep = parts === "all" || parts === "gaussNewton";
    const blocks = Math.ceil(nb / BLK);
    const batch = this.#gpu.batch();
    const obs = (psi: GPUBuffer, c: GPUBuffer, lam: GPUBuffer, acc: number) =>
      batch.dispatch("observe_adjoint", [psi, c, lam], [nb, ld, acc], [Math.ceil(nb / 64), 64]);
    const at = this.#q.map((g, p) => {
      const tg = t[p], hg = hb.qnn[p];
      const from = { tangent: batch.readFloats, gn: 0 };
      if (tangentSweep) {
        // The output adjoint is linear in the state at a fixed cotangent: its tangent is
        // obs(dpsi4; cot), plus obs(psi4; cot2) for the full product (linear in the cotangent).
        obs(g.psi4, this.#cot, X, 0);
        obs(tg.dpsi4, this.#cot, Y, 0);
        if (parts === "full") obs(g.psi4, hb.cot2, Y, 1);
        const steps = [
          [g.UC, tg.dUC, g.MC, hg.dMC, g.psi3, tg.dpsi3, g.u2, tg.du2, g.R2, hg.dR2, X, Y, Z, W],
          [g.UB, tg.dUB, g.MB, hg.dMB, g.psi1, tg.dpsi1, g.u1, tg.du1, g.R1, hg.dR1, Z, W, X, Y],
        ] as const;
        for (const [U, dU, M, dM, psi, dpsi, u, du, R, dR, lo, dlo, li, dli] of steps) {
          // (lam, dlam) before the block: (U^H lo, U^H dlo + dU^H lo).
          this.#gemm(batch, U, lo, li, nb, true);
          this.#gemm(batch, U, dlo, dli, nb, true);
          this.#gemm(batch, dU, lo, dli, nb, true, true);
          this.#gemmNH(batch, psi, li, M, nb);
          this.#gemmNH(batch, dpsi, li, dM, nb);
          this.#gemmNH(batch, psi, dli, dM, nb);
          batch.dispatch("encode_backward_tangent", [li, dli, psi, dpsi, u, du, R, dR], [nb, ld], [
            nb,
          ]);
        }
        batch.dispatch("row_sums", [X, g.lamPart], [nb, ld], [8, blocks]);
        batch.dispatch("row_sums", [Y, hg.dlamPart], [nb, ld], [8, blocks]);
        for (const buf of [g.R2, hg.dR2, g.R1, hg.dR1]) batch.read(buf, 64 * ld);
        batch.read(g.lamPart, blocks * 512).read(hg.dlamPart, blocks * 512);
      }
      from.gn = batch.readFloats;
      if (gnSweep) this.#recordAdjoint(batch, g, hb.cot2, hg.gn, nb);
      return from;
    });
    const out = await batch.run();
    const h = this.#host, d = this.spec.d;
    h.qnn.forEach((r, p) => {
      if (tangentSweep) {
        const base = at[p].tangent;
        for (const [e, off] of [[1, 0], [0, 128 * ld]]) {
          this.#f32.set(out.subarray(base + off, base + off + 64 * ld), h.R / 4);
          this.#f32.set(out.subarray(base + off + 64 * ld, base + off + 128 * ld), h.dR / 4);
          const enc = layout.encoding(d, (e + 1) as 1 | 2) * 8;
          h.k.enc_grads_f32(h.R, e, nb, ld, r.rot, r.trig, r.gradPhi + enc, r.gradX);
          h.k.enc_grads_tangent_f32(
            h.R,
            h.dR,
            e,
            nb,
            ld,
            r.rot,
            r.trig,
            r.drot,
            r.dx,
            r.cGradPhi + enc,
            r.cGradX,
          );
        }
        this.#addRowSums(out, base + 256 * ld, nb, r.lamA);
        this.#addRowSums(out, base + 256 * ld + blocks * 512, nb, r.cLamA);
      }
      if (gnSweep) this.#absorbAdjoint(out, at[p].gn, r, nb, r.gGradPhi, r.gGradX, r.gLamA);
    });
  }

  /** Records the sweeps of B and C on acc's sweep matrices; reads back acc's ptB, ptC. */
  #recordSweeps(batch: Batch, g: QnnGpu, acc: Adjoint): void {
    const d = this.spec.d;
    for (const [W, pt, b] of [[acc.MB, acc.ptB, 0], [acc.MC, acc.ptC, 1]] as const) {
      for (let l = 0; l < d; l++) {
        const goff = (b * d + l) * 64;
        const cz = b === 1 && l === d - 1 ? 0 : 1;
        batch.dispatch("sweep_left", [g.gates, W], [goff], [256]);
        batch.dispatch("sweep_right", [g.gates, W, this.#rowTrace], [goff, cz, l * 8192], [256]);
      }
      batch.dispatch("ptrace_reduce", [this.#rowTrace, pt], [d], [d]);
    }
    batch.read(acc.ptB, d * 64).read(acc.ptC, d * 64);
  }

  /**
   * Adds the block gradients of QNN p to gp (its phi accumulator, f64 address): layers of B and
   * C from partial traces read back at `at` ([B, C][d][64]), and block A's, walked back with the
   * summed adjoint lamA through the float64 states.
   */
  #blockGrads(
    params: Float64Array,
    p: number,
    traces: Float32Array,
    at: number,
    gp: number,
    lamA: number,
  ): void {
    const d = this.spec.d, h = this.#host, f64 = this.#f64, r = h.qnn[p];
    const angles = this.#angles(params, p), grad = f64.subarray(gp / 8, gp / 8 + this.#nPhi);
    for (const [b, block] of [[0, "B"], [1, "C"]] as const) {
      for (let l = 0; l < d; l++) {
        const o = at + b * d * 64 + l * 64;
        addLayerGrads(angles, layout.layer(d, block, l), traces.subarray(o, o + 64), grad);
      }
    }
    const ptrace = f64.subarray(h.ptrace / 8, h.ptrace / 8 + 64);
    f64.copyWithin(h.lam / 8, lamA / 8, lamA / 8 + 512);
    for (let l = d - 1; l >= 0; l--) {
      h.k.vec_layer_backward(r.psiA + (l + 1) * 512 * 8, h.lam, r.gates64 + l * 512, 1, h.ptrace);
      addLayerGrads(angles, layout.layer(d, "A", l), ptrace, grad);
    }
  }

  /** The angles of QNN p in a parameter (or direction) vector. */
  #angles(params: Float64Array, p: number): Float64Array {
    return params.subarray(p * this.#nPhi, (p + 1) * this.#nPhi);
  }

  /**
   * A full parameter vector from per-QNN host accumulators [phi part, feature part]: QNN blocks
   * in order, then each feature's entry added to its bias pixel (p, then f ascending).
   */
  #collect(at: (r: QnnHost) => [number, number]): Float64Array {
    const out = new Float64Array(modelParamCount(this.spec));
    const off = biasOffset(this.spec), f64 = this.#f64;
    this.#host.qnn.forEach((r, p) => {
      const [phi, x] = at(r);
      out.set(f64.subarray(phi / 8, phi / 8 + this.#nPhi), p * this.#nPhi);
      for (let f = 0; f < FEATURES; f++) {
        out[off + this.#pixel[p * FEATURES + f]] += f64[x / 8 + f];
      }
    });
    return out;
  }

  /** The block gradients: sweeps on the GPU, partial traces to gradients on the host. */
  async #finish(params: Float64Array): Promise<Float64Array> {
    const batch = this.#gpu.batch();
    const at = this.#q.map((g) => {
      const from = batch.readFloats;
      this.#recordSweeps(batch, g, g);
      return from;
    });
    const traces = await batch.run();
    this.#host.qnn.forEach((r, p) => this.#blockGrads(params, p, traces, at[p], r.gradPhi, r.lamA));
    return this.#collect((r) => [r.gradPhi, r.gradX]);
  }

  /**
   * Ends a Hessian-vector product: the sweeps of B and C with their tangents (gradient and
   * curvature product), block A walked back with its tangent, and for "all" and "gaussNewton"
   * the Gauss-Newton product's plain sweeps.
   */
  async #finishTangent(params: Float64Array, v: Float64Array, parts: Parts): Promise<void> {
    const d = this.spec.d, t = this.#tangent(), hb = this.#hvpBuffers();
    const tangentSweep = parts !== "gaussNewton",
      gnSweep = parts === "all" || parts === "gaussNewton";
    const batch = this.#gpu.batch();
    const at = this.#q.map((g, p) => {
      const tg = t[p], hg = hb.qnn[p];
      const from = { tangent: batch.readFloats, gn: 0 };
      if (tangentSweep) {
        const B = [g.MB, hg.dMB, g.ptB, hg.dptB, 0] as const;
        const C = [g.MC, hg.dMC, g.ptC, hg.dptC, 1] as const;
        const sweeps = [B, C];
        for (const [W, dW, pt, dpt, b] of sweeps) {
          for (let l = 0; l < d; l++) {
            const goff = (b * d + l) * 64;
            const cz = b === 1 && l === d - 1 ? 0 : 1;
            batch.dispatch("sweep_left_tangent", [g.gates, tg.dgates, W, dW], [goff], [256]);
            batch.dispatch(
              "sweep_right_tangent",
              [g.gates, tg.dgates, W, dW, this.#rowTrace, hb.dRowTrace],
              [goff, cz, l * 8192],
              [256],
            );
          }
          batch.dispatch("ptrace_reduce", [this.#rowTrace, pt], [d], [d]);
          batch.dispatch("ptrace_reduce", [hb.dRowTrace, dpt], [d], [d]);
        }
        for (const buf of [g.ptB, g.ptC, hg.dptB, hg.dptC]) batch.read(buf, d * 64);
      }
      from.gn = batch.readFloats;
      if (gnSweep) this.#recordSweeps(batch, g, hg.gn);
      return from;
    });
    const traces = await batch.run();
    const h = this.#host, f64 = this.#f64;
    h.qnn.forEach((r, p) => {
      if (gnSweep) this.#blockGrads(params, p, traces, at[p].gn, r.gGradPhi, r.gLamA);
      if (!tangentSweep) return;
      const phi = this.#angles(params, p), dphi = this.#angles(v, p);
      const grad = f64.subarray(r.gradPhi / 8, r.gradPhi / 8 + this.#nPhi);
      const cgrad = f64.subarray(r.cGradPhi / 8, r.cGradPhi / 8 + this.#nPhi);
      const addLayer = (base: number, R: Float32Array | Float64Array, dR: typeof R) =>
        addLayerGrads(phi, base, R, grad, { dphi, dR, cgrad });
      const base = at[p].tangent, dBase = base + 2 * d * 64;
      for (const [b, block] of [[0, "B"], [1, "C"]] as const) {
        for (let l = 0; l < d; l++) {
          const o = b * d * 64 + l * 64;
          addLayer(
            layout.layer(d, block, l),
            traces.subarray(base + o, base + o + 64),
            traces.subarray(dBase + o, dBase + o + 64),
          );
        }
      }
      // Block A: the summed adjoint and its tangent, walked back with the states' tangents.
      f64.copyWithin(h.lam / 8, r.lamA / 8, r.lamA / 8 + 512);
      f64.copyWithin(h.dlam / 8, r.cLamA / 8, r.cLamA / 8 + 512);
      for (let l = d - 1; l >= 0; l--) {
        h.k.vec_layer_backward_tangent(
          r.psiA + (l + 1) * 512 * 8,
          r.dpsiA + (l + 1) * 512 * 8,
          h.lam,
          h.dlam,
          r.gates64 + l * 512,
          r.dgates64 + l * 512,
          1,
          h.ptrace,
          h.dptrace,
        );
        addLayer(
          layout.layer(d, "A", l),
          f64.subarray(h.ptrace / 8, h.ptrace / 8 + 64),
          f64.subarray(h.dptrace / 8, h.dptrace / 8 + 64),
        );
      }
    });
  }

  forward(params: Float64Array, images: Float32Array | Float64Array): Promise<Float64Array> {
    return this.#serial(async () => {
      const n = imageCount(images);
      await this.#setup(params, "forward");
      const logits = new Float64Array(n * CLASSES);
      for (let start = 0; start < n; start += CHUNK) {
        const nb = Math.min(CHUNK, n - start);
        this.#prepare(images, start, nb);
        await this.#forwardChunk(nb, logits, start);
      }
      return logits;
    });
  }

  /** The QNN outputs' cotangent of a chunk: d logits / d y_p = w for every p; layout [o][b]. */
  #outputCotangent(chunkCot: Float64Array, nb: number): Float32Array {
    const ld = this.#ld;
    const c = new Float32Array(OUTPUTS * ld);
    for (let o = 0; o < OUTPUTS; o++) {
      for (let b = 0; b < nb; b++) c[o * ld + b] = this.#w * chunkCot[b * CLASSES + o];
    }
    return c;
  }

  /** Reverse mode over all chunks; `cot` fills a chunk's logit cotangent (nb x 10). */
  async #backprop(
    params: Float64Array,
    images: Float32Array | Float64Array,
    cot: (logits: Float64Array, start: number, nb: number, out: Float64Array) => void,
  ): Promise<{ grad: Float64Array; logits: Float64Array }> {
    const n = imageCount(images);
    await this.#setup(params, "grad");
    const logits = new Float64Array(n * CLASSES);
    const chunkCot = new Float64Array(CHUNK * CLASSES);
    for (let start = 0; start < n; start += CHUNK) {
      const nb = Math.min(CHUNK, n - start);
      this.#prepare(images, start, nb);
      await this.#forwardChunk(nb, logits, start);
      cot(logits, start, nb, chunkCot);
      await this.#backwardChunk(nb, this.#outputCotangent(chunkCot, nb));
    }
    return { grad: await this.#finish(params), logits };
  }

  lossGrad(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
  ): Promise<{ loss: number; grad: Float64Array; logits: Float64Array }> {
    return this.#serial(async () => {
      const ce = crossEntropyOverChunks(labels, imageCount(images));
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
      const cot = givenCotangent(cotangent, imageCount(images));
      return (await this.#backprop(params, images, cot)).grad;
    });
  }

  jvp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    v: Float64Array,
  ): Promise<Float64Array> {
    return this.#serial(async () => {
      const n = imageCount(images);
      await this.#setup(params, "jvp", v);
      const out = new Float64Array(n * CLASSES);
      for (let start = 0; start < n; start += CHUNK) {
        const nb = Math.min(CHUNK, n - start);
        this.#prepare(images, start, nb, true);
        this.#sumOutputs(
          await this.#forwardTangentChunk(nb, false),
          OUTPUTS * this.#ld,
          0,
          nb,
          out,
          start,
        );
      }
      return out;
    });
  }

  /** The products of `parts`; with "full", hvp holds H v and the parts are not computed. */
  async #hvp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
    v: Float64Array,
    parts: Parts,
  ): Promise<HvpResult> {
    if (!this.#hvpAllowed) {
      throw new Error("simulator: hvp needs createSimulator(..., { hvp: true })");
    }
    const n = labeledCount(images, labels);
    await this.#setup(params, "hvp", v);
    const ld = this.#ld, rows = Math.min(n, CHUNK) * CLASSES;
    const logits = new Float64Array(rows), jv = new Float64Array(rows);
    const u = new Float64Array(rows), du = new Float64Array(rows);
    let total = 0;
    for (let start = 0; start < n; start += CHUNK) {
      const nb = Math.min(CHUNK, n - start);
      this.#prepare(images, start, nb, true);
      const out = await this.#forwardTangentChunk(nb, true);
      this.#sumOutputs(out, 2 * OUTPUTS * ld, 0, nb, logits, 0);
      this.#sumOutputs(out, 2 * OUTPUTS * ld, OUTPUTS * ld, nb, jv, 0);
      const part = logits.subarray(0, nb * CLASSES);
      const lab = labels.subarray(start, start + nb);
      total += crossEntropySum(part, lab);
      crossEntropyCotangent(part, lab, n, u);
      // The cotangent's tangent along v: the softmax Hessian times J v, over the count.
      crossEntropyHessianProduct(part, jv.subarray(0, nb * CLASSES), n, du);
      await this.#backwardTangentChunk(
        nb,
        this.#outputCotangent(u, nb),
        this.#outputCotangent(du, nb),
        parts,
      );
    }
    await this.#finishTangent(params, v, parts);
    const none = new Float64Array(0);
    const loss = total / n;
    if (parts === "gaussNewton") {
      const gaussNewton = this.#collect((r) => [r.gGradPhi, r.gGradX]);
      return { loss, grad: none, hvp: none, gaussNewton, curvature: none };
    }
    const grad = this.#collect((r) => [r.gradPhi, r.gradX]);
    const curvature = this.#collect((r) => [r.cGradPhi, r.cGradX]);
    if (parts !== "all") {
      // "full": the curvature accumulators hold H v; "curvature": G v was not computed.
      return { loss, grad, hvp: parts === "full" ? curvature : none, gaussNewton: none, curvature };
    }
    const gaussNewton = this.#collect((r) => [r.gGradPhi, r.gGradX]);
    const hvp = gaussNewton.map((x, i) => x + curvature[i]);
    return { loss, grad, hvp, gaussNewton, curvature };
  }

  hvp(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
    v: Float64Array,
  ): Promise<HvpResult> {
    return this.#serial(() => this.#hvp(params, images, labels, v, "all"));
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
    return this.#serial(async () => pick(await this.#hvp(params, images, labels, v, kind), kind));
  }

  /** Products at one point; each recomputes the point's states (nothing is kept on the GPU). */
  hessianAt(
    params: Float64Array,
    images: Float32Array | Float64Array,
    labels: Uint8Array,
  ): HessianPoint {
    if (!this.#hvpAllowed) {
      throw new Error("simulator: hessianAt needs createSimulator(..., { hvp: true })");
    }
    const n = labeledCount(images, labels);
    this.#checkParams(params, "params");
    const point = [params.slice(), images.slice(), labels.slice(0, n)] as const;
    return {
      product: (v, kind) => {
        checkProductKind(kind);
        return this.#serial(async () => pick(await this.#hvp(...point, v, kind), kind));
      },
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#gpu.destroy();
  }
}

/** The product `kind` of a Hessian-vector call. */
function pick(r: HvpResult, kind: HessianProductKind): Float64Array {
  return kind === "full" ? r.hvp : kind === "curvature" ? r.curvature : r.gaussNewton;
}
