// Per-sample work on a batch of states stored amplitude-major: a 256 x ld complex matrix whose
// column b is sample b's state. Each sample has its own 2x2 gates, so a v128 holds L samples and
// every coefficient is itself a vector over samples: u[(q * 8 + k) * ld + b] is component k
// ([u00r, u00i, u01r, u01i, u10r, u10i, u11r, u11i]) of sample b's gate on qubit q.
//
// Each kernel takes one vector of columns at a time, copies its 256 rows into a contiguous tile
// (so that the eight gates of an encoding run in L1), works there, and writes back.

import { conjIm, conjRe, rowIm, rowImAdd, rowRe, rowReAdd } from "./complex";
import { pairRow } from "./layer";

const TILE_ROW: usize = 32; // bytes per tile row: re vector, im vector

/** Copies column block `col` (bytes) of a 256 x ld matrix (or a broadcast vector) into a tile. */
// @ts-ignore: decorator

function loadTile<T>(tile: usize, xr: usize, xi: usize, ld: i32, col: usize, broadcast: i32): void {
  const S = <usize> sizeof<T>();
  const row = <usize> ld * S;
  for (let r: usize = 0; r < 256; r++) {
    if (broadcast) {
      v128.store(tile + r * TILE_ROW, v128.load_splat<T>(xr + r * S));
      v128.store(tile + r * TILE_ROW, v128.load_splat<T>(xi + r * S), 16);
    } else {
      v128.store(tile + r * TILE_ROW, v128.load(xr + r * row + col));
      v128.store(tile + r * TILE_ROW, v128.load(xi + r * row + col), 16);
    }
  }
}

/** Writes a tile back to column block `col`, each row multiplied by sgn[r] when cz != 0. */
// @ts-ignore: decorator

function storeTile<T>(
  tile: usize,
  yr: usize,
  yi: usize,
  ld: i32,
  col: usize,
  sgn: usize,
  cz: i32,
): void {
  const S = <usize> sizeof<T>();
  const row = <usize> ld * S;
  for (let r: usize = 0; r < 256; r++) {
    let vr = v128.load(tile + r * TILE_ROW), vi = v128.load(tile + r * TILE_ROW, 16);
    if (cz) {
      const s = v128.load_splat<T>(sgn + r * S);
      vr = v128.mul<T>(vr, s);
      vi = v128.mul<T>(vi, s);
    }
    v128.store(yr + r * row + col, vr);
    v128.store(yi + r * row + col, vi);
  }
}

/** Applies sample-wise gates u (adjoint when adj != 0) on every qubit to a tile. */
// @ts-ignore: decorator

function gatesOnTile<T>(tile: usize, u: usize, ld: i32, col: usize, adj: i32): void {
  const S = <usize> sizeof<T>();
  const plane = <usize> ld * S;
  for (let q = 0; q < 8; q++) {
    const up = u + <usize> (q * 8) * plane + col;
    const g00r = v128.load(up);
    let g00i = v128.load(up + plane);
    let g01r = v128.load(up + 2 * plane), g01i = v128.load(up + 3 * plane);
    let g10r = v128.load(up + 4 * plane), g10i = v128.load(up + 5 * plane);
    const g11r = v128.load(up + 6 * plane);
    let g11i = v128.load(up + 7 * plane);
    if (adj) {
      // u^H = [[conj u00, conj u10], [conj u01, conj u11]]
      const t01r = g01r, t01i = g01i;
      g01r = g10r;
      g01i = v128.neg<T>(g10i);
      g10r = t01r;
      g10i = v128.neg<T>(t01i);
      g00i = v128.neg<T>(g00i);
      g11i = v128.neg<T>(g11i);
    }
    const delta = <usize> (1 << q) * TILE_ROW;
    for (let p = 0; p < 128; p++) {
      const o = tile + <usize> pairRow(p, q) * TILE_ROW;
      const ar = v128.load(o), ai = v128.load(o, 16);
      const br = v128.load(o + delta), bi = v128.load(o + delta, 16);
      const nar = rowRe<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi);
      const nai = rowIm<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi);
      const nbr = rowRe<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi);
      const nbi = rowIm<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi);
      v128.store(o, nar);
      v128.store(o, nai, 16);
      v128.store(o + delta, nbr);
      v128.store(o + delta, nbi, 16);
    }
  }
}

