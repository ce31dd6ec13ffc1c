/**
 * Small float64 2x2 complex matrices: the fused layer gate RY(beta) RX(alpha), the encodings'
 * rotation tables, and the gate derivatives read off a 2x2 partial trace.
 *
 * A 2x2 complex matrix is 8 numbers [m00r, m00i, m01r, m01i, m10r, m10i, m11r, m11i] (the layout
 * the kernels use for gates and partial traces).
 *
 * @module
 */

/** A 2x2 complex matrix in the kernels' 8-number layout. */
export type Mat2 = [number, number, number, number, number, number, number, number];

/** a b. */
export function mul2(a: Mat2, b: Mat2): Mat2 {
  const out = new Array(8).fill(0) as Mat2;
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      let re = 0, im = 0;
      for (let k = 0; k < 2; k++) {
        const ar = a[(i * 2 + k) * 2], ai = a[(i * 2 + k) * 2 + 1];
        const br = b[(k * 2 + j) * 2], bi = b[(k * 2 + j) * 2 + 1];
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      out[(i * 2 + j) * 2] = re;
      out[(i * 2 + j) * 2 + 1] = im;
    }
  }
  return out;
}

/** a^H. */
export function adjoint2(a: Mat2): Mat2 {
  return [a[0], -a[1], a[4], -a[5], a[2], -a[3], a[6], -a[7]];
}

/** s a + t b (real s, t). */
export function axpby2(s: number, a: Mat2, t: number, b: Mat2): Mat2 {
  return a.map((v, i) => s * v + t * b[i]) as Mat2;
}

/** RX(t) = exp(-i t X / 2). */
export function rx(t: number): Mat2 {
  const c = Math.cos(t / 2), s = Math.sin(t / 2);
  return [c, 0, 0, -s, 0, -s, c, 0];
}

/** RY(t) = exp(-i t Y / 2). */
export function ry(t: number): Mat2 {
  const c = Math.cos(t / 2), s = Math.sin(t / 2);
  return [c, 0, -s, 0, s, 0, c, 0];
}

/** -i X / 2 (d RX/dt = -i X/2 RX). */
const MIX: Mat2 = [0, 0, 0, -0.5, 0, -0.5, 0, 0];
/** -i Y / 2 (d RY/dt = -i Y/2 RY). */
const MIY: Mat2 = [0, 0, -0.5, 0, 0.5, 0, 0, 0];

/** The fused layer gate of one wire: RX(alpha) first, then RY(beta). */
export function layerGate(alpha: number, beta: number): Mat2 {
  return mul2(ry(beta), rx(alpha));
}

/** Tangent of layerGate along (dAlpha, dBeta). */
export function layerGateTangent(alpha: number, beta: number, dAlpha: number, dBeta: number): Mat2 {
  const g = layerGate(alpha, beta);
  const dA = mul2(ry(beta), mul2(MIX, rx(alpha))); // RY (-iX/2) RX
  const dB = mul2(MIY, g); // (-iY/2) RY RX
  return axpby2(dAlpha, dA, dBeta, dB);
}

/**
 * Derivatives (d/dalpha, d/dbeta) of 2 Re tr((dG G^H x I) V) for the fused gate G = RY(beta)
 * RX(alpha), given R, the 2x2 partial trace of V over the other qubits (R[c][a] =
 * sum_rest V[(c,rest)][(a,rest)]). dG/dbeta G^H = -iY/2 gives Im tr(Y R); dG/dalpha G^H =
 * RY (-iX/2) RY^H gives Im tr(X RY^H R RY).
 */
export function layerGateGrad(beta: number, R: ArrayLike<number>): [number, number] {
  const r = Array.from({ length: 8 }, (_, i) => R[i]) as Mat2;
  const dBeta = r[2] - r[4]; // Re R01 - Re R10
  const y = ry(beta);
  const rr = mul2(adjoint2(y), mul2(r, y));
  const dAlpha = rr[3] + rr[5]; // Im R'01 + Im R'10
  return [dAlpha, dBeta];
}

/**
 * Tangent of layerGateGrad(beta, R) along (dBeta, dR): layerGateGrad(beta, dR) plus dBeta times
 * the derivative in beta, which only the alpha part has: d/dbeta RY^H R RY = RY^H [iY/2, R] RY.
 */
export function layerGateGradTangent(
  beta: number,
  dBeta: number,
  R: ArrayLike<number>,
  dR: ArrayLike<number>,
): [number, number] {
  const [da, db] = layerGateGrad(beta, dR);
  if (dBeta === 0) return [da, db];
  const r = Array.from({ length: 8 }, (_, i) => R[i]) as Mat2;
  const iy2: Mat2 = [0, 0, 0.5, 0, -0.5, 0, 0, 0]; // i Y / 2 = [[0, 1/2], [-1/2, 0]]
  const comm = axpby2(1, mul2(iy2, r), -1, mul2(r, iy2));
  const y = ry(beta);
  const rr = mul2(adjoint2(y), mul2(comm, y));
  return [da + dBeta * (rr[3] + rr[5]), db];
}

/** Partial traces of a layer: 8 per wire ([q][8], layerGateGrad's R), float32 or float64. */
type LayerTraces = Float32Array | Float64Array;

/**
 * Adds the derivatives of one layer's 16 angles (alphas at base..base+7 of phi, betas at
 * base+8..base+15) from its partial traces R to grad; with `tangent`, also their tangents along
 * dphi, from the traces' tangents dR, to cgrad.
 *
 * @example
 * ```ts
 * addLayerGrads(phi, layout.layer(d, "B", l), traces, grad);
 * ```
 */
export function addLayerGrads(
  phi: ArrayLike<number>,
  base: number,
  R: LayerTraces,
  grad: Float64Array,
  tangent?: { dphi: ArrayLike<number>; dR: LayerTraces; cgrad: Float64Array },
): void {
  for (let q = 0; q < 8; q++) {
    const Rq = R.subarray(q * 8, q * 8 + 8);
    const beta = phi[base + 8 + q];
    const [da, db] = layerGateGrad(beta, Rq);
    grad[base + q] += da;
    grad[base + 8 + q] += db;
    if (!tangent) continue;
    const dRq = tangent.dR.subarray(q * 8, q * 8 + 8);
    const [ta, tb] = layerGateGradTangent(beta, tangent.dphi[base + 8 + q], Rq, dRq);
    tangent.cgrad[base + q] += ta;
    tangent.cgrad[base + 8 + q] += tb;
  }
}
