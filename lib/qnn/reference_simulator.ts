/**
 * The slow reference simulator: one QNN at a time, one sample at a time, every gate applied
 * explicitly to a 256-amplitude float64 state vector, gradients by the parameter-shift rule.
 * Written to be obviously right, not fast; the tests hold the fast simulator against it.
 *
 * Wire i is bit i of the amplitude index (any fixed choice gives the same expectations).
 *
 * @module
 */

import { layoutForPatchCount } from "../data/mod.ts";
import {
  aggregateWeight,
  biasOffset,
  CLASSES,
  DIM,
  FEATURES,
  layout,
  modelParamCount,
  type ModelSpec,
  OUTPUTS,
  PIXELS,
  qnnParamCount,
  QUBITS,
} from "./spec.ts";
import { softmaxCrossEntropy } from "./loss.ts";

/** A gate of the circuit; rotation angles come from `phi[index]` or the data `x[index]`. */
export type Gate =
  | { kind: "RX" | "RY"; wire: number; source: "phi" | "x"; index: number }
  | { kind: "CZring" };

/** A state vector: real and imaginary parts of 256 amplitudes. */
export interface State {
  re: Float64Array;
  im: Float64Array;
}

/** The gate list of one QNN of depth d, in application order (SPEC.md). */
export function circuit(d: number): Gate[] {
  const gates: Gate[] = [];
  const variational = (block: "A" | "B" | "C", ringAfterLast: boolean) => {
    for (let k = 0; k < d; k++) {
      const base = layout.layer(d, block, k);
      for (let i = 0; i < QUBITS; i++) {
        gates.push({ kind: "RX", wire: i, source: "phi", index: base + i });
      }
      for (let i = 0; i < QUBITS; i++) {
        gates.push({ kind: "RY", wire: i, source: "phi", index: base + 8 + i });
      }
      if (k < d - 1 || ringAfterLast) gates.push({ kind: "CZring" });
    }
  };
  const encoding = (e: 1 | 2) => {
    const base = layout.encoding(d, e);
    for (let i = 0; i < QUBITS; i++) {
      for (let j = 0; j < 4; j++) {
        const [outer, inner] = j % 2 === 0 ? (["RY", "RX"] as const) : (["RX", "RY"] as const);
        gates.push({ kind: outer, wire: i, source: "phi", index: base + 8 * i + 2 * j });
        gates.push({ kind: inner, wire: i, source: "x", index: layout.feature(e, i, j) });
        gates.push({ kind: outer, wire: i, source: "phi", index: base + 8 * i + 2 * j + 1 });
      }
    }
    gates.push({ kind: "CZring" });
  };
  variational("A", true);
  encoding(1);
  variational("B", true);
  encoding(2);
  variational("C", false);
  return gates;
}

/** |00000000>. */
export function zeroState(): State {
  const s = { re: new Float64Array(DIM), im: new Float64Array(DIM) };
  s.re[0] = 1;
  return s;
}

/** Applies the 2x2 matrix [[a, b], [c, d]] (complex, as [re, im] pairs) to `wire`. */
function apply1q(s: State, wire: number, m: [number, number][]): void {
  const [[ar, ai], [br, bi], [cr, ci], [dr, di]] = m;
  const bit = 1 << wire;
  for (let k = 0; k < DIM; k++) {
    if (k & bit) continue;
    const k1 = k | bit;
    const xr = s.re[k], xi = s.im[k], yr = s.re[k1], yi = s.im[k1];
    s.re[k] = ar * xr - ai * xi + br * yr - bi * yi;
    s.im[k] = ar * xi + ai * xr + br * yi + bi * yr;
    s.re[k1] = cr * xr - ci * xi + dr * yr - di * yi;
    s.im[k1] = cr * xi + ci * xr + dr * yi + di * yr;
  }
}

/** RX(t) = exp(-i t X / 2) = [[cos, -i sin], [-i sin, cos]] (t / 2). */
export function applyRX(s: State, wire: number, t: number): void {
  const c = Math.cos(t / 2), n = Math.sin(t / 2);
  apply1q(s, wire, [[c, 0], [0, -n], [0, -n], [c, 0]]);
}