/**
 * An encoding on a batch: out[:, b] = D (u_{b,7} x ... x u_{b,0}) in[:, b] for the first ncols
 * columns (ncols % L == 0). broadcast != 0: `in` is one state (256 values per plane) shared by
 * every sample. out may equal in.
 */
export function encode<T>(
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
  const S = <usize> sizeof<T>();
  for (let col: usize = 0; col < <usize> ncols * S; col += 16) {
    loadTile<T>(tile, inr, ini, ld, col, broadcast);
    gatesOnTile<T>(tile, u, ld, col, 0);
    storeTile<T>(tile, outr, outi, ld, col, sgn, 1);
  }
}

/**
 * Backward of an encoding. Given lin, the adjoint after the encoding, and psi, the state after it:
 * mu = D lin and phi = D psi (the state before the CZ ring); writes the 2x2 partial traces
 * R_q[c][a] = sum_rest phi[(c,rest)] conj(mu[(a,rest)]) per sample to r ([q][k][ld], k as for u),
 * and lout = (x u_q)^H mu, the adjoint before the encoding. lout may equal lin.
 */
export function encode_backward<T>(
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
  const S = <usize> sizeof<T>();
  const plane = <usize> ld * S;
  for (let col: usize = 0; col < <usize> ncols * S; col += 16) {
    loadTile<T>(tileA, linr, lini, ld, col, 0);
    loadTile<T>(tileB, psir, psii, ld, col, 0);
    for (let row: usize = 0; row < 256; row++) {
      const s = v128.load_splat<T>(sgn + row * S);
      const a = tileA + row * TILE_ROW, b = tileB + row * TILE_ROW;
      v128.store(a, v128.mul<T>(s, v128.load(a)));
      v128.store(a, v128.mul<T>(s, v128.load(a, 16)), 16);
      v128.store(b, v128.mul<T>(s, v128.load(b)));
      v128.store(b, v128.mul<T>(s, v128.load(b, 16)), 16);
    }
    for (let q = 0; q < 8; q++) {
      let r00r = v128.splat<T>(0),
        r00i = v128.splat<T>(0),
        r01r = v128.splat<T>(0),
        r01i = v128.splat<T>(0);
      let r10r = v128.splat<T>(0),
        r10i = v128.splat<T>(0),
        r11r = v128.splat<T>(0),
        r11i = v128.splat<T>(0);
      const delta = <usize> (1 << q) * TILE_ROW;
      for (let p = 0; p < 128; p++) {
        const o = <usize> pairRow(p, q) * TILE_ROW;
        const f0r = v128.load(tileB + o), f0i = v128.load(tileB + o, 16);
        const f1r = v128.load(tileB + o + delta), f1i = v128.load(tileB + o + delta, 16);
        const m0r = v128.load(tileA + o), m0i = v128.load(tileA + o, 16);
        const m1r = v128.load(tileA + o + delta), m1i = v128.load(tileA + o + delta, 16);
        // f conj(m) = (fr mr + fi mi) + i (fi mr - fr mi)
        r00r = conjRe<T>(r00r, f0r, f0i, m0r, m0i);
        r00i = conjIm<T>(r00i, f0r, f0i, m0r, m0i);
        r01r = conjRe<T>(r01r, f0r, f0i, m1r, m1i);
        r01i = conjIm<T>(r01i, f0r, f0i, m1r, m1i);
        r10r = conjRe<T>(r10r, f1r, f1i, m0r, m0i);
        r10i = conjIm<T>(r10i, f1r, f1i, m0r, m0i);
        r11r = conjRe<T>(r11r, f1r, f1i, m1r, m1i);
        r11i = conjIm<T>(r11i, f1r, f1i, m1r, m1i);
      }
      const rp = r + <usize> (q * 8) * plane + col;
      v128.store(rp, r00r);
      v128.store(rp + plane, r00i);
      v128.store(rp + 2 * plane, r01r);
      v128.store(rp + 3 * plane, r01i);
      v128.store(rp + 4 * plane, r10r);
      v128.store(rp + 5 * plane, r10i);
      v128.store(rp + 6 * plane, r11r);
      v128.store(rp + 7 * plane, r11i);
    }
    gatesOnTile<T>(tileA, u, ld, col, 1);
    storeTile<T>(tileA, loutr, louti, ld, col, sgn, 0);
  }
}

