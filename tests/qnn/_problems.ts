/** Shared helpers of the QNN tests: a seeded PRNG, random models and error measures. */

import { modelParamCount, type ModelSpec } from "../../lib/qnn/spec.ts";

/** A small seeded PRNG (mulberry32), uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random parameters (phi in [0, pi), bias in [-0.3, 0.3)), images (pixels in [0, pi/4]) and labels. */
export function randomProblem(spec: ModelSpec, B: number, seed: number) {
  const r = rng(seed);
  const n = modelParamCount(spec);
  const params = Float64Array.from({ length: n }, () => r() * Math.PI);
  for (let i = n - 196; i < n; i++) params[i] = (r() - 0.5) * 0.6;
  const images = Float64Array.from({ length: B * 196 }, () => r() * Math.PI / 4);
  const labels = Uint8Array.from({ length: B }, () => Math.floor(r() * 10));
  return { params, images, labels };
}

/** A seeded random direction of n entries, uniform in [-0.5, 0.5). */
export function direction(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r() - 0.5);
}

/** max |a - b| / max |b| (b the trusted side). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let e = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? e : e / m;
}

/** Asserts relErr(a, b) <= tol with a readable message. */
export function assertClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  const e = relErr(a, b);
  if (!(e <= tol)) throw new Error(`${what}: relative error ${e.toExponential(2)} > ${tol}`);
}

/** Bitwise equality of two Float64Arrays. */
export function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.every((v, i) => v === y[i]);
}
