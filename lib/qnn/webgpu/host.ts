/**
 * The WebGPU simulator's host side: a WebAssembly memory for the float64 scalar kernels (gate
 * angles, per-sample encoding gates, block A, the encoding-angle gradients and their tangents),
 * with one region per QNN.
 *
 * @module
 */

import { layoutForPatchCount } from "../../data/mod.ts";
import { instantiateKernels, type KernelExports, kernelModule, sharedMemory } from "../kernels.ts";
import { CHUNK, leadingDimension } from "../plan.ts";
import { FEATURES, type ModelSpec, PIXELS, qnnParamCount } from "../spec.ts";

/** Per-QNN addresses in the host memory (bytes). */
export interface QnnHost {
  rot: number;
  trig: number;
  gradPhi: number;
  gradX: number;
  lamA: number;
  /** Block A's states after each layer, [d + 1][512] f64. */
  psiA: number;
  /** Gates [A, B, C][d][8][8] f64. */
  gates64: number;
  /** Forward mode: angle tangents [2][64], feature tangents, gate tangents, A's state tangents. */
  drot: number;
  dx: number;
  dgates64: number;
  dpsiA: number;
  /** Hessian-vector products: the curvature product's accumulators (tangents of the gradient's). */
  cGradPhi: number;
  cGradX: number;
  cLamA: number;
  /** Hessian-vector products: the Gauss-Newton product's accumulators. */
  gGradPhi: number;
  gGradX: number;
  gLamA: number;
}

/** The host memory and its layout (byte addresses). */
export interface Host {
  k: KernelExports;
  memory: WebAssembly.Memory;
  images: number;
  bias: number;
  pix: number;
  u1: number;
  u2: number;
  du1: number;
  du2: number;
  R: number;
  dR: number;
  lam: number;
  dlam: number;
  ptrace: number;
  dptrace: number;
  qnn: QnnHost[];
}

/** Lays out and instantiates the host memory of a model. */
export async function instantiateHost(spec: ModelSpec): Promise<Host> {
  const { P, d } = spec;
  const ld = leadingDimension(CHUNK, 4);
  const nPhi = qnnParamCount(d);
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
    du1: take(64 * ld * 4),
    du2: take(64 * ld * 4),
    R: take(64 * ld * 4),
    dR: take(64 * ld * 4),
    lam: take(512 * 8),
    dlam: take(512 * 8),
    ptrace: take(64 * 8),
    dptrace: take(64 * 8),
  };
  const qnn: QnnHost[] = [];
  for (let p = 0; p < P; p++) {
    qnn.push({
      rot: take(256 * 8),
      trig: take(128 * ld * 8),
      gradPhi: take(nPhi * 8),
      gradX: take(FEATURES * 8),
      lamA: take(512 * 8),
      psiA: take((d + 1) * 512 * 8),
      gates64: take(3 * d * 64 * 8),
      drot: take(128 * 8),
      dx: take(FEATURES * 8),
      dgates64: take(3 * d * 64 * 8),
      dpsiA: take((d + 1) * 512 * 8),
      cGradPhi: take(nPhi * 8),
      cGradX: take(FEATURES * 8),
      cLamA: take(512 * 8),
      gGradPhi: take(nPhi * 8),
      gGradX: take(FEATURES * 8),
      gLamA: take(512 * 8),
    });
  }
  const memory = sharedMemory(Math.ceil(top / 65536) * 65536);
  const k = await instantiateKernels(await kernelModule(), memory);
  new Int32Array(memory.buffer, base.pix, P * FEATURES).set(layoutForPatchCount(P).pixel);
  return { k, memory, ...base, qnn };
}