/**
 * Forward mode of an encoding: (out, dout) = (E in, E din + dE in) with per-sample gate tangents
 * du (layout of u). broadcast != 0: in and din are single states shared by every sample.
 */
export function encode_tangent<T>(
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
  const S = <usize> sizeof<T>();
  const plane = <usize> ld * S;
  for (let col: usize = 0; col < <usize> ncols * S; col += 16) {
    loadTile<T>(tileA, inr, ini, ld, col, broadcast);
    loadTile<T>(tileB, dinr, dini, ld, col, broadcast);
    for (let q = 0; q < 8; q++) {
      const up = u + <usize> (q * 8) * plane + col;
      const hp = du + <usize> (q * 8) * plane + col;
      const g00r = v128.load(up), g00i = v128.load(up + plane);
      const g01r = v128.load(up + 2 * plane), g01i = v128.load(up + 3 * plane);
      const g10r = v128.load(up + 4 * plane), g10i = v128.load(up + 5 * plane);
      const g11r = v128.load(up + 6 * plane), g11i = v128.load(up + 7 * plane);
      const h00r = v128.load(hp), h00i = v128.load(hp + plane);
      const h01r = v128.load(hp + 2 * plane), h01i = v128.load(hp + 3 * plane);
      const h10r = v128.load(hp + 4 * plane), h10i = v128.load(hp + 5 * plane);
      const h11r = v128.load(hp + 6 * plane), h11i = v128.load(hp + 7 * plane);
      const delta = <usize> (1 << q) * TILE_ROW;
      for (let p = 0; p < 128; p++) {
        const o = <usize> pairRow(p, q) * TILE_ROW;
        const a = tileA + o, d = tileB + o;
        const ar = v128.load(a), ai = v128.load(a, 16);
        const br = v128.load(a + delta), bi = v128.load(a + delta, 16);
        const dar = v128.load(d), dai = v128.load(d, 16);
        const dbr = v128.load(d + delta), dbi = v128.load(d + delta, 16);
        let tar = rowRe<T>(g00r, g00i, g01r, g01i, dar, dai, dbr, dbi);
        tar = rowReAdd<T>(tar, h00r, h00i, h01r, h01i, ar, ai, br, bi);
        let tai = rowIm<T>(g00r, g00i, g01r, g01i, dar, dai, dbr, dbi);
        tai = rowImAdd<T>(tai, h00r, h00i, h01r, h01i, ar, ai, br, bi);
        let tbr = rowRe<T>(g10r, g10i, g11r, g11i, dar, dai, dbr, dbi);
        tbr = rowReAdd<T>(tbr, h10r, h10i, h11r, h11i, ar, ai, br, bi);
        let tbi = rowIm<T>(g10r, g10i, g11r, g11i, dar, dai, dbr, dbi);
        tbi = rowImAdd<T>(tbi, h10r, h10i, h11r, h11i, ar, ai, br, bi);
        const nar = rowRe<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi);
        const nai = rowIm<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi);
        const nbr = rowRe<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi);
        const nbi = rowIm<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi);
        v128.store(a, nar);
        v128.store(a, nai, 16);
        v128.store(a + delta, nbr);
        v128.store(a + delta, nbi, 16);
        v128.store(d, tar);
        v128.store(d, tai, 16);
        v128.store(d + delta, tbr);
        v128.store(d + delta, tbi, 16);
      }
    }
    storeTile<T>(tileA, outr, outi, ld, col, sgn, 1);
    storeTile<T>(tileB, doutr, douti, ld, col, sgn, 1);
  }
}

/** acc +/- p by bit q of row r. */
// @ts-ignore: decorator

function zAcc<T>(acc: v128, p: v128, r: i32, q: i32): v128 {
  return (r >> q) & 1 ? v128.sub<T>(acc, p) : v128.add<T>(acc, p);
}

/** acc + Re(conj(a) b) over the tile rows r (bit q clear) and r | 2^q, both tiles' planes. */
// @ts-ignore: decorator

function xAcc<T>(acc: v128, tA: usize, tB: usize, r: i32, q: i32): v128 {
  const o = <usize> r * TILE_ROW, o1 = <usize> (r ^ (1 << q)) * TILE_ROW;
  acc = v128.relaxed_madd<T>(v128.load(tA + o), v128.load(tB + o1), acc);
  return v128.relaxed_madd<T>(v128.load(tA + o, 16), v128.load(tB + o1, 16), acc);
}

