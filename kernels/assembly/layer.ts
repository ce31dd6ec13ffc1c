// One layer of single-qubit gates (one 2x2 gate per qubit) applied to a 256 x n complex matrix,
// from the left (on row pairs) or from the right (each row treated as a state vector).
//
// Gates: 8 per layer, gate q at g + 8q elements: [g00r, g00i, g01r, g01i, g10r, g10i, g11r, g11i],
// acting on qubit q = bit q of the row (or column) index. sgn: 256 values of T, the CZ ring's
// diagonal (+1 or -1).

import { rowIm, rowImAdd, rowRe, rowReAdd } from "./complex";
import { hsum, lanes } from "./gemm";

/** Rows with bit q clear: the p-th such row (p < 128). */
// @ts-ignore: decorator

export function pairRow(p: i32, q: i32): i32 {
  return ((p >> q) << (q + 1)) | (p & ((1 << q) - 1));
}

/**
 * M <- D^cz (g_7 x ... x g_0) M for a 256 x ncols matrix (ncols % L == 0): one streaming pass
 * over the matrix per gate (row pairs r, r | 2^q); the matrix stays in L2, the pass is
 * compute-bound. cz != 0 then multiplies row r by sgn[r].
 */
export function layer_left<T>(
  mr: usize,
  mi: usize,
  ld: i32,
  ncols: i32,
  g: usize,
  sgn: usize,
  cz: i32,
): void {
  const S = <usize> sizeof<T>();
  const rowBytes = <usize> ld * S;
  const width = <usize> ncols * S;
  for (let q = 0; q < 8; q++) {
    const gp = g + <usize> (q * 8) * S;
    const g00r = v128.splat<T>(load<T>(gp)), g00i = v128.splat<T>(load<T>(gp + S));
    const g01r = v128.splat<T>(load<T>(gp + 2 * S)), g01i = v128.splat<T>(load<T>(gp + 3 * S));
    const g10r = v128.splat<T>(load<T>(gp + 4 * S)), g10i = v128.splat<T>(load<T>(gp + 5 * S));
    const g11r = v128.splat<T>(load<T>(gp + 6 * S)), g11i = v128.splat<T>(load<T>(gp + 7 * S));
    const delta = <usize> (1 << q) * rowBytes;
    for (let p = 0; p < 128; p++) {
      const o = <usize> pairRow(p, q) * rowBytes;
      const par = mr + o, pai = mi + o;
      for (let c: usize = 0; c < width; c += 16) {
        const ar = v128.load(par + c), ai = v128.load(pai + c);
        const br = v128.load(par + delta + c), bi = v128.load(pai + delta + c);
        const nar = rowRe<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi);
        const nai = rowIm<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi);
        const nbr = rowRe<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi);
        const nbi = rowIm<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi);
        v128.store(par + c, nar);
        v128.store(pai + c, nai);
        v128.store(par + delta + c, nbr);
        v128.store(pai + delta + c, nbi);
      }
    }
  }
  if (cz) {
    for (let r = 0; r < 256; r++) {
      if (load<T>(sgn + <usize> r * S) < 0) {
        const o = <usize> r * rowBytes;
        for (let c: usize = 0; c < width; c += 16) {
          v128.store(mr + o + c, v128.neg<T>(v128.load(mr + o + c)));
          v128.store(mi + o + c, v128.neg<T>(v128.load(mi + o + c)));
        }
      }
    }
  }
}

/**
 * Forward-mode companion of layer_left: (U, dU) <- (G U, G dU + dG U) gate by gate, where dg_q
 * (at dg, same layout as g) is the tangent of gate q; then D^cz on both.
 */
