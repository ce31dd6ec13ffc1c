/**
 * Where everything lives in the simulator's one shared `WebAssembly.Memory`: inputs written by
 * the main thread, one contiguous region per QNN (owned by exactly one worker), and one scratch
 * region per worker. All addresses are byte offsets, 64-byte aligned.
 *
 * @module
 */

import {
  DIM,
  FEATURES,
  modelParamCount,
  type ModelSpec,
  OUTPUTS,
  PIXELS,
  qnnParamCount,
} from "./spec.ts";

/** Samples per chunk: every call is cut into chunks of at most this many images. */
export const CHUNK = 1000;
/**
 * In float64, chunks of at most this many samples take blocks B and C one sample at a time (f64
 * state vectors, layer by layer) instead of through the 256 x 256 unitaries: building and
 * sweeping those costs about as much as 50 samples' vectors per layer, which dominated small
 * calls. Chosen per chunk, so a sample's results still do not depend on the rest of its call.
 */
export const VECTOR_MAX = 32;
/**
 * A chunk's samples are cut into this many column parts (a fixed number, whatever the number of
 * workers), so that workers take (QNN, part) work items and more workers than QNNs are used
 * evenly; each part has its own accumulators, summed over parts in a fixed order, so the bits do
 * not depend on the number of workers.
 */
export const PARTS = 4;

/**
 * The column parts of a chunk of nb samples: [first column, count] each, starting at multiples
 * of 16 (at most PARTS; chunks of at most VECTOR_MAX samples are one part).
 */
export function chunkParts(nb: number): [number, number][] {
  // Small chunks are one item per QNN (see QnnWorkerCompute.finish).
  if (nb <= VECTOR_MAX) return [[0, nb]];
  // At least 128 columns: narrower GEMMs re-read the 256 x 256 matrix too often (a batch of 200
  // in four parts of 64 ran 13% slower than in one).
  const width = Math.max(128, Math.ceil(Math.ceil(nb / PARTS) / 16) * 16);
  const out: [number, number][] = [];
  for (let c = 0; c < nb; c += width) out.push([c, Math.min(width, nb - c)]);
  return out;
}

/** Leading dimension of 256 x 256 matrices: padded so that rows do not alias in the L1 sets. */
export const LDM = 264;

/** Addresses of one QNN's region. */
export interface QnnRegion {
  /** Outputs (or output tangents) y[k][b], f64, 10 x ld. */
  y: number;
  /** Gradient of the QNN's phi, f64. */
  gradPhi: number;
  /** Data-angle gradients summed over samples, per feature, f64 x 64. */
  gradX: number;
  /** Sum over samples of the adjoint state at the output of block A, f64 [re 256, im 256]. */
  lamA: number;
  /** Block A states: psiA[l] after l layers (l = 0..d), f64 x 512 each. */
  psiA: number;
  /** Tangent of block A's output, f64 x 512. */
  dpsiA: number;
  /** Block A's output (and its tangent) in the working precision, T x 512 each. */
  psiAT: number;
  dpsiAT: number;
  /** Layer gates of blocks A, B, C: f64 [3][d][8 wires][8]; and of B, C in T: [2][d][8][8]. */
  gates64: number;
  gatesT: number;
  /** Gate tangents, same layouts. */
  dgates64: number;
  dgatesT: number;
  /** Encoding rotation table [e][q][k][cos, sin], f64; tangents of those angles [e][q][k]; feature tangents [64]. */
  rot: number;
  drot: number;
  dx: number;
  /** Data trig per sample, f64 [64][2][ld]. */
  trig: number;
  /** Per-sample encoding gates (and tangents), T [8][8][ld] each. */
  u1: number;
  u2: number;
  du1: number;
  du2: number;
  /** Unitaries of blocks B and C and their adjoints, T, 256 x LDM, re plane then im plane. */
  UB: number;
  UC: number;
  UBh: number;
  UCh: number;
  /**
   * Per block B, C: the sweep matrix, accumulated as W_0 = sum_b psi_in,b lam_in,b^H and then
   * swept in place by finish; in jvp calls, the tangents dU_B, dU_C instead.
   */
  MB: number;
  MC: number;
  /** Batch states after E1, after E2, after C: T, 256 x ld, re plane then im plane. */
  psi1: number;
  psi3: number;
  psi4: number;
  /** Regions of exact Hessian-vector products (only in plans made with hvp). */
  hvp?: HvpRegion;
  /**
   * Accumulators of each column part (PARTS of them; part 0 is gradPhi, gradX, lamA, MB, MC
   * above, which also receive the sums over parts).
   */
  parts: PartRegion[];
}