/** Stores the lanes of v (T) as f64 at y[b..b+L). */
// @ts-ignore: decorator

function storeF64<T>(y: usize, v: v128): void {
  if (sizeof<T>() == 4) {
    store<f64>(y, <f64> v128.extract_lane<T>(v, 0));
    store<f64>(y, <f64> v128.extract_lane<T>(v, 1), 8);
    store<f64>(y, <f64> v128.extract_lane<T>(v, 2), 16);
    store<f64>(y, <f64> v128.extract_lane<T>(v, 3), 24);
  } else {
    v128.store(y, v);
  }
}

/**
 * Expectations (or their tangents) per sample. With d == 0: y[k][b] for k = 0..9 are <X0>..<X4>,
 * <Z0>..<Z4> of column b of psi. With d != 0 (a tangent state dpsi): y gets 2 Re <psi|O_k|dpsi>.
 * y is f64 with leading dimension ld.
 */
export function measure<T>(
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
  const S = <usize> sizeof<T>();
  const tangent = dr != 0;
  for (let col: usize = 0; col < <usize> ncols * S; col += 16) {
    loadTile<T>(tileA, psir, psii, ld, col, 0);
    const tB = tangent ? tileB : tileA;
    if (tangent) loadTile<T>(tileB, dr, di, ld, col, 0);
    let z0 = v128.splat<T>(0), z1 = v128.splat<T>(0), z2 = v128.splat<T>(0), z3 = v128.splat<T>(0);
    let z4 = v128.splat<T>(0);
    let x0 = v128.splat<T>(0), x1 = v128.splat<T>(0), x2 = v128.splat<T>(0), x3 = v128.splat<T>(0);
    let x4 = v128.splat<T>(0);
    for (let r = 0; r < 256; r++) {
      const o = <usize> r * TILE_ROW;
      let p = v128.mul<T>(v128.load(tileA + o), v128.load(tB + o));
      p = v128.relaxed_madd<T>(v128.load(tileA + o, 16), v128.load(tB + o, 16), p);
      z0 = zAcc<T>(z0, p, r, 0);
      z1 = zAcc<T>(z1, p, r, 1);
      z2 = zAcc<T>(z2, p, r, 2);
      z3 = zAcc<T>(z3, p, r, 3);
      z4 = zAcc<T>(z4, p, r, 4);
      x0 = xAcc<T>(x0, tileA, tB, r, 0);
      x1 = xAcc<T>(x1, tileA, tB, r, 1);
      x2 = xAcc<T>(x2, tileA, tB, r, 2);
      x3 = xAcc<T>(x3, tileA, tB, r, 3);
      x4 = xAcc<T>(x4, tileA, tB, r, 4);
    }
    // The sums run over all rows: <X_q> = sum_r Re(conj(a_r) a_{r^bit}) and <Z_q> need no
    // factor; a tangent, 2 Re <psi|O|dpsi>, needs 2 for both.
    const two = v128.splat<T>(tangent ? <T> 2 : <T> 1);
    const plane = <usize> ld * 8;
    const yc = y + (col / S) * 8;
    storeF64<T>(yc, v128.mul<T>(two, x0));
    storeF64<T>(yc + plane, v128.mul<T>(two, x1));
    storeF64<T>(yc + 2 * plane, v128.mul<T>(two, x2));
    storeF64<T>(yc + 3 * plane, v128.mul<T>(two, x3));
    storeF64<T>(yc + 4 * plane, v128.mul<T>(two, x4));
    storeF64<T>(yc + 5 * plane, v128.mul<T>(two, z0));
    storeF64<T>(yc + 6 * plane, v128.mul<T>(two, z1));
    storeF64<T>(yc + 7 * plane, v128.mul<T>(two, z2));
    storeF64<T>(yc + 8 * plane, v128.mul<T>(two, z3));
    storeF64<T>(yc + 9 * plane, v128.mul<T>(two, z4));
  }
}

/**
 * The adjoint state of the outputs: lam[:, b] = sum_k cot[k][b] O_k psi[:, b] (O_k = X0..X4,
 * Z0..Z4), so that d(sum cot y) = 2 Re <lam | dpsi>. cot is T with leading dimension ld.
 */