export function layer_left_tangent<T>(
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
  const S = <usize> sizeof<T>();
  const rowBytes = <usize> ld * S;
  const width = <usize> ncols * S;
  for (let q = 0; q < 8; q++) {
    const gp = g + <usize> (q * 8) * S;
    const hp = dg + <usize> (q * 8) * S;
    const g00r = v128.splat<T>(load<T>(gp)), g00i = v128.splat<T>(load<T>(gp + S));
    const g01r = v128.splat<T>(load<T>(gp + 2 * S)), g01i = v128.splat<T>(load<T>(gp + 3 * S));
    const g10r = v128.splat<T>(load<T>(gp + 4 * S)), g10i = v128.splat<T>(load<T>(gp + 5 * S));
    const g11r = v128.splat<T>(load<T>(gp + 6 * S)), g11i = v128.splat<T>(load<T>(gp + 7 * S));
    const h00r = v128.splat<T>(load<T>(hp)), h00i = v128.splat<T>(load<T>(hp + S));
    const h01r = v128.splat<T>(load<T>(hp + 2 * S)), h01i = v128.splat<T>(load<T>(hp + 3 * S));
    const h10r = v128.splat<T>(load<T>(hp + 4 * S)), h10i = v128.splat<T>(load<T>(hp + 5 * S));
    const h11r = v128.splat<T>(load<T>(hp + 6 * S)), h11i = v128.splat<T>(load<T>(hp + 7 * S));
    const delta = <usize> (1 << q) * rowBytes;
    for (let p = 0; p < 128; p++) {
      const o = <usize> pairRow(p, q) * rowBytes;
      for (let c: usize = 0; c < width; c += 16) {
        const ar = v128.load(ur + o + c), ai = v128.load(ui + o + c);
        const br = v128.load(ur + o + delta + c), bi = v128.load(ui + o + delta + c);
        const dar = v128.load(dr + o + c), dai = v128.load(di + o + c);
        const dbr = v128.load(dr + o + delta + c), dbi = v128.load(di + o + delta + c);
        // tangent: g (da, db) + h (a, b)
        let tar = rowRe<T>(g00r, g00i, g01r, g01i, dar, dai, dbr, dbi);
        tar = rowReAdd<T>(tar, h00r, h00i, h01r, h01i, ar, ai, br, bi);
        let tai = rowIm<T>(g00r, g00i, g01r, g01i, dar, dai, dbr, dbi);
        tai = rowImAdd<T>(tai, h00r, h00i, h01r, h01i, ar, ai, br, bi);
        let tbr = rowRe<T>(g10r, g10i, g11r, g11i, dar, dai, dbr, dbi);
        tbr = rowReAdd<T>(tbr, h10r, h10i, h11r, h11i, ar, ai, br, bi);
        let tbi = rowIm<T>(g10r, g10i, g11r, g11i, dar, dai, dbr, dbi);
        tbi = rowImAdd<T>(tbi, h10r, h10i, h11r, h11i, ar, ai, br, bi);
        v128.store(dr + o + c, tar);
        v128.store(di + o + c, tai);
        v128.store(dr + o + delta + c, tbr);
        v128.store(di + o + delta + c, tbi);
        // value: g (a, b)
        const nar = rowRe<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi);
        const nai = rowIm<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi);
        const nbr = rowRe<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi);
        const nbi = rowIm<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi);
        v128.store(ur + o + c, nar);
        v128.store(ui + o + c, nai);
        v128.store(ur + o + delta + c, nbr);
        v128.store(ui + o + delta + c, nbi);
      }
    }
  }
  if (cz) {
    for (let r = 0; r < 256; r++) {
      if (load<T>(sgn + <usize> r * S) < 0) {
        const o = <usize> r * rowBytes;
        for (let c: usize = 0; c < width; c += 16) {
          v128.store(ur + o + c, v128.neg<T>(v128.load(ur + o + c)));
          v128.store(ui + o + c, v128.neg<T>(v128.load(ui + o + c)));
          v128.store(dr + o + c, v128.neg<T>(v128.load(dr + o + c)));
          v128.store(di + o + c, v128.neg<T>(v128.load(di + o + c)));
        }
      }
    }
  }
}

/** v with lanes [a, b, a, b] (f32) or [a, b] (f64). */
// @ts-ignore: decorator

