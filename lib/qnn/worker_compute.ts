/**
 * The per-QNN computation of the fast simulator, run by each worker on the QNNs it owns.
 * Everything heavy is a kernel call on the shared memory (see plan.ts for the layout); this
 * class only sequences them. It never touches another worker's QNNs or scratch, and a QNN's
 * numbers depend only on its own inputs, so results do not depend on the number of workers.
 *
 * Per call: `setup` (gates, block A's state, the unitaries of B and C), then per chunk `forward`
 * (and `backward`) or `jvp`, then `finish` (block gradients from the accumulated sweep matrices
 * and block A's summed adjoint).
 *
 * @module
 */

import { layerGate, layerGateGrad, layerGateTangent } from "./gates.ts";
import type { KernelExports } from "./kernels.ts";
import { LDM, type MemoryPlan, type QnnRegion } from "./plan.ts";
import { biasOffset, DIM, FEATURES, layout, OUTPUTS, qnnParamCount } from "./spec.ts";

/** What a call needs from setup. */
export type SetupMode = "forward" | "grad" | "jvp";

const BLOCKS = ["A", "B", "C"] as const;

/** Runs the kernels for the QNNs of one worker slot. */
export class QnnWorkerCompute {
  readonly #plan: MemoryPlan;
  readonly #k: KernelExports;
  readonly #owned: number[];
  readonly #f64: Float64Array;
  readonly #fT: Float32Array | Float64Array;
  readonly #scratch;
  readonly #sfx: string;
  readonly #nPhi: number;
  readonly #square: number;
  readonly #batch: number;
  #mode: SetupMode = "forward";

  constructor(
    plan: MemoryPlan,
    memory: WebAssembly.Memory,
    kernels: KernelExports,
    slot: number,
    owned: number[],
  ) {
    this.#plan = plan;
    this.#k = kernels;
    this.#owned = owned;
    this.#f64 = new Float64Array(memory.buffer);
    this.#fT = plan.S === 4 ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
    this.#scratch = plan.scratch[slot];
    this.#sfx = plan.S === 4 ? "_f32" : "_f64";
    this.#nPhi = qnnParamCount(plan.d);
    this.#square = DIM * LDM * plan.S;
    this.#batch = DIM * plan.ld * plan.S;
    this.#kern("cz_signs")(this.#scratch.sgn);
  }