export function observe_adjoint<T>(
  lr: usize,
  li: usize,
  psir: usize,
  psii: usize,
  ld: i32,
  ncols: i32,
  cot: usize,
  tileA: usize,
): void {
  const S = <usize> sizeof<T>();
  const plane = <usize> ld * S;
  const row = plane;
  for (let col: usize = 0; col < <usize> ncols * S; col += 16) {
    loadTile<T>(tileA, psir, psii, ld, col, 0);
    const cx0 = v128.load(cot + col), cx1 = v128.load(cot + plane + col);
    const cx2 = v128.load(cot + 2 * plane + col), cx3 = v128.load(cot + 3 * plane + col);
    const cx4 = v128.load(cot + 4 * plane + col);
    const cz0 = v128.load(cot + 5 * plane + col), cz1 = v128.load(cot + 6 * plane + col);
    const cz2 = v128.load(cot + 7 * plane + col), cz3 = v128.load(cot + 8 * plane + col);
    const cz4 = v128.load(cot + 9 * plane + col);
    for (let r = 0; r < 256; r++) {
      let z = v128.splat<T>(0);
      z = zAcc<T>(z, cz0, r, 0);
      z = zAcc<T>(z, cz1, r, 1);
      z = zAcc<T>(z, cz2, r, 2);
      z = zAcc<T>(z, cz3, r, 3);
      z = zAcc<T>(z, cz4, r, 4);
      const o = tileA + <usize> r * TILE_ROW;
      let ar = v128.mul<T>(z, v128.load(o)), ai = v128.mul<T>(z, v128.load(o, 16));
      const o0 = tileA + <usize> (r ^ 1) * TILE_ROW, o1 = tileA + <usize> (r ^ 2) * TILE_ROW;
      const o2 = tileA + <usize> (r ^ 4) * TILE_ROW, o3 = tileA + <usize> (r ^ 8) * TILE_ROW;
      const o4 = tileA + <usize> (r ^ 16) * TILE_ROW;
      ar = v128.relaxed_madd<T>(cx0, v128.load(o0), ar);
      ai = v128.relaxed_madd<T>(cx0, v128.load(o0, 16), ai);
      ar = v128.relaxed_madd<T>(cx1, v128.load(o1), ar);
      ai = v128.relaxed_madd<T>(cx1, v128.load(o1, 16), ai);
      ar = v128.relaxed_madd<T>(cx2, v128.load(o2), ar);
      ai = v128.relaxed_madd<T>(cx2, v128.load(o2, 16), ai);
      ar = v128.relaxed_madd<T>(cx3, v128.load(o3), ar);
      ai = v128.relaxed_madd<T>(cx3, v128.load(o3, 16), ai);
      ar = v128.relaxed_madd<T>(cx4, v128.load(o4), ar);
      ai = v128.relaxed_madd<T>(cx4, v128.load(o4, 16), ai);
      v128.store(lr + <usize> r * row + col, ar);
      v128.store(li + <usize> r * row + col, ai);
    }
  }
}

/** out[r] += sum_{b < nb} x[r][b] (f64, b ascending) for the 256 rows of both planes; out is [re 256, im 256]. */
export function row_sums<T>(xr: usize, xi: usize, ld: i32, nb: i32, out: usize): void {
  const S = <usize> sizeof<T>();
  for (let r: usize = 0; r < 256; r++) {
    let sr: f64 = 0, si: f64 = 0;
    const o = r * <usize> ld * S;
    for (let b: usize = 0; b < <usize> nb; b++) {
      sr += <f64> load<T>(xr + o + b * S);
      si += <f64> load<T>(xi + o + b * S);
    }
    store<f64>(out + r * 8, load<f64>(out + r * 8) + sr);
    store<f64>(out + 2048 + r * 8, load<f64>(out + 2048 + r * 8) + si);
  }
}

/**
 * Forward mode of sample-wise gates on a pair of tiles: (a, t) <- (V a, V t + dV a) with
 * V = x_q u_q (or its adjoint when adj != 0) and dV its tangent from du.
 */
// @ts-ignore: decorator