function alt1<T>(a: T, b: T): v128 {
  let v = v128.splat<T>(a);
  v = v128.replace_lane<T>(v, 1, b);
  if (sizeof<T>() == 4) v = v128.replace_lane<T>(v, 3, b);
  return v;
}

/** v with lanes [a, a, b, b] (f32 only). */
// @ts-ignore: decorator

function alt2<T>(a: T, b: T): v128 {
  let v = v128.splat<T>(a);
  if (sizeof<T>() == 4) {
    v = v128.replace_lane<T>(v, 2, b);
    v = v128.replace_lane<T>(v, 3, b);
  }
  return v;
}

/**
 * Right multiplication of a 256 x 256 matrix by a layer, row by row: row <- h (row as a column
 * vector) with h = conj(g) when conj != 0 (M <- M G^H) or h = g (M <- M G^T). Each row (2 or 4 KB)
 * stays in L1 for all 8 gates; qubits inside one v128 use lane shuffles.
 * ptrace != 0: afterwards adds the 2x2 partial traces of the result over all qubits but q to
 * ptrace (f64, [q][c][a][re, im]: R_q[c][a] = sum_rest M[(c,rest)][(a,rest)]).
 * signs: 1 multiplies column c by sgn[c], 2 multiplies entry (r, c) by sgn[r] sgn[c].
 */
export function layer_right<T>(
  mr: usize,
  mi: usize,
  ld: i32,
  g: usize,
  conj: i32,
  sgn: usize,
  signs: i32,
  ptrace: usize,
): void {
  const S = <usize> sizeof<T>();
  const L = lanes<T>();
  const logL = L == 4 ? 2 : 1;
  const cs: T = conj ? <T> -1 : <T> 1;
  for (let r = 0; r < 256; r++) {
    const rowr = mr + <usize> r * <usize> ld * S, rowi = mi + <usize> r * <usize> ld * S;
    for (let q = 0; q < 8; q++) {
      const gp = g + <usize> (q * 8) * S;
      const a00r = load<T>(gp), a00i = cs * load<T>(gp + S);
      const a01r = load<T>(gp + 2 * S), a01i = cs * load<T>(gp + 3 * S);
      const a10r = load<T>(gp + 4 * S), a10i = cs * load<T>(gp + 5 * S);
      const a11r = load<T>(gp + 6 * S), a11i = cs * load<T>(gp + 7 * S);
      if (q >= logL) {
        const g00r = v128.splat<T>(a00r), g00i = v128.splat<T>(a00i);
        const g01r = v128.splat<T>(a01r), g01i = v128.splat<T>(a01i);
        const g10r = v128.splat<T>(a10r), g10i = v128.splat<T>(a10i);
        const g11r = v128.splat<T>(a11r), g11i = v128.splat<T>(a11i);
        const qv = q - logL;
        const delta = <usize> (16 << qv);
        for (let p = 0; p < 128 / L; p++) {
          const o = <usize> pairRow(p, qv) * 16;
          const ar = v128.load(rowr + o), ai = v128.load(rowi + o);
          const br = v128.load(rowr + o + delta), bi = v128.load(rowi + o + delta);
          const nar = rowRe<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi);
          const nai = rowIm<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi);
          const nbr = rowRe<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi);
          const nbi = rowIm<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi);
          v128.store(rowr + o, nar);
          v128.store(rowi + o, nai);
          v128.store(rowr + o + delta, nbr);
          v128.store(rowi + o + delta, nbi);
        }
      } else {
        // Pairs inside one vector: new = diag * v + off * swap(v), lane-wise complex.
        let dr: v128, di: v128, fr: v128, fi: v128;
        if (q == 0) {
          dr = alt1<T>(a00r, a11r);
          di = alt1<T>(a00i, a11i);
          fr = alt1<T>(a01r, a10r);
          fi = alt1<T>(a01i, a10i);
        } else {
          dr = alt2<T>(a00r, a11r);
          di = alt2<T>(a00i, a11i);
          fr = alt2<T>(a01r, a10r);
          fi = alt2<T>(a01i, a10i);
        }
        for (let v: usize = 0; v < 256 * S; v += 16) {
          const xr = v128.load(rowr + v), xi = v128.load(rowi + v);
          let sr: v128, si: v128;
          if (sizeof<T>() == 8) {
            sr = v128.shuffle<T>(xr, xr, 1, 0);
            si = v128.shuffle<T>(xi, xi, 1, 0);
          } else if (q == 0) {
            sr = v128.shuffle<T>(xr, xr, 1, 0, 3, 2);
            si = v128.shuffle<T>(xi, xi, 1, 0, 3, 2);
          } else {
            sr = v128.shuffle<T>(xr, xr, 2, 3, 0, 1);
            si = v128.shuffle<T>(xi, xi, 2, 3, 0, 1);
          }
          const nr = rowRe<T>(dr, di, fr, fi, xr, xi, sr, si);
          const ni = rowIm<T>(dr, di, fr, fi, xr, xi, sr, si);
          v128.store(rowr + v, nr);
          v128.store(rowi + v, ni);
        }
      }
    }
    if (ptrace) {
      const dRe = <f64> load<T>(rowr + <usize> r * S), dIm = <f64> load<T>(rowi + <usize> r * S);
      for (let q = 0; q < 8; q++) {
        const c = (r >> q) & 1;
        const other = <usize> (r ^ (1 << q)) * S;
        const pd = ptrace + <usize> (((q * 2 + c) * 2 + c) * 2) * 8;
        const po = ptrace + <usize> (((q * 2 + c) * 2 + (1 - c)) * 2) * 8;
        store<f64>(pd, load<f64>(pd) + dRe);
        store<f64>(pd + 8, load<f64>(pd + 8) + dIm);
        store<f64>(po, load<f64>(po) + <f64> load<T>(rowr + other));
        store<f64>(po + 8, load<f64>(po + 8) + <f64> load<T>(rowi + other));
      }
    }
    if (signs) {
      const rs = v128.splat<T>(signs == 2 ? load<T>(sgn + <usize> r * S) : <T> 1);
      for (let v: usize = 0; v < 256 * S; v += 16) {
        const f = v128.mul<T>(rs, v128.load(sgn + v));
        v128.store(rowr + v, v128.mul<T>(f, v128.load(rowr + v)));
        v128.store(rowi + v, v128.mul<T>(f, v128.load(rowi + v)));
      }
    }
  }
}