/** RY(t) = exp(-i t Y / 2) = [[cos, -sin], [sin, cos]] (t / 2). */
export function applyRY(s: State, wire: number, t: number): void {
  const c = Math.cos(t / 2), n = Math.sin(t / 2);
  apply1q(s, wire, [[c, 0], [-n, 0], [n, 0], [c, 0]]);
}

/** CZ on wires a and b: flips the sign of amplitudes with both bits set. */
export function applyCZ(s: State, a: number, b: number): void {
  for (let k = 0; k < DIM; k++) {
    if ((k >> a) & 1 && (k >> b) & 1) {
      s.re[k] = -s.re[k];
      s.im[k] = -s.im[k];
    }
  }
}

/** The CZ ring: CZ(i, i+1 mod 8) for i = 0..7. */
export function applyCZRing(s: State): void {
  for (let i = 0; i < QUBITS; i++) applyCZ(s, i, (i + 1) % QUBITS);
}

/** <X_w> and <Z_w> of a state. */
export function expectX(s: State, w: number): number {
  let acc = 0;
  const bit = 1 << w;
  for (let k = 0; k < DIM; k++) {
    const k1 = k ^ bit; // <psi|X|psi> = sum_k conj(psi_k) psi_{k xor bit}
    acc += s.re[k] * s.re[k1] + s.im[k] * s.im[k1];
  }
  return acc;
}

/** <Z_w> of a state. */
export function expectZ(s: State, w: number): number {
  let acc = 0;
  for (let k = 0; k < DIM; k++) {
    const p = s.re[k] * s.re[k] + s.im[k] * s.im[k];
    acc += (k >> w) & 1 ? -p : p;
  }
  return acc;
}

/** Runs a gate list on |0...0> and returns the final state. */
export function runGates(gates: Gate[], phi: ArrayLike<number>, x: ArrayLike<number>): State {
  const s = zeroState();
  for (const g of gates) {
    if (g.kind === "CZring") applyCZRing(s);
    else {
      const t = g.source === "phi" ? phi[g.index] : x[g.index];
      if (g.kind === "RX") applyRX(s, g.wire, t);
      else applyRY(s, g.wire, t);
    }
  }
  return s;
}

/** The 10 outputs <X0>..<X4>, <Z0>..<Z4> of one QNN of depth d on one 64-feature patch x. */
export function referenceQnn(
  d: number,
  phi: ArrayLike<number>,
  x: ArrayLike<number>,
): Float64Array {
  const s = runGates(circuit(d), phi, x);
  const y = new Float64Array(OUTPUTS);
  for (let w = 0; w < 5; w++) {
    y[w] = expectX(s, w);
    y[5 + w] = expectZ(s, w);
  }
  return y;
}

/**
 * Derivatives of the 10 outputs by the parameter-shift rule: every angle drives exactly one
 * rotation exp(-i t σ/2), so d<O>/dt = (<O>(t + π/2) - <O>(t - π/2)) / 2 exactly.
 * Returns dPhi (nPhi x 10, row-major) and dX (64 x 10).
 */
export function referenceQnnJacobian(
  d: number,
  phi: ArrayLike<number>,
  x: ArrayLike<number>,
): { dPhi: Float64Array; dX: Float64Array } {
  const nPhi = qnnParamCount(d);
  const dPhi = new Float64Array(nPhi * OUTPUTS);
  const dX = new Float64Array(FEATURES * OUTPUTS);
  const shifted = (src: ArrayLike<number>, i: number, delta: number) => {
    const c = Array.from(src);
    c[i] += delta;
    return c;
  };
  for (let i = 0; i < nPhi; i++) {
    const plus = referenceQnn(d, shifted(phi, i, Math.PI / 2), x);
    const minus = referenceQnn(d, shifted(phi, i, -Math.PI / 2), x);
    for (let o = 0; o < OUTPUTS; o++) dPhi[i * OUTPUTS + o] = (plus[o] - minus[o]) / 2;
  }
  for (let f = 0; f < FEATURES; f++) {
    const plus = referenceQnn(d, phi, shifted(x, f, Math.PI / 2));
    const minus = referenceQnn(d, phi, shifted(x, f, -Math.PI / 2));
    for (let o = 0; o < OUTPUTS; o++) dX[f * OUTPUTS + o] = (plus[o] - minus[o]) / 2;
  }
  return { dPhi, dX };
}