function gatesOnTileTangent<T>(
  tA: usize,
  tT: usize,
  u: usize,
  du: usize,
  ld: i32,
  col: usize,
  adj: i32,
): void {
  const S = <usize> sizeof<T>();
  const plane = <usize> ld * S;
  for (let q = 0; q < 8; q++) {
    const up = u + <usize> (q * 8) * plane + col;
    const hp = du + <usize> (q * 8) * plane + col;
    const g00r = v128.load(up), g11r = v128.load(up + 6 * plane);
    let g00i = v128.load(up + plane), g11i = v128.load(up + 7 * plane);
    let g01r = v128.load(up + 2 * plane), g01i = v128.load(up + 3 * plane);
    let g10r = v128.load(up + 4 * plane), g10i = v128.load(up + 5 * plane);
    const h00r = v128.load(hp), h11r = v128.load(hp + 6 * plane);
    let h00i = v128.load(hp + plane), h11i = v128.load(hp + 7 * plane);
    let h01r = v128.load(hp + 2 * plane), h01i = v128.load(hp + 3 * plane);
    let h10r = v128.load(hp + 4 * plane), h10i = v128.load(hp + 5 * plane);
    if (adj) {
      let sr = g01r, si = g01i;
      g01r = g10r;
      g01i = v128.neg<T>(g10i);
      g10r = sr;
      g10i = v128.neg<T>(si);
      g00i = v128.neg<T>(g00i);
      g11i = v128.neg<T>(g11i);
      sr = h01r;
      si = h01i;
      h01r = h10r;
      h01i = v128.neg<T>(h10i);
      h10r = sr;
      h10i = v128.neg<T>(si);
      h00i = v128.neg<T>(h00i);
      h11i = v128.neg<T>(h11i);
    }
    const delta = <usize> (1 << q) * TILE_ROW;
    for (let p = 0; p < 128; p++) {
      const o = <usize> pairRow(p, q) * TILE_ROW;
      const a = tA + o, d = tT + o;
      const ar = v128.load(a), ai = v128.load(a, 16);
      const br = v128.load(a + delta), bi = v128.load(a + delta, 16);
      const dar = v128.load(d), dai = v128.load(d, 16);
      const dbr = v128.load(d + delta), dbi = v128.load(d + delta, 16);
      let tar = rowRe<T>(g00r, g00i, g01r, g01i, dar, dai, dbr, dbi);
      tar = rowReAdd<T>(tar, h00r, h00i, h01r, h01i, ar, ai, br, bi);
      let tai = rowIm<T>(g00r, g00i, g01r, g01i, dar, dai, dbr, dbi);
      tai = rowImAdd<T>(tai, h00r, h00i, h01r, h01i, ar, ai, br, bi);
      let tbr = rowRe<T>(g10r, g10i, g11r, g11i, dar, dai, dbr, dbi);
      tbr = rowReAdd<T>(tbr, h10r, h10i, h11r, h11i, ar, ai, br, bi);
      let tbi = rowIm<T>(g10r, g10i, g11r, g11i, dar, dai, dbr, dbi);
      tbi = rowImAdd<T>(tbi, h10r, h10i, h11r, h11i, ar, ai, br, bi);
      v128.store(a, rowRe<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi));
      v128.store(a, rowIm<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi), 16);
      v128.store(a + delta, rowRe<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi));
      v128.store(a + delta, rowIm<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi), 16);
      v128.store(d, tar);
      v128.store(d, tai, 16);
      v128.store(d + delta, tbr);
      v128.store(d + delta, tbi, 16);
    }
  }
}

/** Multiplies every row r of a tile by sgn[r]. */
// @ts-ignore: decorator

function signTile<T>(tile: usize, sgn: usize): void {
  const S = <usize> sizeof<T>();
  for (let row: usize = 0; row < 256; row++) {
    const s = v128.load_splat<T>(sgn + row * S);
    const a = tile + row * TILE_ROW;
    v128.store(a, v128.mul<T>(s, v128.load(a)));
    v128.store(a, v128.mul<T>(s, v128.load(a, 16)), 16);
  }
}

/** Adds the per-qubit partial traces sum_rest f conj(m) of tiles tF, tM to rk (8 vectors). */
// @ts-ignore: decorator