/** Y = X^H for 256 x 256 matrices (Y and X distinct). */
export function conj_transpose<T>(
  yr: usize,
  yi: usize,
  ldy: i32,
  xr: usize,
  xi: usize,
  ldx: i32,
): void {
  const S = <usize> sizeof<T>();
  for (let i0 = 0; i0 < 256; i0 += 16) {
    for (let j0 = 0; j0 < 256; j0 += 16) {
      for (let i = i0; i < i0 + 16; i++) {
        for (let j = j0; j < j0 + 16; j++) {
          const src = (<usize> i * <usize> ldx + <usize> j) * S;
          const dst = (<usize> j * <usize> ldy + <usize> i) * S;
          store<T>(yr + dst, load<T>(xr + src));
          store<T>(yi + dst, -load<T>(xi + src));
        }
      }
    }
  }
}

/** Adds the 2x2 partial traces of row r of a 256 x 256 matrix to pt (layout of layer_right). */
// @ts-ignore: decorator

function addRowTraces<T>(rowr: usize, rowi: usize, r: i32, pt: usize): void {
  const S = <usize> sizeof<T>();
  const dRe = <f64> load<T>(rowr + <usize> r * S), dIm = <f64> load<T>(rowi + <usize> r * S);
  for (let q = 0; q < 8; q++) {
    const c = (r >> q) & 1;
    const other = <usize> (r ^ (1 << q)) * S;
    const pd = pt + <usize> (((q * 2 + c) * 2 + c) * 2) * 8;
    const po = pt + <usize> (((q * 2 + c) * 2 + (1 - c)) * 2) * 8;
    store<f64>(pd, load<f64>(pd) + dRe);
    store<f64>(pd + 8, load<f64>(pd + 8) + dIm);
    store<f64>(po, load<f64>(po) + <f64> load<T>(rowr + other));
    store<f64>(po + 8, load<f64>(po + 8) + <f64> load<T>(rowi + other));
  }
}

