/**
 * The per-QNN computation of the fast simulator: each worker slot runs its share of every
 * phase's work items (item i belongs to slot i mod slots; see #mine).
 * Everything heavy is a kernel call on the shared memory (see plan.ts for the layout); this
 * class only sequences them. Items of one phase write disjoint memory (a column part's
 * accumulators, a block's matrices); sums over parts run in part order; so results do not depend
 * on the number of workers. A phase that reads another slot's results is a new message.
 *
 * Per call: `setup` (gates, block A's state; items: QNNs), `build` (U_B, U_C; items: QNN x
 * block), then per chunk `forward` (and `backward`) or `jvp` (items: QNN x column part), then
 * `finish` (sums over parts, the sweeps of B and C, block A; items: QNN x block). Hessian-vector
 * products run whole QNNs (p mod slots) in every phase. Direct calls (setup's `direct`) skip
 * `build` and the sweeps: each chunk item applies the layers of B and C to its columns' states
 * and walks the adjoints back the same way (`layer_back`), adding the block gradients itself.
 *
 * @module
 */

import { addLayerGrads, layerGate, layerGateTangent } from "./gates.ts";
import type { KernelExports } from "./kernels.ts";
import { chunkParts, LDM, type MemoryPlan, type QnnRegion, VECTOR_MAX } from "./plan.ts";
import { biasOffset, DIM, FEATURES, layout, OUTPUTS, PIXELS, qnnParamCount } from "./spec.ts";

/** What a call needs from setup. */
export type SetupMode = "forward" | "grad" | "jvp" | "hvp";

/**
 * Which Hessian-vector products a call accumulates: all three (H v, G v, C v), only H v (the
 * cotangent's tangent folded into the tangent sweep: no Gauss-Newton sweep), only C v, or only
 * G v (the Gauss-Newton sweep alone: no tangent sweep, and no gradient).
 */
export type HvpParts = "all" | "full" | "curvature" | "gaussNewton";

/**
 * Hessian-vector products at one point (Simulator.hessianAt): `keep` stores the point's states
 * in the cache slots and its sweep matrices; `forward` and `adjoint` say they are already there
 * from an earlier product at the same point, so the GEMMs that do not depend on v are skipped.
 */
export interface HvpReuse {
  keep: boolean;
  forward: boolean;
  adjoint: boolean;
}

/** Setup's `direct`: which halves of a call apply the blocks' layers to the states. */
export interface DirectBlocks {
  forward: boolean;
  backward: boolean;
  columnParts: number;
  forced: boolean;
}

/** One phase handed to a worker (or run on the calling thread). */
export type ComputeOp =
  | {
    type: "run";
    op: "setup";
    arg: SetupMode;
    parts?: HvpParts;
    reuse?: HvpReuse;
    /**
     * Forward and grad calls: blocks B and C as their layers applied to the batch of states in
     * the forward half (`forward`) and/or walked back so in the backward half (`backward`: no
     * sweeps), over `columnParts` column parts per chunk; with both (or a forward call with
     * `forward`) no unitaries and no build phase. `forced`: small f64 chunks too (otherwise they
     * take the per-sample vectors, as in every call, so a sample's outputs do not depend on its
     * call).
     */
    direct?: DirectBlocks;
  }
  | {
    type: "run";
    op: "build" | "forward" | "backward" | "jvp" | "hvpForward" | "hvpBackward";
    arg: number;
    /** The chunk's index in its call (hvpForward, hvpBackward: the cache slot). */
    chunk?: number;
  }
  | { type: "run"; op: "finish" | "hvpFinish"; arg?: undefined };

const BLOCKS = ["A", "B", "C"] as const;

/** Runs the kernels for the QNNs of one worker slot. */
export class QnnWorkerCompute {
  readonly #plan: MemoryPlan;
  readonly #k: KernelExports;
  /** QNNs whose whole calls this slot runs (Hessian-vector products): p mod slots. */
  readonly #owned: number[];
  readonly #slot: number;
  readonly #slots: number;
  readonly #f64: Float64Array;
  readonly #fT: Float32Array | Float64Array;
  readonly #scratch;
  readonly #sfx: string;
  readonly #nPhi: number;
  readonly #square: number;
  readonly #batch: number;
  /** Batch GEMMs run so far: [gemm, gemm_nh] (plan.counts; Simulator.gemmCounts). */
  readonly #counts: Int32Array;
  #mode: SetupMode = "forward";
  #parts: HvpParts = "all";
  #reuse: HvpReuse = { keep: false, forward: false, adjoint: false };
  /** The cache slot of the current chunk (hvpForward sets it, hvpBackward reads it). */
  #chunk = 0;
  /** Whether this call has built the unitaries (small calls in f64 do without them). */
  #built = false;
  /** Whether this call's forward / backward half applies the layers of B and C to the states. */
  #directForward = false;
  #directBackward = false;
  /** Whether the call needs no unitaries at all (see setup's `direct`). */
  #direct = false;
  #forcedDirect = false;
  /** Column parts this call uses (its largest chunk's): only those are zeroed and summed. */
  #used = 1;

  constructor(
    plan: MemoryPlan,
    memory: WebAssembly.Memory,
    kernels: KernelExports,
    slot: number,
    slots: number,
  ) {
    this.#plan = plan;
    this.#k = kernels;
    this.#slot = slot;
    this.#slots = slots;
    this.#owned = [...Array(plan.P).keys()].filter((p) => p % slots === slot);
    this.#f64 = new Float64Array(memory.buffer);
    this.#fT = plan.S === 4 ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
    this.#scratch = plan.scratch[slot];
    this.#sfx = plan.S === 4 ? "_f32" : "_f64";
    this.#nPhi = qnnParamCount(plan.d);
    this.#square = DIM * LDM * plan.S;
    this.#batch = DIM * plan.ld * plan.S;
    this.#counts = new Int32Array(memory.buffer, plan.counts, 2);
    this.#kern("cz_signs")(this.#scratch.sgn);
  }

  /** gemm_nh (M += P Q^H over a chunk), counted like #gemm. */
  readonly #nh = (...args: number[]): void => {
    Atomics.add(this.#counts, 1, 1);
    this.#kern("gemm_nh")(...args);
  };