function tileTraces<T>(tF: usize, tM: usize, q: i32, acc: usize): void {
  const delta = <usize> (1 << q) * TILE_ROW;
  let r00r = v128.load(acc), r00i = v128.load(acc, 16);
  let r01r = v128.load(acc, 32), r01i = v128.load(acc, 48);
  let r10r = v128.load(acc, 64), r10i = v128.load(acc, 80);
  let r11r = v128.load(acc, 96), r11i = v128.load(acc, 112);
  for (let p = 0; p < 128; p++) {
    const o = <usize> pairRow(p, q) * TILE_ROW;
    const f0r = v128.load(tF + o), f0i = v128.load(tF + o, 16);
    const f1r = v128.load(tF + o + delta), f1i = v128.load(tF + o + delta, 16);
    const m0r = v128.load(tM + o), m0i = v128.load(tM + o, 16);
    const m1r = v128.load(tM + o + delta), m1i = v128.load(tM + o + delta, 16);
    r00r = conjRe<T>(r00r, f0r, f0i, m0r, m0i);
    r00i = conjIm<T>(r00i, f0r, f0i, m0r, m0i);
    r01r = conjRe<T>(r01r, f0r, f0i, m1r, m1i);
    r01i = conjIm<T>(r01i, f0r, f0i, m1r, m1i);
    r10r = conjRe<T>(r10r, f1r, f1i, m0r, m0i);
    r10i = conjIm<T>(r10i, f1r, f1i, m0r, m0i);
    r11r = conjRe<T>(r11r, f1r, f1i, m1r, m1i);
    r11i = conjIm<T>(r11i, f1r, f1i, m1r, m1i);
  }
  v128.store(acc, r00r);
  v128.store(acc, r00i, 16);
  v128.store(acc, r01r, 32);
  v128.store(acc, r01i, 48);
  v128.store(acc, r10r, 64);
  v128.store(acc, r10i, 80);
  v128.store(acc, r11r, 96);
  v128.store(acc, r11i, 112);
}

/**
 * Forward mode of encode_backward along a tangent: given (lin, dlin), the adjoint after the
 * encoding and its tangent, and (psi, dpsi), the state after it and its tangent, writes r (as
 * encode_backward), dr (the tangent of r: traces of dphi conj(mu) + phi conj(dmu)), and
 * (lout, dlout) = (E^H mu, E^H dmu + dE^H mu), E = x u_q, dE its tangent from du. lout may equal
 * lin and dlout dlin. tiles: four tiles of 256 x 32 bytes and one accumulator of 128 bytes.
 */
export function encode_backward_tangent<T>(
  loutr: usize,
  louti: usize,
  dloutr: usize,
  dlouti: usize,
  linr: usize,
  lini: usize,
  dlinr: usize,
  dlini: usize,
  psir: usize,
  psii: usize,
  dpsir: usize,
  dpsii: usize,
  ld: i32,
  ncols: i32,
  u: usize,
  du: usize,
  sgn: usize,
  r: usize,
  dr: usize,
  tiles: usize,
): void {
  const S = <usize> sizeof<T>();
  const plane = <usize> ld * S;
  const tA = tiles, tB = tiles + 256 * TILE_ROW, tC = tiles + 512 * TILE_ROW;
  const tD = tiles + 768 * TILE_ROW, acc = tiles + 1024 * TILE_ROW;
  const zero = v128.splat<T>(0);
  for (let col: usize = 0; col < <usize> ncols * S; col += 16) {
    loadTile<T>(tA, linr, lini, ld, col, 0);
    loadTile<T>(tB, psir, psii, ld, col, 0);
    loadTile<T>(tC, dlinr, dlini, ld, col, 0);
    loadTile<T>(tD, dpsir, dpsii, ld, col, 0);
    signTile<T>(tA, sgn);
    signTile<T>(tB, sgn);
    signTile<T>(tC, sgn);
    signTile<T>(tD, sgn);
    for (let q = 0; q < 8; q++) {
      for (let k: usize = 0; k < 8; k++) v128.store(acc + k * 16, zero);
      tileTraces<T>(tB, tA, q, acc);
      const rp = r + <usize> (q * 8) * plane + col;
      for (let k: usize = 0; k < 8; k++) v128.store(rp + k * plane, v128.load(acc + k * 16));
      for (let k: usize = 0; k < 8; k++) v128.store(acc + k * 16, zero);
      tileTraces<T>(tD, tA, q, acc);
      tileTraces<T>(tB, tC, q, acc);
      const dp = dr + <usize> (q * 8) * plane + col;
      for (let k: usize = 0; k < 8; k++) v128.store(dp + k * plane, v128.load(acc + k * 16));
    }
    gatesOnTileTangent<T>(tA, tC, u, du, ld, col, 1);
    storeTile<T>(tA, loutr, louti, ld, col, sgn, 0);
    storeTile<T>(tC, dloutr, dlouti, ld, col, sgn, 0);
  }
}