/**
 * Forward-mode companion of layer_right: (M, dM) <- (M H, dM H + M dH) row by row with
 * H = G^H (conj != 0) or G^T, dH its tangent (dg: gate tangents, layout of g). ptrace and
 * dptrace (both or neither) get the partial traces of M and dM after the product, before the
 * signs (as in layer_right); signs as in layer_right, on both.
 */
export function layer_right_tangent<T>(
  mr: usize,
  mi: usize,
  dr: usize,
  di: usize,
  ld: i32,
  g: usize,
  dg: usize,
  conj: i32,
  sgn: usize,
  signs: i32,
  ptrace: usize,
  dptrace: usize,
): void {
  const S = <usize> sizeof<T>();
  const L = lanes<T>();
  const logL = L == 4 ? 2 : 1;
  const cs: T = conj ? <T> -1 : <T> 1;
  for (let r = 0; r < 256; r++) {
    const off = <usize> r * <usize> ld * S;
    const rowr = mr + off, rowi = mi + off, drowr = dr + off, drowi = di + off;
    for (let q = 0; q < 8; q++) {
      const gp = g + <usize> (q * 8) * S, hp = dg + <usize> (q * 8) * S;
      const a00r = load<T>(gp), a00i = cs * load<T>(gp + S);
      const a01r = load<T>(gp + 2 * S), a01i = cs * load<T>(gp + 3 * S);
      const a10r = load<T>(gp + 4 * S), a10i = cs * load<T>(gp + 5 * S);
      const a11r = load<T>(gp + 6 * S), a11i = cs * load<T>(gp + 7 * S);
      const b00r = load<T>(hp), b00i = cs * load<T>(hp + S);
      const b01r = load<T>(hp + 2 * S), b01i = cs * load<T>(hp + 3 * S);
      const b10r = load<T>(hp + 4 * S), b10i = cs * load<T>(hp + 5 * S);
      const b11r = load<T>(hp + 6 * S), b11i = cs * load<T>(hp + 7 * S);
      if (q >= logL) {
        const g00r = v128.splat<T>(a00r), g00i = v128.splat<T>(a00i);
        const g01r = v128.splat<T>(a01r), g01i = v128.splat<T>(a01i);
        const g10r = v128.splat<T>(a10r), g10i = v128.splat<T>(a10i);
        const g11r = v128.splat<T>(a11r), g11i = v128.splat<T>(a11i);
        const h00r = v128.splat<T>(b00r), h00i = v128.splat<T>(b00i);
        const h01r = v128.splat<T>(b01r), h01i = v128.splat<T>(b01i);
        const h10r = v128.splat<T>(b10r), h10i = v128.splat<T>(b10i);
        const h11r = v128.splat<T>(b11r), h11i = v128.splat<T>(b11i);
        const qv = q - logL;
        const delta = <usize> (16 << qv);
        for (let p = 0; p < 128 / L; p++) {
          const o = <usize> pairRow(p, qv) * 16;
          const ar = v128.load(rowr + o), ai = v128.load(rowi + o);
          const br = v128.load(rowr + o + delta), bi = v128.load(rowi + o + delta);
          const dar = v128.load(drowr + o), dai = v128.load(drowi + o);
          const dbr = v128.load(drowr + o + delta), dbi = v128.load(drowi + o + delta);
          let tar = rowRe<T>(g00r, g00i, g01r, g01i, dar, dai, dbr, dbi);
          tar = rowReAdd<T>(tar, h00r, h00i, h01r, h01i, ar, ai, br, bi);
          let tai = rowIm<T>(g00r, g00i, g01r, g01i, dar, dai, dbr, dbi);
          tai = rowImAdd<T>(tai, h00r, h00i, h01r, h01i, ar, ai, br, bi);
          let tbr = rowRe<T>(g10r, g10i, g11r, g11i, dar, dai, dbr, dbi);
          tbr = rowReAdd<T>(tbr, h10r, h10i, h11r, h11i, ar, ai, br, bi);
          let tbi = rowIm<T>(g10r, g10i, g11r, g11i, dar, dai, dbr, dbi);
          tbi = rowImAdd<T>(tbi, h10r, h10i, h11r, h11i, ar, ai, br, bi);
          v128.store(drowr + o, tar);
          v128.store(drowi + o, tai);
          v128.store(drowr + o + delta, tbr);
          v128.store(drowi + o + delta, tbi);
          v128.store(rowr + o, rowRe<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi));
          v128.store(rowi + o, rowIm<T>(g00r, g00i, g01r, g01i, ar, ai, br, bi));
          v128.store(rowr + o + delta, rowRe<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi));
          v128.store(rowi + o + delta, rowIm<T>(g10r, g10i, g11r, g11i, ar, ai, br, bi));
        }
      } else {
        // Pairs inside one vector: new = diag * v + off * swap(v), and the same for the tangent
        // with the tangent's coefficients added on the old values.
        let er: v128, ei: v128, fr: v128, fi: v128;
        let xr2: v128, xi2: v128, yr2: v128, yi2: v128;
        if (q == 0) {
          er = alt1<T>(a00r, a11r);
          ei = alt1<T>(a00i, a11i);
          fr = alt1<T>(a01r, a10r);
          fi = alt1<T>(a01i, a10i);
          xr2 = alt1<T>(b00r, b11r);
          xi2 = alt1<T>(b00i, b11i);
          yr2 = alt1<T>(b01r, b10r);
          yi2 = alt1<T>(b01i, b10i);
        } else {
          er = alt2<T>(a00r, a11r);
          ei = alt2<T>(a00i, a11i);
          fr = alt2<T>(a01r, a10r);
          fi = alt2<T>(a01i, a10i);
          xr2 = alt2<T>(b00r, b11r);
          xi2 = alt2<T>(b00i, b11i);
          yr2 = alt2<T>(b01r, b10r);
          yi2 = alt2<T>(b01i, b10i);
        }
        for (let v: usize = 0; v < 256 * S; v += 16) {
          const xr = v128.load(rowr + v), xi = v128.load(rowi + v);
          const tr = v128.load(drowr + v), ti = v128.load(drowi + v);
          let sr: v128, si: v128, str: v128, sti: v128;
          if (sizeof<T>() == 8) {
            sr = v128.shuffle<T>(xr, xr, 1, 0);
            si = v128.shuffle<T>(xi, xi, 1, 0);
            str = v128.shuffle<T>(tr, tr, 1, 0);
            sti = v128.shuffle<T>(ti, ti, 1, 0);
          } else if (q == 0) {
            sr = v128.shuffle<T>(xr, xr, 1, 0, 3, 2);
            si = v128.shuffle<T>(xi, xi, 1, 0, 3, 2);
            str = v128.shuffle<T>(tr, tr, 1, 0, 3, 2);
            sti = v128.shuffle<T>(ti, ti, 1, 0, 3, 2);
          } else {
            sr = v128.shuffle<T>(xr, xr, 2, 3, 0, 1);
            si = v128.shuffle<T>(xi, xi, 2, 3, 0, 1);
            str = v128.shuffle<T>(tr, tr, 2, 3, 0, 1);
            sti = v128.shuffle<T>(ti, ti, 2, 3, 0, 1);
          }
          let nr = rowRe<T>(er, ei, fr, fi, tr, ti, str, sti);
          nr = rowReAdd<T>(nr, xr2, xi2, yr2, yi2, xr, xi, sr, si);
          let ni = rowIm<T>(er, ei, fr, fi, tr, ti, str, sti);
          ni = rowImAdd<T>(ni, xr2, xi2, yr2, yi2, xr, xi, sr, si);
          v128.store(drowr + v, nr);
          v128.store(drowi + v, ni);
          v128.store(rowr + v, rowRe<T>(er, ei, fr, fi, xr, xi, sr, si));
          v128.store(rowi + v, rowIm<T>(er, ei, fr, fi, xr, xi, sr, si));
        }
      }
    }
    if (ptrace) {
      addRowTraces<T>(rowr, rowi, r, ptrace);
      addRowTraces<T>(drowr, drowi, r, dptrace);
    }
    if (signs) {
      const rs = v128.splat<T>(signs == 2 ? load<T>(sgn + <usize> r * S) : <T> 1);
      for (let v: usize = 0; v < 256 * S; v += 16) {
        const f = v128.mul<T>(rs, v128.load(sgn + v));
        v128.store(rowr + v, v128.mul<T>(f, v128.load(rowr + v)));
        v128.store(rowi + v, v128.mul<T>(f, v128.load(rowi + v)));
        v128.store(drowr + v, v128.mul<T>(f, v128.load(drowr + v)));
        v128.store(drowi + v, v128.mul<T>(f, v128.load(drowi + v)));
      }
    }
  }
}

