// Entry point of the QNN kernels: every generic kernel instantiated for f32 and f64. The module
// imports a shared memory and keeps nothing in it: callers pass every buffer by address.

import { gemm, gemm_nh } from "./gemm";
import { conj_transpose, layer_left, layer_left_tangent, layer_right } from "./layer";
import {
  encode,
  encode_backward,
  encode_tangent,
  measure,
  observe_adjoint,
  row_sums,
} from "./samples";
import { cz_signs, enc_grads, enc_prepare } from "./scalar";

export { vec_layer, vec_layer_backward } from "./scalar";

export function gemm_f32(
  yr: usize,
  yi: usize,
  ldy: i32,
  ar: usize,
  ai: usize,
  lda: i32,
  xr: usize,
  xi: usize,
  ldx: i32,
  m: i32,
  k: i32,
  n: i32,
  acc: i32,
): void {
  gemm<f32>(yr, yi, ldy, ar, ai, lda, xr, xi, ldx, m, k, n, acc);
}
export function gemm_f64(
  yr: usize,
  yi: usize,
  ldy: i32,
  ar: usize,
  ai: usize,
  lda: i32,
  xr: usize,
  xi: usize,
  ldx: i32,
  m: i32,
  k: i32,
  n: i32,
  acc: i32,
): void {
  gemm<f64>(yr, yi, ldy, ar, ai, lda, xr, xi, ldx, m, k, n, acc);
}
export function gemm_nh_f32(
  mr: usize,
  mi: usize,
  ldm: i32,
  pr: usize,
  pi: usize,
  qr: usize,
  qi: usize,
  ld: i32,
  m: i32,
  n: i32,
  nb: i32,
): void {
  gemm_nh<f32>(mr, mi, ldm, pr, pi, qr, qi, ld, m, n, nb);
}
export function gemm_nh_f64(
  mr: usize,
  mi: usize,
  ldm: i32,
  pr: usize,
  pi: usize,
  qr: usize,
  qi: usize,
  ld: i32,
  m: i32,
  n: i32,
  nb: i32,
): void {
  gemm_nh<f64>(mr, mi, ldm, pr, pi, qr, qi, ld, m, n, nb);
}
export function layer_left_f32(
  mr: usize,
  mi: usize,
  ld: i32,
  ncols: i32,
  g: usize,
  sgn: usize,
  cz: i32,
): void {
  layer_left<f32>(mr, mi, ld, ncols, g, sgn, cz);
}
export function layer_left_f64(
  mr: usize,
  mi: usize,
  ld: i32,
  ncols: i32,
  g: usize,
  sgn: usize,
  cz: i32,
): void {
  layer_left<f64>(mr, mi, ld, ncols, g, sgn, cz);
}
export function layer_left_tangent_f32(
  ur: usize,
  ui: usize,
  dr: usize,
  di: usize,
  ld: i32,
  ncols: i32,
  g: usize,
  dg: usize,
  sgn: usize,
  cz: i32,
): void {
  layer_left_tangent<f32>(ur, ui, dr, di, ld, ncols, g, dg, sgn, cz);
}
export function layer_left_tangent_f64(
  ur: usize,
  ui: usize,
  dr: usize,
  di: usize,
  ld: i32,
  ncols: i32,
  g: usize,
  dg: usize,
  sgn: usize,
  cz: i32,
): void {
  layer_left_tangent<f64>(ur, ui, dr, di, ld, ncols, g, dg, sgn, cz);
}
export function layer_right_f32(
  mr: usize,
  mi: usize,
  ld: i32,
  g: usize,
  conj: i32,
  sgn: usize,
  signs: i32,
  ptrace: usize,
): void {
  layer_right<f32>(mr, mi, ld, g, conj, sgn, signs, ptrace);
}
export function layer_right_f64(
  mr: usize,
  mi: usize,
  ld: i32,
  g: usize,
  conj: i32,
  sgn: usize,
  signs: i32,
  ptrace: usize,
): void {
  layer_right<f64>(mr, mi, ld, g, conj, sgn, signs, ptrace);
}
export function conj_transpose_f32(
  yr: usize,
  yi: usize,
  ldy: i32,
  xr: usize,
  xi: usize,
  ldx: i32,
): void {
  conj_transpose<f32>(yr, yi, ldy, xr, xi, ldx);
}
export function conj_transpose_f64(
  yr: usize,
  yi: usize,
  ldy: i32,
  xr: usize,
  xi: usize,
  ldx: i32,
): void {
  conj_transpose<f64>(yr, yi, ldy, xr, xi, ldx);
}
export function encode_f32(
  outr: usize,
  outi: usize,
  inr: usize,
  ini: usize,
  broadcast: i32,
  ld: i32,
  ncols: i32,
  u: usize,
  sgn: usize,
  tile: usize,
): void {
  encode<f32>(outr, outi, inr, ini, broadcast, ld, ncols, u, sgn, tile);
}
export function encode_f64(
  outr: usize,
  outi: usize,
  inr: usize,
  ini: usize,
  broadcast: i32,
  ld: i32,
  ncols: i32,
  u: usize,
  sgn: usize,
  tile: usize,
): void {
  encode<f64>(outr, outi, inr, ini, broadcast, ld, ncols, u, sgn, tile);
}
export function encode_backward_f32(
  loutr: usize,
  louti: usize,
  linr: usize,
  lini: usize,
  psir: usize,
  psii: usize,
  ld: i32,
  ncols: i32,
  u: usize,
  sgn: usize,
  r: usize,
  tileA: usize,
  tileB: usize,
): void {
  encode_backward<f32>(loutr, louti, linr, lini, psir, psii, ld, ncols, u, sgn, r, tileA, tileB);
}
export function encode_backward_f64(
  loutr: usize,
  louti: usize,
  linr: usize,
  lini: usize,
  psir: usize,
  psii: usize,
  ld: i32,
  ncols: i32,
  u: usize,
  sgn: usize,
  r: usize,
  tileA: usize,
  tileB: usize,
): void {
  encode_backward<f64>(loutr, louti, linr, lini, psir, psii, ld, ncols, u, sgn, r, tileA, tileB);
}
export function encode_tangent_f32(
  outr: usize,
  outi: usize,
  doutr: usize,
  douti: usize,
  inr: usize,
  ini: usize,
  dinr: usize,
  dini: usize,
  broadcast: i32,
  ld: i32,
  ncols: i32,
  u: usize,
  du: usize,
  sgn: usize,
  tileA: usize,
  tileB: usize,
): void {
  encode_tangent<f32>(
    outr,
    outi,
    doutr,
    douti,
    inr,
    ini,
    dinr,
    dini,
    broadcast,
    ld,
    ncols,
    u,
    du,
    sgn,
    tileA,
    tileB,
  );
}
export function encode_tangent_f64(
  outr: usize,
  outi: usize,
  doutr: usize,
  douti: usize,
  inr: usize,
  ini: usize,
  dinr: usize,
  dini: usize,
  broadcast: i32,
  ld: i32,
  ncols: i32,
  u: usize,
  du: usize,
  sgn: usize,
  tileA: usize,
  tileB: usize,
): void {
  encode_tangent<f64>(
    outr,
    outi,
    doutr,
    douti,
    inr,
    ini,
    dinr,
    dini,
    broadcast,
    ld,
    ncols,
    u,
    du,
    sgn,
    tileA,
    tileB,
  );
}
export function measure_f32(
  psir: usize,
  psii: usize,
  dr: usize,
  di: usize,
  ld: i32,
  ncols: i32,
  y: usize,
  tileA: usize,
  tileB: usize,
): void {
  measure<f32>(psir, psii, dr, di, ld, ncols, y, tileA, tileB);
}
export function measure_f64(
  psir: usize,
  psii: usize,
  dr: usize,
  di: usize,
  ld: i32,
  ncols: i32,
  y: usize,
  tileA: usize,
  tileB: usize,
): void {
  measure<f64>(psir, psii, dr, di, ld, ncols, y, tileA, tileB);
}
export function observe_adjoint_f32(
  lr: usize,
  li: usize,
  psir: usize,
  psii: usize,
  ld: i32,
  ncols: i32,
  cot: usize,
  tileA: usize,
): void {
  observe_adjoint<f32>(lr, li, psir, psii, ld, ncols, cot, tileA);
}
export function observe_adjoint_f64(
  lr: usize,
  li: usize,
  psir: usize,
  psii: usize,
  ld: i32,
  ncols: i32,
  cot: usize,
  tileA: usize,
): void {
  observe_adjoint<f64>(lr, li, psir, psii, ld, ncols, cot, tileA);
}
export function row_sums_f32(xr: usize, xi: usize, ld: i32, nb: i32, out: usize): void {
  row_sums<f32>(xr, xi, ld, nb, out);
}
export function row_sums_f64(xr: usize, xi: usize, ld: i32, nb: i32, out: usize): void {
  row_sums<f64>(xr, xi, ld, nb, out);
}
export function enc_prepare_f32(
  img: usize,
  bias: usize,
  pix: usize,
  nb: i32,
  ld: i32,
  rot: usize,
  trig: usize,
  u1: usize,
  u2: usize,
  drot: usize,
  dx: usize,
  du1: usize,
  du2: usize,
): void {
  enc_prepare<f32>(img, bias, pix, nb, ld, rot, trig, u1, u2, drot, dx, du1, du2);
}
export function enc_prepare_f64(
  img: usize,
  bias: usize,
  pix: usize,
  nb: i32,
  ld: i32,
  rot: usize,
  trig: usize,
  u1: usize,
  u2: usize,
  drot: usize,
  dx: usize,
  du1: usize,
  du2: usize,
): void {
  enc_prepare<f64>(img, bias, pix, nb, ld, rot, trig, u1, u2, drot, dx, du1, du2);
}
export function enc_grads_f32(
  r: usize,
  e: i32,
  nb: i32,
  ld: i32,
  rot: usize,
  trig: usize,
  gphi: usize,
  gx: usize,
): void {
  enc_grads<f32>(r, e, nb, ld, rot, trig, gphi, gx);
}
export function enc_grads_f64(
  r: usize,
  e: i32,
  nb: i32,
  ld: i32,
  rot: usize,
  trig: usize,
  gphi: usize,
  gx: usize,
): void {
  enc_grads<f64>(r, e, nb, ld, rot, trig, gphi, gx);
}
export function cz_signs_f32(sgn: usize): void {
  cz_signs<f32>(sgn);
}
export function cz_signs_f64(sgn: usize): void {
  cz_signs<f64>(sgn);
}