/** One column part's accumulators (see QnnRegion.parts). */
export interface PartRegion {
  gradPhi: number;
  gradX: number;
  lamA: number;
  MB: number;
  MC: number;
}

/**
 * One QNN's extra buffers for Hessian-vector products: the forward tangents kept for the
 * backward pass, the tangents of U and of the sweep matrices, and two more accumulator sets: the
 * tangent of the gradient at a fixed cotangent (the curvature product) and the plain adjoint of
 * the cotangent's tangent (the Gauss-Newton product).
 */
export interface HvpRegion {
  /** Output tangents dy[k][b], f64, 10 x ld. */
  dy: number;
  /** Block A's state tangents after every layer, f64 x 512 each (d + 1). */
  dpsiA: number;
  /** Tangents of U_B, U_C and of their adjoints, T, square. */
  dUB: number;
  dUC: number;
  dUBh: number;
  dUCh: number;
  /** Tangents of the sweep matrices MB, MC (curvature). */
  dMB: number;
  dMC: number;
  /** Sweep matrices of the Gauss-Newton adjoint. */
  gMB: number;
  gMC: number;
  /** Batch state tangents after E1, E2 and C, T, 256 x ld. */
  dpsi1: number;
  dpsi3: number;
  dpsi4: number;
  /** Curvature accumulators (tangent of gradPhi, gradX, lamA), f64. */
  cGradPhi: number;
  cGradX: number;
  cLamA: number;
  /** Gauss-Newton accumulators, f64. */
  gGradPhi: number;
  gGradX: number;
  gLamA: number;
  /** The sweep matrices W_0 of blocks B and C at the point (HessianPoint), T, 256 x LDM. */
  savedMB: number;
  savedMC: number;
  /** States kept between products at one point, per cached chunk (see HvpCacheSlot). */
  cache: HvpCacheSlot[];
}

/**
 * What one chunk of one QNN keeps between Hessian-vector products at the same point: the
 * states and adjoints that do not depend on the direction v, each T, 256 x ld (re, im planes).
 */
export interface HvpCacheSlot {
  /** The state after block B, and after block C. */
  psi2: number;
  psi4: number;
  /** The adjoint at the input of block C, and at the input of block B. */
  lam3: number;
  lam1: number;
}

/** Addresses of one worker's scratch region. */
export interface ScratchRegion {
  /** Two batch-sized complex buffers (adjoints, intermediate states, tangents). */
  bufX: number;
  bufY: number;
  /** Per-sample partial traces of an encoding, T [8][8][ld]. */
  R: number;
  /** The cotangent in T, [10][ld]. */
  cotT: number;
  /** Two tiles of 256 rows x 32 bytes. */
  tileA: number;
  tileB: number;
  /** Partial traces of one layer, f64 [8][8]. */
  ptrace: number;
  /** CZ ring diagonal, T x 256. */
  sgn: number;
  /** Adjoint vector for block A's backward pass, f64 x 512. */
  lam: number;
  /** Per-sample states of blocks B, C in small chunks: after each layer (d + 1) and a tangent, f64 x 512. */
  vec: number;
  dvec: number;
  /** Hessian-vector product scratch (only in plans made with hvp). */
  hvp?: HvpScratch;
}