  /** The precision-specific kernel `name_f32` or `name_f64`. */
  #kern(name: string): (...args: number[]) => void {
    return this.#k[name + this.#sfx];
  }

  /** Runs one phase. */
  run(op: ComputeOp): void {
    switch (op.op) {
      case "setup":
        return this.setup(op.arg, op.parts, op.reuse, op.direct);
      case "build":
        return this.build(op.arg);
      case "forward":
        return this.forward(op.arg);
      case "backward":
        return this.backward(op.arg);
      case "jvp":
        return this.jvp(op.arg);
      case "hvpForward":
        return this.hvpForward(op.arg, op.chunk);
      case "hvpBackward":
        return this.hvpBackward(op.arg, op.chunk);
      case "finish":
        return this.finish();
      case "hvpFinish":
        return this.hvpFinish();
    }
  }

  /**
   * Work item i of a phase is this slot's when i mod slots = slot: the items and their order
   * depend only on the model and the chunk, so any number of workers computes the same bits.
   */
  #mine(i: number): boolean {
    return i % this.#slots === this.#slot;
  }

  /**
   * Prepares a call: gates, block A, zeroed accumulators (item: a QNN); for Hessian-vector
   * products, whole QNNs (p mod slots) including U_B and U_C. Other calls build those with
   * `build`, a phase of its own since it reads gates other slots may have written.
   */
  setup(
    mode: SetupMode,
    parts: HvpParts = "all",
    reuse?: HvpReuse,
    direct?: DirectBlocks,
  ): void {
    if (direct && mode !== "forward" && mode !== "grad") {
      throw new Error(`qnn engine: direct blocks are for forward and grad calls, not ${mode}`);
    }
    this.#mode = mode;
    this.#parts = parts;
    this.#reuse = reuse ?? { keep: false, forward: false, adjoint: false };
    this.#built = mode === "hvp";
    this.#directForward = direct?.forward ?? false;
    this.#directBackward = (direct?.backward ?? false) && mode === "grad";
    this.#direct = this.#directForward && (mode === "forward" || this.#directBackward);
    this.#forcedDirect = direct?.forced ?? false;
    this.#used = direct?.columnParts ?? 1;
    for (let p = 0; p < this.#plan.P; p++) {
      if (mode === "hvp" ? !this.#owned.includes(p) : !this.#mine(p)) continue;
      this.#setupQnn(p, mode);
      if (mode === "hvp") {
        this.#unitary(p, 0, mode);
        this.#unitary(p, 1, mode);
        this.#zeroHvp(p);
      }
    }
  }

  /**
   * U_B and U_C of every QNN (items: QNN x block), for calls that use them; `parts`: the column
   * parts of the call's largest chunk.
   */
  build(parts: number): void {
    this.#built = true;
    this.#used = parts;
    const P = this.#plan.P;
    for (let i = 0; i < 2 * P; i++) {
      if (this.#mine(i)) this.#unitary(i % P, i < P ? 0 : 1, this.#mode);
    }
  }

  /** Whether a chunk of nb samples takes blocks B and C as per-sample vectors (see VECTOR_MAX). */
  #vector(nb: number): boolean {
    const vector = this.#plan.S === 8 && nb <= VECTOR_MAX && this.#mode !== "hvp" &&
      !this.#forcedDirect;
    if (!vector && !this.#built && !this.#direct) {
      throw new Error("qnn engine: a large chunk needs build first");
    }
    return vector;
  }

  /** The work items of a chunk phase: (QNN p, column part [c0, count]), parts outermost. */
  #chunkItems(nb: number): [number, number, number, number][] {
    const out: [number, number, number, number][] = [];
    const P = this.#plan.P;
    chunkParts(nb).forEach(([c0, count], j) => {
      for (let p = 0; p < P; p++) if (this.#mine(j * P + p)) out.push([p, j, c0, count]);
    });
    return out;
  }

  #setupQnn(p: number, mode: SetupMode): void {
    const { d, S } = this.#plan;
    const r = this.#plan.qnn[p];
    const f64 = this.#f64, fT = this.#fT;
    const phi = f64.subarray(
      this.#plan.params / 8 + p * this.#nPhi,
      this.#plan.params / 8 + (p + 1) * this.#nPhi,
    );
    const hvp = mode === "hvp";
    const h = this.#plan.qnn[p].hvp;
    if (hvp && !h) throw new Error("qnn engine: hvp needs a simulator made with hvp: true");
    const jvp = mode === "jvp" || hvp;
    const dphi = f64.subarray(
      this.#plan.tangent / 8 + p * this.#nPhi,
      this.#plan.tangent / 8 + (p + 1) * this.#nPhi,
    );
    // Layer gates (fused RY(beta) RX(alpha) per wire), in f64 and in the working precision.
    for (let b = 0; b < 3; b++) {
      for (let k = 0; k < d; k++) {
        const base = layout.layer(d, BLOCKS[b], k);
        for (let q = 0; q < 8; q++) {
          const g = layerGate(phi[base + q], phi[base + 8 + q]);
          const at = ((b * d + k) * 8 + q) * 8;
          f64.set(g, r.gates64 / 8 + at);
          if (b > 0) fT.set(g, r.gatesT / S + at - d * 64);
          if (jvp) {
            const dg = layerGateTangent(
              phi[base + q],
              phi[base + 8 + q],
              dphi[base + q],
              dphi[base + 8 + q],
            );
            f64.set(dg, r.dgates64 / 8 + at);
            if (b > 0) fT.set(dg, r.dgatesT / S + at - d * 64);
          }
        }
      }
    }
    // Encoding rotation table (and angle tangents; feature tangents from the bias direction).
    for (let e = 0; e < 2; e++) {
      const enc = layout.encoding(d, (e + 1) as 1 | 2);
      for (let i = 0; i < 64; i++) {
        const t = phi[enc + i];
        f64[r.rot / 8 + (e * 64 + i) * 2] = Math.cos(t / 2);
        f64[r.rot / 8 + (e * 64 + i) * 2 + 1] = Math.sin(t / 2);
        if (jvp) f64[r.drot / 8 + e * 64 + i] = dphi[enc + i];
      }
    }
    if (jvp) {
      const pix = new Int32Array(f64.buffer, this.#plan.pix + p * FEATURES * 4, FEATURES);
      const dbias = this.#plan.tangent / 8 + biasOffset(this.#plan);
      for (let f = 0; f < FEATURES; f++) f64[r.dx / 8 + f] = f64[dbias + pix[f]];
    }
    // Block A on |0>, keeping the state after every layer for the backward pass.
    f64.fill(0, r.psiA / 8, r.psiA / 8 + (d + 1) * 512);
    f64[r.psiA / 8] = 1;
    f64.fill(0, r.dpsiA / 8, r.dpsiA / 8 + 512);
    for (let k = 0; k < d; k++) {
      const next = r.psiA + (k + 1) * 512 * 8;
      f64.copyWithin(next / 8, next / 8 - 512, next / 8);
      this.#k.vec_layer(
        next,
        jvp ? r.dpsiA : 0,
        r.gates64 + k * 512,
        jvp ? r.dgates64 + k * 512 : 0,
        1,
      );
      if (h) f64.copyWithin(h.dpsiA / 8 + (k + 1) * 512, r.dpsiA / 8, r.dpsiA / 8 + 512);
    }
    if (hvp) f64.fill(0, h!.dpsiA / 8, h!.dpsiA / 8 + 512);
    const last = r.psiA / 8 + d * 512;
    for (let i = 0; i < 512; i++) {
      fT[r.psiAT / S + i] = f64[last + i];
      fT[r.dpsiAT / S + i] = f64[r.dpsiA / 8 + i];
    }
    if (mode === "grad" || hvp) {
      for (const part of r.parts) {
        f64.fill(0, part.lamA / 8, part.lamA / 8 + 512);
        f64.fill(0, part.gradPhi / 8, part.gradPhi / 8 + this.#nPhi);
        f64.fill(0, part.gradX / 8, part.gradX / 8 + FEATURES);
      }
    }
  }

  /**
   * U_B (b = 0) or U_C (b = 1) of QNN p, with tangent and adjoints as the mode needs, and the
   * block's sweep matrices zeroed.
   */
  #unitary(p: number, b: 0 | 1, mode: SetupMode): void {
    const { d, S } = this.#plan;
    const r = this.#plan.qnn[p];
    const fT = this.#fT;
    const hvp = mode === "hvp";
    const h = r.hvp;
    const jvp = mode === "jvp" || hvp;
    // The unitary (and its tangent, stored where jvp does not need M).
    const U = b === 0 ? r.UB : r.UC, Uh = b === 0 ? r.UBh : r.UCh;
    const dU = hvp ? (b === 0 ? h!.dUB : h!.dUC) : (b === 0 ? r.MB : r.MC);
    {
      this.#identity(U);
      if (jvp) fT.fill(0, dU / S, dU / S + 2 * DIM * LDM);
      for (let k = 0; k < d; k++) {
        const cz = b === 1 && k === d - 1 ? 0 : 1;
        const g = r.gatesT + (b * d + k) * 64 * S;
        if (jvp) {
          const dg = r.dgatesT + (b * d + k) * 64 * S;
          this.#kern("layer_left_tangent")(
            U,
            U + this.#square,
            dU,
            dU + this.#square,
            LDM,
            DIM,
            g,
            dg,
            this.#scratch.sgn,
            cz,
          );
        } else {
          this.#kern("layer_left")(U, U + this.#square, LDM, DIM, g, this.#scratch.sgn, cz);
        }
      }
      if (mode === "grad" || hvp) {
        this.#kern("conj_transpose")(Uh, Uh + this.#square, LDM, U, U + this.#square, LDM);
      }
      if (hvp) {
        const dUh = b === 0 ? h!.dUBh : h!.dUCh;
        this.#kern("conj_transpose")(dUh, dUh + this.#square, LDM, dU, dU + this.#square, LDM);
      }
    }
    if (mode === "grad" || hvp) {
      for (const part of r.parts.slice(0, hvp ? 1 : this.#used)) {
        const M = b === 0 ? part.MB : part.MC;
        fT.fill(0, M / S, M / S + 2 * DIM * LDM);
      }
    }
  }

  /** Zeroes the accumulators of a Hessian-vector product of QNN p. */
  #zeroHvp(p: number): void {
    const h = this.#plan.qnn[p].hvp!, S = this.#plan.S;
    const f64 = this.#f64, fT = this.#fT;
    for (const M of [h.dMB, h.dMC, h.gMB, h.gMC]) fT.fill(0, M / S, M / S + 2 * DIM * LDM);
    for (const a of [h.cLamA, h.gLamA]) f64.fill(0, a / 8, a / 8 + 512);
    for (const a of [h.cGradPhi, h.gGradPhi]) f64.fill(0, a / 8, a / 8 + this.#nPhi);
    for (const a of [h.cGradX, h.gGradX]) f64.fill(0, a / 8, a / 8 + FEATURES);
  }

  /**
   * Block b (1 = B, 2 = C) of QNN p on columns of batch buffers, one f64 sample vector at a
   * time (T is f64 here): dst = U src and, with dsrc, ddst = dU src + U dsrc. Columns nb..ncols-1
   * are zeroed so that padding stays finite.
   */
  #vecBlock(
    p: number,
    b: 1 | 2,
    src: number,
    dst: number,
    nb: number,
    ncols: number,
    dsrc = 0,
    ddst = 0,
  ): void {
    const d = this.#plan.d;
    const r = this.#plan.qnn[p], s = this.#scratch;
    const v = s.vec, dv = dsrc ? s.dvec : 0;
    for (let c = 0; c < ncols; c++) {
      if (c >= nb) {
        this.#storeColumn(0, dst, c);
        if (ddst) this.#storeColumn(0, ddst, c);
        continue;
      }
      this.#loadColumn(src, c, v);
      if (dsrc) this.#loadColumn(dsrc, c, dv);
      for (let k = 0; k < d; k++) {
        const cz = b === 2 && k === d - 1 ? 0 : 1;
        const g = r.gates64 + (b * d + k) * 512;
        this.#k.vec_layer(v, dv, g, dv ? r.dgates64 + (b * d + k) * 512 : 0, cz);
      }
      this.#storeColumn(v, dst, c);
      if (ddst) this.#storeColumn(dv, ddst, c);
    }
  }

  /** Copies column c of the f64 batch buffer X into the vector v ([re 256, im 256]). */
  #loadColumn(X: number, c: number, v: number): void {
    const f = this.#f64, ld = this.#plan.ld;
    const re = X / 8 + c, im = (X + this.#batch) / 8 + c, o = v / 8;
    for (let i = 0; i < DIM; i++) {
      f[o + i] = f[re + i * ld];
      f[o + DIM + i] = f[im + i * ld];
    }
  }

  /** Writes the vector v into column c of the f64 batch buffer X (v = 0: zeros). */
  #storeColumn(v: number, X: number, c: number): void {
    const f = this.#f64, ld = this.#plan.ld;
    const re = X / 8 + c, im = (X + this.#batch) / 8 + c, o = v / 8;
    for (let i = 0; i < DIM; i++) {
      f[re + i * ld] = v ? f[o + i] : 0;
      f[im + i * ld] = v ? f[o + DIM + i] : 0;
    }
  }

  /**
   * Reverse sweep of block b (1 = B, 2 = C) of QNN p, one sample at a time: recomputes the
   * sample's states after each layer from psiIn (the block's input), walks the adjoint lamOut
   * back into lamIn and adds each layer's gradient (from its partial traces) to gradPhi.
   */
  #vecBlockBackward(
    p: number,
    b: 1 | 2,
    psiIn: number,
    lamOut: number,
    lamIn: number,
    nb: number,
    ncols: number,
    gradPhi: number,
  ): void {
    const d = this.#plan.d;
    const r = this.#plan.qnn[p], s = this.#scratch, f = this.#f64;
    for (let c = 0; c < ncols; c++) {
      if (c >= nb) {
        this.#storeColumn(0, lamIn, c);
        continue;
      }
      this.#loadColumn(psiIn, c, s.vec);
      for (let k = 0; k < d; k++) {
        const at = s.vec + (k + 1) * 512 * 8;
        f.copyWithin(at / 8, at / 8 - 512, at / 8);
        this.#k.vec_layer(at, 0, r.gates64 + (b * d + k) * 512, 0, b === 2 && k === d - 1 ? 0 : 1);
      }
      this.#loadColumn(lamOut, c, s.lam);
      for (let k = d - 1; k >= 0; k--) {
        const cz = b === 2 && k === d - 1 ? 0 : 1;
        this.#k.vec_layer_backward(
          s.vec + (k + 1) * 512 * 8,
          s.lam,
          r.gates64 + (b * d + k) * 512,
          cz,
          s.ptrace,
        );
        this.#addLayerGrad(p, gradPhi, layout.layer(d, BLOCKS[b], k));
      }
      this.#storeColumn(s.lam, lamIn, c);
    }
  }

  /** Adds the gradient of a layer's 16 angles (from the partial traces in scratch) to gradPhi. */
  #addLayerGrad(p: number, gradPhi: number, base: number): void {
    const f64 = this.#f64, pt = this.#scratch.ptrace / 8;
    const phi = this.#plan.params / 8 + p * this.#nPhi;
    addLayerGrads(
      f64.subarray(phi, phi + this.#nPhi),
      base,
      f64.subarray(pt, pt + 64),
      f64.subarray(gradPhi / 8, gradPhi / 8 + this.#nPhi),
    );
  }

  /**
   * Block b (1 = B, 2 = C) of QNN p applied to a column part's states: dst = the layers of the
   * block on src (src is kept), layer by layer on the whole part (direct blocks).
   */
  #directBlock(p: number, b: 1 | 2, src: number, dst: number, ncols: number): void {
    const { d, S } = this.#plan;
    const r = this.#plan.qnn[p], sgn = this.#scratch.sgn, B = this.#batch;
    this.#copyColumns(src, dst, ncols);
    const left = this.#kern("layer_left");
    for (let k = 0; k < d; k++) {
      const cz = b === 2 && k === d - 1 ? 0 : 1;
      left(dst, dst + B, this.#plan.ld, ncols, r.gatesT + ((b - 1) * d + k) * 64 * S, sgn, cz);
    }
  }

  /**
   * Reverse sweep of block b (1 = B, 2 = C) of QNN p over a column part (direct blocks): psi,
   * the block's output states, and lam, their adjoints, are walked back layer by layer in place
   * (to the block's input), adding each layer's gradient, from its partial traces summed over
   * the part, to gradPhi.
   */
  #directBlockBackward(
    p: number,
    b: 1 | 2,
    psi: number,
    lam: number,
    ncols: number,
    gradPhi: number,
  ): void {
    const { d, S, ld } = this.#plan;
    const r = this.#plan.qnn[p], s = this.#scratch, B = this.#batch;
    const back = this.#kern("layer_back");
    for (let k = d - 1; k >= 0; k--) {
      const cz = b === 2 && k === d - 1 ? 0 : 1;
      const g = r.gatesT + ((b - 1) * d + k) * 64 * S;
      back(psi, psi + B, lam, lam + B, ld, ncols, g, s.sgn, cz, s.ptrace);
      this.#addLayerGrad(p, gradPhi, layout.layer(d, BLOCKS[b], k));
    }
  }

  /** dst = src on the first ncols columns of two batch buffers (both planes). */
  #copyColumns(src: number, dst: number, ncols: number): void {
    const fT = this.#fT, { S, ld } = this.#plan, B = this.#batch / S;
    for (const o of [0, B]) {
      for (let i = 0; i < DIM; i++) {
        const from = src / S + o + i * ld;
        fT.copyWithin(dst / S + o + i * ld, from, from + ncols);
      }
    }
  }

  #identity(U: number): void {
    const fT = this.#fT, S = this.#plan.S;
    fT.fill(0, U / S, U / S + 2 * DIM * LDM);
    for (let i = 0; i < DIM; i++) fT[U / S + i * LDM + i] = 1;
  }

  /** Y = A X for batch buffers (A a 256 x 256 matrix, X and Y 256 x ld), accumulate if acc. */
  #gemm(Y: number, A: number, X: number, ncols: number, acc = 0): void {
    const { ld } = this.#plan;
    Atomics.add(this.#counts, 0, 1);
    this.#kern("gemm")(
      Y,
      Y + this.#batch,
      ld,
      A,
      A + this.#square,
      LDM,
      X,
      X + this.#batch,
      ld,
      DIM,
      DIM,
      ncols,
      acc,
    );
  }

  #prepare(p: number, r: QnnRegion, nb: number, tangent: boolean, c0 = 0): void {
    const plan = this.#plan;
    this.#kern("enc_prepare")(
      plan.images + c0 * PIXELS * 8,
      plan.params + biasOffset(plan) * 8,
      plan.pix + p * FEATURES * 4,
      nb,
      plan.ld,
      r.rot,
      r.trig,
      r.u1,
      r.u2,
      tangent ? r.drot : 0,
      tangent ? r.dx : 0,
      tangent ? r.du1 : 0,
      tangent ? r.du2 : 0,
    );
  }

  /** Outputs of every owned QNN for the chunk's nb images, into each region's y. */
  forward(nb: number): void {
    const { ld, S } = this.#plan;
    const s = this.#scratch, B = this.#batch;
    const encode = this.#kern("encode");
    const vector = this.#vector(nb);
    for (const [p, , c0, count] of this.#chunkItems(nb)) {
      const r = this.#columns(p, c0), ncols = Math.ceil(count / 8) * 8;
      this.#prepare(p, r, count, false, c0);
      encode(r.psi1, r.psi1 + B, r.psiAT, r.psiAT + 256 * S, 1, ld, ncols, r.u1, s.sgn, s.tileA);
      if (vector) this.#vecBlock(p, 1, r.psi1, s.bufX, count, ncols);
      else if (this.#directForward) this.#directBlock(p, 1, r.psi1, s.bufX, ncols);
      else this.#gemm(s.bufX, r.UB, r.psi1, ncols);
      encode(r.psi3, r.psi3 + B, s.bufX, s.bufX + B, 0, ld, ncols, r.u2, s.sgn, s.tileA);
      if (vector) this.#vecBlock(p, 2, r.psi3, r.psi4, count, ncols);
      else if (this.#directForward) this.#directBlock(p, 2, r.psi3, r.psi4, ncols);
      else this.#gemm(r.psi4, r.UC, r.psi3, ncols);
      this.#kern("measure")(r.psi4, r.psi4 + B, 0, 0, ld, ncols, r.y, s.tileA, s.tileB);
    }
  }

  /**
   * QNN p's region with every per-sample address moved to column c0 (batch states, encoding
   * gates, data trig, outputs), so kernels run on a column part unchanged.
   */
  #columns(p: number, c0: number): QnnRegion {
    const q = this.#plan.qnn[p], o = c0 * this.#plan.S, o8 = c0 * 8;
    return {
      ...q,
      psi1: q.psi1 + o,
      psi3: q.psi3 + o,
      psi4: q.psi4 + o,
      u1: q.u1 + o,
      u2: q.u2 + o,
      du1: q.du1 + o,
      du2: q.du2 + o,
      trig: q.trig + o8,
      y: q.y + o8,
    };
  }

  /** Backward pass of the last forward chunk with the cotangent at plan.cot (f64 [10][ld]). */
  backward(nb: number): void {
    if (this.#mode !== "grad") throw new Error("qnn engine: backward needs setup('grad')");
    const s = this.#scratch;
    const vector = this.#vector(nb);
    for (const [p, j, c0, count] of this.#chunkItems(nb)) {
      const a = this.#plan.qnn[p].parts[j];
      this.#cotangent(count, this.#plan.cot, s.cotT, c0);
      this.#adjoint(count, p, s.cotT, a.MB, a.MC, a.gradPhi, a.gradX, a.lamA, vector, c0);
    }
  }

  /** The cotangent of nb samples from column c0 (f64 [10][ld] at `from`) in T at `to`, zero past nb. */
  #cotangent(nb: number, from: number, to: number, c0 = 0): void {
    const { ld, S } = this.#plan;
    const ncols = Math.ceil(nb / 8) * 8;
    const f64 = this.#f64, fT = this.#fT;
    for (let k = 0; k < OUTPUTS; k++) {
      for (let b = 0; b < ncols; b++) {
        fT[to / S + k * ld + b] = b < nb ? f64[from / 8 + k * ld + c0 + b] : 0;
      }
    }
  }

  /**
   * Reverse sweep of QNN p for the last forward chunk with cotangent cotT (T [10][ld]), into the
   * accumulators MB, MC (sweep matrices), gradPhi, gradX and lamA.
   */
  #adjoint(
    nb: number,
    p: number,
    cotT: number,
    MB: number,
    MC: number,
    gradPhi: number,
    gradX: number,
    lamA: number,
    vector = false,
    c0 = 0,
    psi4At?: number,
  ): void {
    const plan = this.#plan;
    const { ld } = plan;
    const ncols = Math.ceil(nb / 8) * 8;
    const s = this.#scratch, B = this.#batch, Q = this.#square;
    const encBack = this.#kern("encode_backward"), encGrads = this.#kern("enc_grads");
    const nh = this.#nh;
    const d = plan.d;
    {
      // The part's columns (scratch buffers are this slot's own and start at column 0).
      const r = this.#columns(p, c0);
      const psi4 = psi4At ?? r.psi4;
      this.#kern("observe_adjoint")(
        s.bufX,
        s.bufX + B,
        psi4,
        psi4 + B,
        ld,
        ncols,
        cotT,
        s.tileA,
      );
      // The adjoint at C's input: in bufY, or in place in bufX (direct blocks).
      const lam3 = this.#directBackward && !vector ? s.bufX : s.bufY;
      if (vector) this.#vecBlockBackward(p, 2, r.psi3, s.bufX, s.bufY, nb, ncols, gradPhi);
      else if (this.#directBackward) {
        // psi4 is walked back with the adjoint (nothing reads it after observe_adjoint).
        this.#directBlockBackward(p, 2, psi4, s.bufX, ncols, gradPhi);
      } else {
        // M accumulates sum_b psi_in lam_in^H = (sum_b psi_in lam_out^H) U: the sweep's start W_0.
        this.#gemm(s.bufY, r.UCh, s.bufX, ncols);
        nh(MC, MC + Q, LDM, r.psi3, r.psi3 + B, s.bufY, s.bufY + B, ld, DIM, DIM, ncols);
      }
      encBack(
        lam3,
        lam3 + B,
        lam3,
        lam3 + B,
        r.psi3,
        r.psi3 + B,
        ld,
        ncols,
        r.u2,
        s.sgn,
        s.R,
        s.tileA,
        s.tileB,
      );
      encGrads(s.R, 1, nb, ld, r.rot, r.trig, gradPhi + layout.encoding(d, 2) * 8, gradX);
      if (vector) this.#vecBlockBackward(p, 1, r.psi1, s.bufY, s.bufX, nb, ncols, gradPhi);
      else if (this.#directBackward) {
        // B's output state again (psi4's buffer is free now), walked back with the adjoint.
        this.#directBlock(p, 1, r.psi1, psi4, ncols);
        this.#directBlockBackward(p, 1, psi4, s.bufX, ncols, gradPhi);
      } else {
        this.#gemm(s.bufX, r.UBh, s.bufY, ncols);
        nh(MB, MB + Q, LDM, r.psi1, r.psi1 + B, s.bufX, s.bufX + B, ld, DIM, DIM, ncols);
      }
      encBack(
        s.bufX,
        s.bufX + B,
        s.bufX,
        s.bufX + B,
        r.psi1,
        r.psi1 + B,
        ld,
        ncols,
        r.u1,
        s.sgn,
        s.R,
        s.tileA,
        s.tileB,
      );
      encGrads(s.R, 0, nb, ld, r.rot, r.trig, gradPhi + layout.encoding(d, 1) * 8, gradX);
      this.#kern("row_sums")(s.bufX, s.bufX + B, ld, nb, lamA);
    }
  }

  /** Block gradients from the accumulated M (B, C) and lamA (A), into each region's gradPhi. */
  finish(): void {
    const { P, d } = this.#plan;
    const layers = (blk: "A" | "B" | "C"): [number, number][] =>
      Array.from({ length: d }, (_, k) => [layout.layer(d, blk, k), 16]);
    // Items: (QNN, block B), (QNN, block C), the heavy sweeps first, then (QNN, block A and the
    // encodings). Each sums its own entries over the column parts (part order), then adds its
    // block's derivatives; the entries of different items are disjoint.
    for (let i = 0; i < 3 * P; i++) {
      // Without unitaries (small f64 calls: one part, item (p, 0) on slot p mod slots) a QNN's
      // items stay on that slot, so finish may follow backward in one message. Direct blocks
      // spread their parts like built calls, and their finish is a message of its own.
      if (this.#built || this.#direct ? !this.#mine(i) : !this.#mine(i % P)) continue;
      const p = i % P, item = Math.floor(i / P);
      const r = this.#plan.qnn[p];
      if (item < 2) {
        this.#reduce(r, "gradPhi", layers(item === 0 ? "B" : "C"));
        if (this.#built && !this.#directBackward) {
          const W = item === 0 ? "MB" : "MC";
          this.#reduceSquare(r, W);
          this.#sweep(p, r[W], (item + 1) as 1 | 2, r.gradPhi);
        }
      } else {
        this.#reduce(r, "gradPhi", [
          ...layers("A"),
          [layout.encoding(d, 1), 64],
          [layout.encoding(d, 2), 64],
        ]);
        this.#reduce(r, "gradX", [[0, FEATURES]]);
        this.#reduce(r, "lamA", [[0, 512]]);
        this.#walkA(p, r.lamA, r.gradPhi);
      }
    }
  }

  /** Adds the entries [start, start + n) of an f64 accumulator of parts 1.. to part 0's. */
  #reduce(r: QnnRegion, name: "gradPhi" | "gradX" | "lamA", ranges: [number, number][]): void {
    const f = this.#f64, to = r.parts[0][name] / 8;
    for (const part of r.parts.slice(1, this.#used)) {
      const from = part[name] / 8;
      for (const [start, n] of ranges) {
        for (let i = start; i < start + n; i++) f[to + i] += f[from + i];
      }
    }
  }

  /** Adds the sweep matrices MB or MC of parts 1.. to part 0's (in T, part order). */
  #reduceSquare(r: QnnRegion, name: "MB" | "MC"): void {
    const fT = this.#fT, S = this.#plan.S, n = 2 * this.#square / S, to = r.parts[0][name] / S;
    for (const part of r.parts.slice(1, this.#used)) {
      const from = part[name] / S;
      for (let i = 0; i < n; i++) fT[to + i] += fT[from + i];
    }
  }

  /**
   * Block gradients of QNN p from the sweep matrices MB, MC and lamA, added to gradPhi (the
   * whole QNN in one slot: Hessian-vector products).
   */
  #finishQnn(p: number, MB: number, MC: number, gradPhi: number, lamA: number): void {
    this.#sweep(p, MB, 1, gradPhi);
    this.#sweep(p, MC, 2, gradPhi);
    this.#walkA(p, lamA, gradPhi);
  }

  /**
   * The sweep of block b (1 = B, 2 = C) of QNN p: W_0 = sum_b psi_in lam_in^H (accumulated by
   * backward; equals M U), then, in place, W_k = L_k W_{k-1} L_k^H layer by layer; layer k's
   * derivatives are 2x2 partial traces of G_k W_{k-1} G_k^H (G_k: the layer without its CZ
   * ring), added to gradPhi.
   */
  #sweep(p: number, W: number, b: 1 | 2, gradPhi: number): void {
    const { d, S } = this.#plan;
    const s = this.#scratch, Q = this.#square, f64 = this.#f64;
    const r = this.#plan.qnn[p];
    const layerLeft = this.#kern("layer_left"), layerRight = this.#kern("layer_right");
    for (let k = 0; k < d; k++) {
      const cz = b === 2 && k === d - 1 ? 0 : 1;
      const g = r.gatesT + ((b - 1) * d + k) * 64 * S;
      layerLeft(W, W + Q, LDM, DIM, g, s.sgn, 0);
      f64.fill(0, s.ptrace / 8, s.ptrace / 8 + 64);
      layerRight(W, W + Q, LDM, g, 1, s.sgn, cz ? 2 : 0, s.ptrace);
      this.#addLayerGrad(p, gradPhi, layout.layer(d, BLOCKS[b], k));
    }
  }

  /** Block A of QNN p: one state, walked back layer by layer with the summed adjoint lamA. */
  #walkA(p: number, lamA: number, gradPhi: number): void {
    const d = this.#plan.d, s = this.#scratch, r = this.#plan.qnn[p];
    this.#f64.copyWithin(s.lam / 8, lamA / 8, lamA / 8 + 512);
    for (let k = d - 1; k >= 0; k--) {
      this.#k.vec_layer_backward(
        r.psiA + (k + 1) * 512 * 8,
        s.lam,
        r.gates64 + k * 512,
        1,
        s.ptrace,
      );
      this.#addLayerGrad(p, gradPhi, layout.layer(d, "A", k));
    }
  }

  /** Output tangents along plan.tangent (exact forward mode) for the chunk, into each y. */
  jvp(nb: number): void {
    if (this.#mode !== "jvp") throw new Error("qnn engine: jvp needs setup('jvp')");
    const { ld, S } = this.#plan;
    const s = this.#scratch, B = this.#batch;
    const encT = this.#kern("encode_tangent");
    const vector = this.#vector(nb);
    for (const [p, , c0, count] of this.#chunkItems(nb)) {
      const r = this.#columns(p, c0), ncols = Math.ceil(count / 8) * 8;
      this.#prepare(p, r, count, true, c0);
      encT(
        r.psi1,
        r.psi1 + B,
        s.bufX,
        s.bufX + B,
        r.psiAT,
        r.psiAT + 256 * S,
        r.dpsiAT,
        r.dpsiAT + 256 * S,
        1,
        ld,
        ncols,
        r.u1,
        r.du1,
        s.sgn,
        s.tileA,
        s.tileB,
      );
      if (vector) this.#vecBlock(p, 1, r.psi1, r.psi3, count, ncols, s.bufX, s.bufY);
      else {
        this.#gemm(r.psi3, r.UB, r.psi1, ncols);
        this.#gemm(s.bufY, r.MB, r.psi1, ncols);
        this.#gemm(s.bufY, r.UB, s.bufX, ncols, 1);
      }
      encT(
        r.psi3,
        r.psi3 + B,
        s.bufY,
        s.bufY + B,
        r.psi3,
        r.psi3 + B,
        s.bufY,
        s.bufY + B,
        0,
        ld,
        ncols,
        r.u2,
        r.du2,
        s.sgn,
        s.tileA,
        s.tileB,
      );
      if (vector) this.#vecBlock(p, 2, r.psi3, r.psi4, count, ncols, s.bufY, s.bufX);
      else {
        this.#gemm(r.psi4, r.UC, r.psi3, ncols);
        this.#gemm(s.bufX, r.MC, r.psi3, ncols);
        this.#gemm(s.bufX, r.UC, s.bufY, ncols, 1);
      }
      this.#kern("measure")(
        r.psi4,
        r.psi4 + B,
        s.bufX,
        s.bufX + B,
        ld,
        ncols,
        r.y,
        s.tileA,
        s.tileB,
      );
    }
  }

  /**
   * Forward pass with tangents along plan.tangent for a Hessian-vector product: y and the
   * output tangents dy, keeping every state and its tangent for hvpBackward.
   */
  hvpForward(nb: number, chunk = 0): void {
    if (this.#mode !== "hvp") throw new Error("qnn engine: hvpForward needs setup('hvp')");
    this.#chunk = chunk;
    const { ld, S } = this.#plan;
    const ncols = Math.ceil(nb / 8) * 8;
    const s = this.#scratch, B = this.#batch;
    const encT = this.#kern("encode_tangent"), measure = this.#kern("measure");
    for (const p of this.#owned) {
      const r = this.#plan.qnn[p], h = r.hvp!;
      this.#prepare(p, r, nb, true);
      const A = r.psiAT, dA = r.dpsiAT, half = 256 * S;
      encT(
        r.psi1,
        r.psi1 + B,
        h.dpsi1,
        h.dpsi1 + B,
        A,
        A + half,
        dA,
        dA + half,
        1,
        ld,
        ncols,
        r.u1,
        r.du1,
        s.sgn,
        s.tileA,
        s.tileB,
      );
      const slot = this.#slotOf(p);
      const psi2 = slot ? slot.psi2 : s.bufX, psi4 = slot ? slot.psi4 : r.psi4;
      const kept = slot !== undefined && this.#reuse.forward;
      if (!kept) this.#gemm(psi2, r.UB, r.psi1, ncols);
      this.#gemm(s.bufY, h.dUB, r.psi1, ncols);
      this.#gemm(s.bufY, r.UB, h.dpsi1, ncols, 1);
      encT(
        r.psi3,
        r.psi3 + B,
        h.dpsi3,
        h.dpsi3 + B,
        psi2,
        psi2 + B,
        s.bufY,
        s.bufY + B,
        0,
        ld,
        ncols,
        r.u2,
        r.du2,
        s.sgn,
        s.tileA,
        s.tileB,
      );
      if (!kept) this.#gemm(psi4, r.UC, r.psi3, ncols);
      this.#gemm(h.dpsi4, h.dUC, r.psi3, ncols);
      this.#gemm(h.dpsi4, r.UC, h.dpsi3, ncols, 1);
      measure(psi4, psi4 + B, 0, 0, ld, ncols, r.y, s.tileA, s.tileB);
      measure(psi4, psi4 + B, h.dpsi4, h.dpsi4 + B, ld, ncols, h.dy, s.tileA, s.tileB);
    }
  }

  /**
   * Backward pass of the last hvpForward chunk: the tangent of the reverse sweep at the fixed
   * cotangent plan.cot (gradient and curvature accumulators), and the plain reverse sweep of the
   * cotangent's tangent plan.cot2 (Gauss-Newton accumulators).
   */
  hvpBackward(nb: number, chunk = 0): void {
    if (this.#mode !== "hvp") throw new Error("qnn engine: hvpBackward needs setup('hvp')");
    if (chunk !== this.#chunk) throw new Error("qnn engine: hvpBackward of another chunk");
    const plan = this.#plan, s = this.#scratch, hs = s.hvp!;
    this.#cotangent(nb, plan.cot, s.cotT);
    this.#cotangent(nb, plan.cot2, hs.cotT);
    for (const p of this.#owned) {
      const r = plan.qnn[p], h = r.hvp!;
      if (this.#parts !== "gaussNewton") this.#adjointTangent(nb, p);
      if (this.#parts === "all" || this.#parts === "gaussNewton") {
        const psi4 = this.#slotOf(p)?.psi4;
        this.#adjoint(nb, p, hs.cotT, h.gMB, h.gMC, h.gGradPhi, h.gGradX, h.gLamA, false, 0, psi4);
      }
    }
  }

  /** The cache slot of QNN p's current chunk, when this call keeps the point and has one. */
  #slotOf(p: number) {
    return this.#reuse.keep ? this.#plan.qnn[p].hvp!.cache[this.#chunk] : undefined;
  }

  /** Forward mode (along plan.tangent) of #adjoint at the fixed cotangent in scratch cotT. */
  #adjointTangent(nb: number, p: number): void {
    const plan = this.#plan;
    const { ld, d } = plan;
    const ncols = Math.ceil(nb / 8) * 8;
    const s = this.#scratch, hs = s.hvp!, B = this.#batch, Q = this.#square;
    const r = plan.qnn[p], h = r.hvp!;
    const slot = this.#slotOf(p);
    const psi4 = slot ? slot.psi4 : r.psi4;
    // At a kept point, the primal adjoints (and the sweep matrices they feed) are already known.
    const kept = slot !== undefined && this.#reuse.adjoint, primal = !this.#reuse.adjoint;
    const obs = this.#kern("observe_adjoint"), nh = this.#nh;
    const encBT = this.#kern("encode_backward_tangent");
    const encGrads = this.#kern("enc_grads"), encGradsT = this.#kern("enc_grads_tangent");
    const lam = s.bufX, dlam = hs.bufZ, lamIn = hs.bufW, dlamIn = s.bufY;
    // The output adjoint is linear in the state at a fixed cotangent: its tangent is obs(dpsi4).
    obs(lam, lam + B, psi4, psi4 + B, ld, ncols, s.cotT, s.tileA);
    obs(dlam, dlam + B, h.dpsi4, h.dpsi4 + B, ld, ncols, s.cotT, s.tileA);
    if (this.#parts === "full") {
      // H v alone: the output adjoint's full tangent also carries the cotangent's tangent,
      // obs(psi4; cot2) (observe_adjoint is linear in the cotangent), so one tangent sweep gives
      // G v + C v and the separate Gauss-Newton sweep is not needed.
      obs(lamIn, lamIn + B, psi4, psi4 + B, ld, ncols, hs.cotT, s.tileA);
      const fT = this.#fT, S = plan.S;
      for (const [to, from] of [[dlam, lamIn], [dlam + B, lamIn + B]]) {
        for (let i = 0; i < DIM; i++) {
          const a = to / S + i * ld, b = from / S + i * ld;
          for (let c = 0; c < ncols; c++) fT[a + c] += fT[b + c];
        }
      }
    }
    const blocks = [
      [r.UCh, h.dUCh, r.MC, h.dMC, r.psi3, h.dpsi3, r.u2, r.du2, 1, slot?.lam3],
      [r.UBh, h.dUBh, r.MB, h.dMB, r.psi1, h.dpsi1, r.u1, r.du1, 0, slot?.lam1],
    ] as const;
    let [lo, dlo, li, dli] = [lam, dlam, lamIn, dlamIn];
    for (const [Uh, dUh, M, dM, psi, dpsi, u, du, e, keptAt] of blocks) {
      // (lam, dlam) before the block: (U^H lo, U^H dlo + dU^H lo); lam kept in its slot.
      const at = keptAt ?? li;
      if (!kept) this.#gemm(at, Uh, lo, ncols);
      this.#gemm(dli, Uh, dlo, ncols);
      this.#gemm(dli, dUh, lo, ncols, 1);
      if (primal) nh(M, M + Q, LDM, psi, psi + B, at, at + B, ld, DIM, DIM, ncols);
      nh(dM, dM + Q, LDM, dpsi, dpsi + B, at, at + B, ld, DIM, DIM, ncols);
      nh(dM, dM + Q, LDM, psi, psi + B, dli, dli + B, ld, DIM, DIM, ncols);
      encBT(
        li,
        li + B,
        dli,
        dli + B,
        at,
        at + B,
        dli,
        dli + B,
        psi,
        psi + B,
        dpsi,
        dpsi + B,
        ld,
        ncols,
        u,
        du,
        s.sgn,
        s.R,
        hs.dR,
        hs.tiles,
      );
      const enc = layout.encoding(d, (e + 1) as 1 | 2) * 8;
      if (primal) encGrads(s.R, e, nb, ld, r.rot, r.trig, r.gradPhi + enc, r.gradX);
      encGradsT(s.R, hs.dR, e, nb, ld, r.rot, r.trig, r.drot, r.dx, h.cGradPhi + enc, h.cGradX);
      [lo, dlo, li, dli] = [li, dli, lo, dlo];
    }
    this.#kern("row_sums")(lo, lo + B, ld, nb, r.lamA);
    this.#kern("row_sums")(dlo, dlo + B, ld, nb, h.cLamA);
  }

  /**
   * Ends a Hessian-vector product: gradients (gradPhi), their tangents at the fixed cotangent
   * (the curvature product, cGradPhi) and the Gauss-Newton product (gGradPhi) of the blocks.
   */
  hvpFinish(): void {
    if (this.#mode !== "hvp") throw new Error("qnn engine: hvpFinish needs setup('hvp')");
    const plan = this.#plan;
    const { d, S } = plan;
    const s = this.#scratch, hs = s.hvp!, Q = this.#square;
    const f64 = this.#f64;
    const left = this.#kern("layer_left_tangent"), right = this.#kern("layer_right_tangent");
    for (const p of this.#owned) {
      const r = plan.qnn[p], h = r.hvp!;
      if (this.#parts === "all" || this.#parts === "gaussNewton") {
        this.#finishQnn(p, h.gMB, h.gMC, h.gGradPhi, h.gLamA);
        if (this.#parts === "gaussNewton") continue;
      }
      // W_0 of B and C is the same for every product at a point: kept once, then restored.
      for (const [M, saved] of [[r.MB, h.savedMB], [r.MC, h.savedMC]]) {
        const [from, to] = this.#reuse.adjoint ? [saved, M] : [M, saved];
        if (this.#reuse.keep || this.#reuse.adjoint) {
          this.#fT.copyWithin(to / S, from / S, from / S + 2 * Q / S);
        }
      }
      const at = plan.params / 8 + p * this.#nPhi, dat = plan.tangent / 8 + p * this.#nPhi;
      const phi = f64.subarray(at, at + this.#nPhi);
      const dphi = f64.subarray(dat, dat + this.#nPhi);
      const grad = f64.subarray(r.gradPhi / 8, r.gradPhi / 8 + this.#nPhi);
      const cgrad = f64.subarray(h.cGradPhi / 8, h.cGradPhi / 8 + this.#nPhi);
      const R = f64.subarray(s.ptrace / 8, s.ptrace / 8 + 64);
      const dR = f64.subarray(hs.dptrace / 8, hs.dptrace / 8 + 64);
      const addLayer = (base: number) => addLayerGrads(phi, base, R, grad, { dphi, dR, cgrad });
      // The sweeps of finish with their tangents: (W, dW) <- (L W L^H, d(L W L^H)).
      for (const [W, dW, b] of [[r.MB, h.dMB, 1], [r.MC, h.dMC, 2]]) {
        for (let k = 0; k < d; k++) {
          const cz = b === 2 && k === d - 1 ? 0 : 1;
          const g = r.gatesT + ((b - 1) * d + k) * 64 * S;
          const dg = r.dgatesT + ((b - 1) * d + k) * 64 * S;
          left(W, W + Q, dW, dW + Q, LDM, DIM, g, dg, s.sgn, 0);
          f64.fill(0, s.ptrace / 8, s.ptrace / 8 + 64);
          f64.fill(0, hs.dptrace / 8, hs.dptrace / 8 + 64);
          right(W, W + Q, dW, dW + Q, LDM, g, dg, 1, s.sgn, cz ? 2 : 0, s.ptrace, hs.dptrace);
          addLayer(layout.layer(d, BLOCKS[b], k));
        }
      }
      // Block A: the summed adjoint and its tangent, walked back with the states' tangents.
      f64.copyWithin(s.lam / 8, r.lamA / 8, r.lamA / 8 + 512);
      f64.copyWithin(hs.dlam / 8, h.cLamA / 8, h.cLamA / 8 + 512);
      for (let k = d - 1; k >= 0; k--) {
        this.#k.vec_layer_backward_tangent(
          r.psiA + (k + 1) * 512 * 8,
          h.dpsiA + (k + 1) * 512 * 8,
          s.lam,
          hs.dlam,
          r.gates64 + k * 512,
          r.dgates64 + k * 512,
          1,
          s.ptrace,
          hs.dptrace,
        );
        addLayer(layout.layer(d, "A", k));
      }
    }
  }
}