/** The 64-feature patch p of image b, bias added (float64). */
function patchOf(
  spec: ModelSpec,
  params: ArrayLike<number>,
  images: ArrayLike<number>,
  b: number,
  p: number,
): Float64Array {
  const { pixel } = layoutForPatchCount(spec.P);
  const off = biasOffset(spec);
  const x = new Float64Array(FEATURES);
  for (let f = 0; f < FEATURES; f++) {
    const pix = pixel[p * FEATURES + f];
    x[f] = images[b * PIXELS + pix] + params[off + pix];
  }
  return x;
}

function phiOf(spec: ModelSpec, params: ArrayLike<number>, p: number): Float64Array {
  const n = qnnParamCount(spec.d);
  return Float64Array.from({ length: n }, (_, i) => params[p * n + i]);
}

function checkShapes(
  spec: ModelSpec,
  params: ArrayLike<number>,
  images: ArrayLike<number>,
): number {
  if (params.length !== modelParamCount(spec)) {
    throw new Error(
      `reference: params has length ${params.length}, expected ${modelParamCount(spec)}`,
    );
  }
  if (images.length % PIXELS !== 0) {
    throw new Error(`reference: images length not a multiple of 196`);
  }
  return images.length / PIXELS;
}

/** Logits (n x 10) of the model, one sample and one QNN at a time. */
export function referenceForward(
  spec: ModelSpec,
  params: ArrayLike<number>,
  images: ArrayLike<number>,
): Float64Array {
  const n = checkShapes(spec, params, images);
  const w = aggregateWeight(spec);
  const logits = new Float64Array(n * CLASSES);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < spec.P; p++) {
      const y = referenceQnn(spec.d, phiOf(spec, params, p), patchOf(spec, params, images, b, p));
      for (let o = 0; o < OUTPUTS; o++) logits[b * CLASSES + o] += w * y[o];
    }
  }
  return logits;
}

/** Gradient of sum_{b,o} cotangent[b*10+o] * logits[b*10+o] w.r.t. all model parameters. */
export function referenceVjp(
  spec: ModelSpec,
  params: ArrayLike<number>,
  images: ArrayLike<number>,
  cotangent: ArrayLike<number>,
): Float64Array {
  const n = checkShapes(spec, params, images);
  const w = aggregateWeight(spec);
  const nPhi = qnnParamCount(spec.d);
  const { pixel } = layoutForPatchCount(spec.P);
  const grad = new Float64Array(modelParamCount(spec));
  const off = biasOffset(spec);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < spec.P; p++) {
      const { dPhi, dX } = referenceQnnJacobian(
        spec.d,
        phiOf(spec, params, p),
        patchOf(spec, params, images, b, p),
      );
      for (let o = 0; o < OUTPUTS; o++) {
        const c = w * cotangent[b * CLASSES + o];
        for (let i = 0; i < nPhi; i++) grad[p * nPhi + i] += c * dPhi[i * OUTPUTS + o];
        // The bias enters patch feature f through pixel(p, f): chain rule through the patch map.
        for (let f = 0; f < FEATURES; f++) {
          grad[off + pixel[p * FEATURES + f]] += c * dX[f * OUTPUTS + o];
        }
      }
    }
  }
  return grad;
}

/** Mean softmax cross-entropy, its gradient (parameter shift) and the logits. */
export function referenceLossGrad(
  spec: ModelSpec,
  params: ArrayLike<number>,
  images: ArrayLike<number>,
  labels: ArrayLike<number>,
): { loss: number; grad: Float64Array; logits: Float64Array } {
  const logits = referenceForward(spec, params, images);
  const { loss, dlogits } = softmaxCrossEntropy(logits, labels);
  return { loss, grad: referenceVjp(spec, params, images, dlogits), logits };
}