/** One worker's extra scratch for Hessian-vector products. */
export interface HvpScratch {
  /** Two more batch buffers. */
  bufZ: number;
  bufW: number;
  /** Tangents of the per-sample partial traces, T [8][8][ld]. */
  dR: number;
  /** The Gauss-Newton cotangent in T, [10][ld]. */
  cotT: number;
  /** Four tiles and an accumulator (encode_backward_tangent). */
  tiles: number;
  /** Tangent partial traces of one layer, f64 [8][8]. */
  dptrace: number;
  /** Tangent adjoint and Gauss-Newton adjoint of block A, f64 x 512 each. */
  dlam: number;
  glam: number;
}

/** The whole layout. */
export interface MemoryPlan {
  P: number;
  d: number;
  precision: "f32" | "f64";
  /** Bytes per element of the working precision. */
  S: number;
  /** Leading dimension (columns) of batch buffers. */
  ld: number;
  /** Model parameters (f64, modelParamCount). */
  params: number;
  /** A tangent direction (f64, modelParamCount). */
  tangent: number;
  /** The chunk's images, f64, CHUNK x 196. */
  images: number;
  /** Patch pixel map, i32, P x 64. */
  pix: number;
  /** Cotangent of the QNN outputs for the chunk (weight included), f64 [10][ld]. */
  cot: number;
  /** Hessian-vector products: the cotangent's tangent (weight included), f64 [10][ld]; 0 without. */
  cot2: number;
  /** Counters of the batch GEMMs run, i32 [gemm, gemm_nh] (Simulator.gemmCounts). */
  counts: number;
  qnn: QnnRegion[];
  scratch: ScratchRegion[];
  /** Total bytes (a multiple of 64 KiB pages). */
  bytes: number;
}

/** Bytes that keeping one chunk's states between Hessian-vector products takes (all P QNNs). */
export function hvpCacheChunkBytes(spec: ModelSpec, precision: "f32" | "f64"): number {
  const S = precision === "f32" ? 4 : 8;
  const batch = Math.ceil((DIM * leadingDimension(CHUNK, S) * 2 * S) / 64) * 64;
  return spec.P * 4 * batch;
}

/** The most bytes one `WebAssembly.Memory` can hold (wasm32: 65,536 pages of 64 KiB). */
export const MAX_MEMORY_BYTES = 65536 * 65536;

/** Columns reserved for a chunk of n samples: a multiple of 16, nudged off multiples of 512 bytes. */
export function leadingDimension(n: number, S: number): number {
  let ld = Math.ceil(n / 16) * 16;
  if ((ld * S) % 512 === 0) ld += 16;
  return ld;
}

/**
 * Lays out the memory for a model, a precision and a number of worker slots; `hvp` adds the
 * buffers of exact Hessian-vector products (after everything else, so the rest is unchanged),
 * and `cacheChunks` the states kept between products at one point for that many chunks.
 */