/**
 * One layer of the reverse sweep over a batch of states, the columns of two 256 x ncols
 * matrices (ncols % L == 0): s, the states after the layer, and l, their adjoints. First, when
 * cz != 0, both <- D (the CZ ring's signs); then for each qubit q the 2x2 partial trace
 * R_q = sum over the other qubits and the columns of s l^H, stored in f64 at ptrace + 64q bytes
 * as [r00r, r00i, r01r, r01i, r10r, r10i, r11r, r11i] (R_ij = sum s_i conj(l_j), as
 * vec_layer_backward), and both <- g_q^H on qubit q. A unitary on the other qubits leaves the
 * partial trace over them unchanged, so R_q, read before g_q is undone and after the gates of
 * qubits < q were, is the trace of the states right after the layer's gates, which the
 * gradient of g_q needs. On return s and l are the states and adjoints before the layer (s up
 * to rounding: undoing a unitary in T). Sums over the columns of one row pair are taken in T,
 * then added in f64, pair by pair.
 */
export function layer_back<T>(
  sr: usize,
  si: usize,
  lr: usize,
  li: usize,
  ld: i32,
  ncols: i32,
  g: usize,
  sgn: usize,
  cz: i32,
  ptrace: usize,
): void {
  const S = <usize> sizeof<T>();
  const rowBytes = <usize> ld * S;
  const width = <usize> ncols * S;
  if (cz) {
    for (let r = 0; r < 256; r++) {
      if (load<T>(sgn + <usize> r * S) < 0) {
        const o = <usize> r * rowBytes;
        for (let c: usize = 0; c < width; c += 16) {
          v128.store(sr + o + c, v128.neg<T>(v128.load(sr + o + c)));
          v128.store(si + o + c, v128.neg<T>(v128.load(si + o + c)));
          v128.store(lr + o + c, v128.neg<T>(v128.load(lr + o + c)));
          v128.store(li + o + c, v128.neg<T>(v128.load(li + o + c)));
        }
      }
    }
  }
  const zero = v128.splat<T>(0);
  for (let q = 0; q < 8; q++) {
    const gp = g + <usize> (q * 8) * S;
    // c = g^H, row-major: [[conj g00, conj g10], [conj g01, conj g11]].
    const c00r = v128.splat<T>(load<T>(gp)), c00i = v128.splat<T>(-load<T>(gp + S));
    const c10r = v128.splat<T>(load<T>(gp + 2 * S)), c10i = v128.splat<T>(-load<T>(gp + 3 * S));
    const c01r = v128.splat<T>(load<T>(gp + 4 * S)), c01i = v128.splat<T>(-load<T>(gp + 5 * S));
    const c11r = v128.splat<T>(load<T>(gp + 6 * S)), c11i = v128.splat<T>(-load<T>(gp + 7 * S));
    const delta = <usize> (1 << q) * rowBytes;
    let t00r: f64 = 0, t00i: f64 = 0, t01r: f64 = 0, t01i: f64 = 0;
    let t10r: f64 = 0, t10i: f64 = 0, t11r: f64 = 0, t11i: f64 = 0;
    for (let p = 0; p < 128; p++) {
      const o = <usize> pairRow(p, q) * rowBytes;
      const psr = sr + o, psi = si + o, plr = lr + o, pli = li + o;
      let a00r = zero, a00i = zero, a01r = zero, a01i = zero;
      let a10r = zero, a10i = zero, a11r = zero, a11i = zero;
      for (let c: usize = 0; c < width; c += 16) {
        const x0r = v128.load(psr + c), x0i = v128.load(psi + c);
        const x1r = v128.load(psr + delta + c), x1i = v128.load(psi + delta + c);
        const y0r = v128.load(plr + c), y0i = v128.load(pli + c);
        const y1r = v128.load(plr + delta + c), y1i = v128.load(pli + delta + c);
        // R_ij += x_i conj(y_j): re = xr yr + xi yi, im = xi yr - xr yi.
        a00r = v128.relaxed_madd<T>(x0i, y0i, v128.relaxed_madd<T>(x0r, y0r, a00r));
        a00i = v128.relaxed_nmadd<T>(x0r, y0i, v128.relaxed_madd<T>(x0i, y0r, a00i));
        a01r = v128.relaxed_madd<T>(x0i, y1i, v128.relaxed_madd<T>(x0r, y1r, a01r));
        a01i = v128.relaxed_nmadd<T>(x0r, y1i, v128.relaxed_madd<T>(x0i, y1r, a01i));
        a10r = v128.relaxed_madd<T>(x1i, y0i, v128.relaxed_madd<T>(x1r, y0r, a10r));
        a10i = v128.relaxed_nmadd<T>(x1r, y0i, v128.relaxed_madd<T>(x1i, y0r, a10i));
        a11r = v128.relaxed_madd<T>(x1i, y1i, v128.relaxed_madd<T>(x1r, y1r, a11r));
        a11i = v128.relaxed_nmadd<T>(x1r, y1i, v128.relaxed_madd<T>(x1i, y1r, a11i));
        v128.store(psr + c, rowRe<T>(c00r, c00i, c01r, c01i, x0r, x0i, x1r, x1i));
        v128.store(psi + c, rowIm<T>(c00r, c00i, c01r, c01i, x0r, x0i, x1r, x1i));
        v128.store(psr + delta + c, rowRe<T>(c10r, c10i, c11r, c11i, x0r, x0i, x1r, x1i));
        v128.store(psi + delta + c, rowIm<T>(c10r, c10i, c11r, c11i, x0r, x0i, x1r, x1i));
        v128.store(plr + c, rowRe<T>(c00r, c00i, c01r, c01i, y0r, y0i, y1r, y1i));
        v128.store(pli + c, rowIm<T>(c00r, c00i, c01r, c01i, y0r, y0i, y1r, y1i));
        v128.store(plr + delta + c, rowRe<T>(c10r, c10i, c11r, c11i, y0r, y0i, y1r, y1i));
        v128.store(pli + delta + c, rowIm<T>(c10r, c10i, c11r, c11i, y0r, y0i, y1r, y1i));
      }
      t00r += <f64> hsum<T>(a00r);
      t00i += <f64> hsum<T>(a00i);
      t01r += <f64> hsum<T>(a01r);
      t01i += <f64> hsum<T>(a01i);
      t10r += <f64> hsum<T>(a10r);
      t10i += <f64> hsum<T>(a10i);
      t11r += <f64> hsum<T>(a11r);
      t11i += <f64> hsum<T>(a11i);
    }
    const po = ptrace + <usize> (q * 64);
    store<f64>(po, t00r);
    store<f64>(po + 8, t00i);
    store<f64>(po + 16, t01r);
    store<f64>(po + 24, t01i);
    store<f64>(po + 32, t10r);
    store<f64>(po + 40, t10i);
    store<f64>(po + 48, t11r);
    store<f64>(po + 56, t11i);
  }
}