  /** The precision-specific kernel `name_f32` or `name_f64`. */
  #kern(name: string): (...args: number[]) => void {
    return this.#k[name + this.#sfx];
  }

  /** Prepares every owned QNN for a call: gates, block A, U_B and U_C (with tangents for jvp). */
  setup(mode: SetupMode): void {
    this.#mode = mode;
    for (const p of this.#owned) this.#setupQnn(p, mode);
  }

  #setupQnn(p: number, mode: SetupMode): void {
    const { d, S } = this.#plan;
    const r = this.#plan.qnn[p];
    const f64 = this.#f64, fT = this.#fT;
    const phi = f64.subarray(
      this.#plan.params / 8 + p * this.#nPhi,
      this.#plan.params / 8 + (p + 1) * this.#nPhi,
    );
    const jvp = mode === "jvp";
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
    }
    const last = r.psiA / 8 + d * 512;
    for (let i = 0; i < 512; i++) {
      fT[r.psiAT / S + i] = f64[last + i];
      fT[r.dpsiAT / S + i] = f64[r.dpsiA / 8 + i];
    }
    // Unitaries of blocks B and C (and their tangents, stored where jvp does not need M).
    for (const [U, Uh, dU, b] of [[r.UB, r.UBh, r.MB, 0], [r.UC, r.UCh, r.MC, 1]]) {
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
      if (mode === "grad") {
        this.#kern("conj_transpose")(Uh, Uh + this.#square, LDM, U, U + this.#square, LDM);
      }
    }
    if (mode === "grad") {
      fT.fill(0, r.MB / S, r.MB / S + 2 * DIM * LDM);
      fT.fill(0, r.MC / S, r.MC / S + 2 * DIM * LDM);
      f64.fill(0, r.lamA / 8, r.lamA / 8 + 512);
      f64.fill(0, r.gradPhi / 8, r.gradPhi / 8 + this.#nPhi);
      f64.fill(0, r.gradX / 8, r.gradX / 8 + FEATURES);
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

  #prepare(p: number, r: QnnRegion, nb: number, tangent: boolean): void {
    const plan = this.#plan;
    this.#kern("enc_prepare")(
      plan.images,
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
    const ncols = Math.ceil(nb / 8) * 8;
    const s = this.#scratch, B = this.#batch;
    const encode = this.#kern("encode");
    for (const p of this.#owned) {
      const r = this.#plan.qnn[p];
      this.#prepare(p, r, nb, false);
      encode(r.psi1, r.psi1 + B, r.psiAT, r.psiAT + 256 * S, 1, ld, ncols, r.u1, s.sgn, s.tileA);
      this.#gemm(s.bufX, r.UB, r.psi1, ncols);
      encode(r.psi3, r.psi3 + B, s.bufX, s.bufX + B, 0, ld, ncols, r.u2, s.sgn, s.tileA);
      this.#gemm(r.psi4, r.UC, r.psi3, ncols);
      this.#kern("measure")(r.psi4, r.psi4 + B, 0, 0, ld, ncols, r.y, s.tileA, s.tileB);
    }
  }

  /** Backward pass of the last forward chunk with the cotangent at plan.cot (f64 [10][ld]). */
  backward(nb: number): void {
    if (this.#mode !== "grad") throw new Error("qnn engine: backward needs setup('grad')");
    const plan = this.#plan;
    const { ld, S } = plan;
    const ncols = Math.ceil(nb / 8) * 8;
    const s = this.#scratch, B = this.#batch, Q = this.#square;
    const f64 = this.#f64, fT = this.#fT;
    for (let k = 0; k < OUTPUTS; k++) {
      for (let b = 0; b < ncols; b++) {
        fT[s.cotT / S + k * ld + b] = b < nb ? f64[plan.cot / 8 + k * ld + b] : 0;
      }
    }
    const encBack = this.#kern("encode_backward"), encGrads = this.#kern("enc_grads");
    const nh = this.#kern("gemm_nh");
    const d = plan.d;
    for (const p of this.#owned) {
      const r = plan.qnn[p];
      this.#kern("observe_adjoint")(
        s.bufX,
        s.bufX + B,
        r.psi4,
        r.psi4 + B,
        ld,
        ncols,
        s.cotT,
        s.tileA,
      );
      // M accumulates sum_b psi_in lam_in^H = (sum_b psi_in lam_out^H) U: the sweep's start W_0.
      this.#gemm(s.bufY, r.UCh, s.bufX, ncols);
      nh(r.MC, r.MC + Q, LDM, r.psi3, r.psi3 + B, s.bufY, s.bufY + B, ld, DIM, DIM, ncols);
      encBack(
        s.bufY,
        s.bufY + B,
        s.bufY,
        s.bufY + B,
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
      encGrads(s.R, 1, nb, ld, r.rot, r.trig, r.gradPhi + layout.encoding(d, 2) * 8, r.gradX);
      this.#gemm(s.bufX, r.UBh, s.bufY, ncols);
      nh(r.MB, r.MB + Q, LDM, r.psi1, r.psi1 + B, s.bufX, s.bufX + B, ld, DIM, DIM, ncols);
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
      encGrads(s.R, 0, nb, ld, r.rot, r.trig, r.gradPhi + layout.encoding(d, 1) * 8, r.gradX);
      this.#kern("row_sums")(s.bufX, s.bufX + B, ld, nb, r.lamA);
    }
  }

  /** Block gradients from the accumulated M (B, C) and lamA (A), into each region's gradPhi. */
  finish(): void {
    const plan = this.#plan;
    const { d, S } = plan;
    const s = this.#scratch, Q = this.#square;
    const f64 = this.#f64;
    const layerLeft = this.#kern("layer_left"), layerRight = this.#kern("layer_right");
    for (const p of this.#owned) {
      const r = plan.qnn[p];
      const phi = f64.subarray(
        plan.params / 8 + p * this.#nPhi,
        plan.params / 8 + (p + 1) * this.#nPhi,
      );
      const grad = f64.subarray(r.gradPhi / 8, r.gradPhi / 8 + this.#nPhi);
      const addLayer = (base: number) => {
        for (let q = 0; q < 8; q++) {
          const [da, db] = layerGateGrad(
            phi[base + 8 + q],
            f64.subarray(s.ptrace / 8 + q * 8, s.ptrace / 8 + q * 8 + 8),
          );
          grad[base + q] += da;
          grad[base + 8 + q] += db;
        }
      };
      for (const [W, b] of [[r.MB, 1], [r.MC, 2]]) {
        // W_0 = sum_b psi_in lam_in^H (accumulated by backward; equals M U), then, in place,
        // W_k = L_k W_{k-1} L_k^H layer by layer; layer k's derivatives are 2x2 partial traces
        // of G_k W_{k-1} G_k^H (G_k: the layer without its CZ ring).
        for (let k = 0; k < d; k++) {
          const cz = b === 2 && k === d - 1 ? 0 : 1;
          const g = r.gatesT + ((b - 1) * d + k) * 64 * S;
          layerLeft(W, W + Q, LDM, DIM, g, s.sgn, 0);
          f64.fill(0, s.ptrace / 8, s.ptrace / 8 + 64);
          layerRight(W, W + Q, LDM, g, 1, s.sgn, cz ? 2 : 0, s.ptrace);
          addLayer(layout.layer(d, BLOCKS[b], k));
        }
      }
      // Block A: one state, walked back layer by layer with the summed adjoint.
      f64.copyWithin(s.lam / 8, r.lamA / 8, r.lamA / 8 + 512);
      for (let k = d - 1; k >= 0; k--) {
        this.#k.vec_layer_backward(
          r.psiA + (k + 1) * 512 * 8,
          s.lam,
          r.gates64 + k * 512,
          1,
          s.ptrace,
        );
        addLayer(layout.layer(d, "A", k));
      }
    }
  }

  /** Output tangents along plan.tangent (exact forward mode) for the chunk, into each y. */
  jvp(nb: number): void {
    if (this.#mode !== "jvp") throw new Error("qnn engine: jvp needs setup('jvp')");
    const { ld, S } = this.#plan;
    const ncols = Math.ceil(nb / 8) * 8;
    const s = this.#scratch, B = this.#batch;
    const encT = this.#kern("encode_tangent");
    for (const p of this.#owned) {
      const r = this.#plan.qnn[p];
      this.#prepare(p, r, nb, true);
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
      this.#gemm(r.psi3, r.UB, r.psi1, ncols);
      this.#gemm(s.bufY, r.MB, r.psi1, ncols);
      this.#gemm(s.bufY, r.UB, s.bufX, ncols, 1);
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
      this.#gemm(r.psi4, r.UC, r.psi3, ncols);
      this.#gemm(s.bufX, r.MC, r.psi3, ncols);
      this.#gemm(s.bufX, r.UC, s.bufY, ncols, 1);
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
}