export function memoryPlan(
  spec: ModelSpec,
  precision: "f32" | "f64",
  slots: number,
  hvp = false,
  cacheChunks = 0,
): MemoryPlan {
  const S = precision === "f32" ? 4 : 8;
  const { P, d } = spec;
  const ld = leadingDimension(CHUNK, S);
  let top = 65536; // below: the module's own small data segment
  const take = (bytes: number) => {
    const at = top;
    top += Math.ceil(bytes / 64) * 64;
    return at;
  };
  const nParams = modelParamCount(spec);
  const batch = DIM * ld * 2 * S;
  const square = DIM * LDM * 2 * S;
  const plan: Omit<MemoryPlan, "qnn" | "scratch" | "bytes"> = {
    P,
    d,
    precision,
    S,
    ld,
    params: take(nParams * 8),
    tangent: take(nParams * 8),
    images: take(CHUNK * PIXELS * 8),
    pix: take(P * FEATURES * 4),
    cot: take(OUTPUTS * ld * 8),
    cot2: 0,
    counts: take(64),
  };
  const qnn: QnnRegion[] = [];
  for (let p = 0; p < P; p++) {
    qnn.push({
      y: take(OUTPUTS * ld * 8),
      gradPhi: take(qnnParamCount(d) * 8),
      gradX: take(FEATURES * 8),
      lamA: take(512 * 8),
      psiA: take((d + 1) * 512 * 8),
      dpsiA: take(512 * 8),
      psiAT: take(512 * S),
      dpsiAT: take(512 * S),
      gates64: take(3 * d * 64 * 8),
      gatesT: take(2 * d * 64 * S),
      dgates64: take(3 * d * 64 * 8),
      dgatesT: take(2 * d * 64 * S),
      rot: take(256 * 8),
      drot: take(128 * 8),
      dx: take(64 * 8),
      trig: take(128 * ld * 8),
      u1: take(64 * ld * S),
      u2: take(64 * ld * S),
      du1: take(64 * ld * S),
      du2: take(64 * ld * S),
      UB: take(square),
      UC: take(square),
      UBh: take(square),
      UCh: take(square),
      MB: take(square),
      MC: take(square),
      psi1: take(batch),
      psi3: take(batch),
      psi4: take(batch),
      parts: [],
    });
  }
  const scratch: ScratchRegion[] = [];
  for (let w = 0; w < slots; w++) {
    scratch.push({
      bufX: take(batch),
      bufY: take(batch),
      R: take(64 * ld * S),
      cotT: take(OUTPUTS * ld * S),
      tileA: take(256 * 32),
      tileB: take(256 * 32),
      ptrace: take(64 * 8),
      sgn: take(256 * S),
      lam: take(512 * 8),
      vec: 0,
      dvec: 0,
    });
  }
  for (const r of qnn) {
    r.parts.push({ gradPhi: r.gradPhi, gradX: r.gradX, lamA: r.lamA, MB: r.MB, MC: r.MC });
    for (let j = 1; j < PARTS; j++) {
      r.parts.push({
        gradPhi: take(qnnParamCount(d) * 8),
        gradX: take(FEATURES * 8),
        lamA: take(512 * 8),
        MB: take(square),
        MC: take(square),
      });
    }
  }
  for (const s of scratch) {
    s.vec = take((d + 1) * 512 * 8);
    s.dvec = take(512 * 8);
  }
  if (hvp) {
    plan.cot2 = take(OUTPUTS * ld * 8);
    for (const r of qnn) {
      r.hvp = {
        dy: take(OUTPUTS * ld * 8),
        dpsiA: take((d + 1) * 512 * 8),
        dUB: take(square),
        dUC: take(square),
        dUBh: take(square),
        dUCh: take(square),
        dMB: take(square),
        dMC: take(square),
        gMB: take(square),
        gMC: take(square),
        dpsi1: take(batch),
        dpsi3: take(batch),
        dpsi4: take(batch),
        cGradPhi: take(qnnParamCount(d) * 8),
        cGradX: take(FEATURES * 8),
        cLamA: take(512 * 8),
        gGradPhi: take(qnnParamCount(d) * 8),
        gGradX: take(FEATURES * 8),
        gLamA: take(512 * 8),
        savedMB: take(square),
        savedMC: take(square),
        cache: [],
      };
    }
    // Chunk-major, so that a plan's first chunks lie at the same offsets whatever the count.
    for (let c = 0; c < cacheChunks; c++) {
      for (const r of qnn) {
        r.hvp!.cache.push({
          psi2: take(batch),
          psi4: take(batch),
          lam3: take(batch),
          lam1: take(batch),
        });
      }
    }
    for (const s of scratch) {
      s.hvp = {
        bufZ: take(batch),
        bufW: take(batch),
        dR: take(64 * ld * S),
        cotT: take(OUTPUTS * ld * S),
        tiles: take(1024 * 32 + 128),
        dptrace: take(64 * 8),
        dlam: take(512 * 8),
        glam: take(512 * 8),
      };
    }
  }
  const bytes = Math.ceil(top / 65536) * 65536;
  return { ...plan, qnn, scratch, bytes };
}
