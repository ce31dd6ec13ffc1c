// Complex matrix products on split re/im arrays (AssemblyScript, WebAssembly SIMD).
//
// T is f32 or f64; a v128 holds L = 16 / sizeof<T>() lanes. Matrices are row-major with an
// explicit leading dimension (elements). All pointers are byte addresses in the shared memory.

import { conjIm, conjRe } from "./complex";

/** Lanes of T in a v128. */
// @ts-ignore: decorator

export function lanes<T>(): i32 {
  return 16 / sizeof<T>();
}

/**
 * Y (=|+=) A X: Y is m x n, A is m x k, X is k x n. Requires m % 2 == 0 and n % (2L) == 0.
 * Micro-tile: 2 rows x 2 vectors, 8 accumulators; the 2L columns of X it reads for all k stay
 * in L1 while the rows of A stream past (A is re-read from L2 for every column panel).
 */
export function gemm<T>(
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
  accumulate: i32,
): void {
  const S = <usize> sizeof<T>();
  const L = <usize> lanes<T>();
  const xStride = <usize> ldx * S;
  for (let j: usize = 0; j < <usize> n; j += 2 * L) {
    for (let i: usize = 0; i < <usize> m; i += 2) {
      let y00r = v128.splat<T>(0), y00i = v128.splat<T>(0);
      let y01r = v128.splat<T>(0), y01i = v128.splat<T>(0);
      let y10r = v128.splat<T>(0), y10i = v128.splat<T>(0);
      let y11r = v128.splat<T>(0), y11i = v128.splat<T>(0);
      let pa0r = ar + i * <usize> lda * S, pa0i = ai + i * <usize> lda * S;
      let pa1r = pa0r + <usize> lda * S, pa1i = pa0i + <usize> lda * S;
      let pxr = xr + j * S, pxi = xi + j * S;
      for (let kk = 0; kk < k; kk++) {
        const x0r = v128.load(pxr), x1r = v128.load(pxr, 16);
        const x0i = v128.load(pxi), x1i = v128.load(pxi, 16);
        const a0r = v128.load_splat<T>(pa0r), a0i = v128.load_splat<T>(pa0i);
        y00r = v128.relaxed_madd<T>(a0r, x0r, y00r);
        y01r = v128.relaxed_madd<T>(a0r, x1r, y01r);
        y00i = v128.relaxed_madd<T>(a0r, x0i, y00i);
        y01i = v128.relaxed_madd<T>(a0r, x1i, y01i);
        y00r = v128.relaxed_nmadd<T>(a0i, x0i, y00r);
        y01r = v128.relaxed_nmadd<T>(a0i, x1i, y01r);
        y00i = v128.relaxed_madd<T>(a0i, x0r, y00i);
        y01i = v128.relaxed_madd<T>(a0i, x1r, y01i);
        const a1r = v128.load_splat<T>(pa1r), a1i = v128.load_splat<T>(pa1i);
        y10r = v128.relaxed_madd<T>(a1r, x0r, y10r);
        y11r = v128.relaxed_madd<T>(a1r, x1r, y11r);
        y10i = v128.relaxed_madd<T>(a1r, x0i, y10i);
        y11i = v128.relaxed_madd<T>(a1r, x1i, y11i);
        y10r = v128.relaxed_nmadd<T>(a1i, x0i, y10r);
        y11r = v128.relaxed_nmadd<T>(a1i, x1i, y11r);
        y10i = v128.relaxed_madd<T>(a1i, x0r, y10i);
        y11i = v128.relaxed_madd<T>(a1i, x1r, y11i);
        pa0r += S;
        pa0i += S;
        pa1r += S;
        pa1i += S;
        pxr += xStride;
        pxi += xStride;
      }
      const o0 = (i * <usize> ldy + j) * S;
      const o1 = o0 + <usize> ldy * S;
      if (accumulate) {
        y00r = v128.add<T>(y00r, v128.load(yr + o0));
        y01r = v128.add<T>(y01r, v128.load(yr + o0, 16));
        y00i = v128.add<T>(y00i, v128.load(yi + o0));
        y01i = v128.add<T>(y01i, v128.load(yi + o0, 16));
        y10r = v128.add<T>(y10r, v128.load(yr + o1));
        y11r = v128.add<T>(y11r, v128.load(yr + o1, 16));
        y10i = v128.add<T>(y10i, v128.load(yi + o1));
        y11i = v128.add<T>(y11i, v128.load(yi + o1, 16));
      }
      v128.store(yr + o0, y00r);
      v128.store(yr + o0, y01r, 16);
      v128.store(yi + o0, y00i);
      v128.store(yi + o0, y01i, 16);
      v128.store(yr + o1, y10r);
      v128.store(yr + o1, y11r, 16);
      v128.store(yi + o1, y10i);
      v128.store(yi + o1, y11i, 16);
    }
  }
}

/** Sum of the lanes of v, in lane order (fixed, so results do not depend on anything else). */
// @ts-ignore: decorator

export function hsum<T>(v: v128): T {
  if (sizeof<T>() == 4) {
    return (v128.extract_lane<T>(v, 0) + v128.extract_lane<T>(v, 1)) +
      (v128.extract_lane<T>(v, 2) + v128.extract_lane<T>(v, 3));
  } else {
    return v128.extract_lane<T>(v, 0) + v128.extract_lane<T>(v, 1);
  }
}

/**
 * M += P Q^H: M is m x n (leading dimension ldm), P is m x nb and Q is n x nb (leading dimension
 * ld), i.e. M[i][j] += sum_b P[i][b] conj(Q[j][b]). Requires m, n even and nb % L == 0. The
 * samples are taken in blocks so that the block of Q stays in L2 while P's rows sweep it.
 */
export function gemm_nh<T>(
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
  const S = <usize> sizeof<T>();
  const L = lanes<T>();
  const BB = 256;
  const row = <usize> ld * S;
  for (let b0 = 0; b0 < nb; b0 += BB) {
    const b1 = min(nb, b0 + BB);
    for (let i = 0; i < m; i += 2) {
      const p0 = <usize> i * row + <usize> b0 * S;
      for (let j = 0; j < n; j += 2) {
        const q0 = <usize> j * row + <usize> b0 * S;
        let m00r = v128.splat<T>(0), m00i = v128.splat<T>(0);
        let m01r = v128.splat<T>(0), m01i = v128.splat<T>(0);
        let m10r = v128.splat<T>(0), m10i = v128.splat<T>(0);
        let m11r = v128.splat<T>(0), m11i = v128.splat<T>(0);
        let off: usize = 0;
        for (let b = b0; b < b1; b += L) {
          const a0r = v128.load(pr + p0 + off), a0i = v128.load(pi + p0 + off);
          const a1r = v128.load(pr + p0 + row + off), a1i = v128.load(pi + p0 + row + off);
          const c0r = v128.load(qr + q0 + off), c0i = v128.load(qi + q0 + off);
          const c1r = v128.load(qr + q0 + row + off), c1i = v128.load(qi + q0 + row + off);
          // a conj(c) = (ar cr + ai ci) + i (ai cr - ar ci)
          m00r = conjRe<T>(m00r, a0r, a0i, c0r, c0i);
          m00i = conjIm<T>(m00i, a0r, a0i, c0r, c0i);
          m01r = conjRe<T>(m01r, a0r, a0i, c1r, c1i);
          m01i = conjIm<T>(m01i, a0r, a0i, c1r, c1i);
          m10r = conjRe<T>(m10r, a1r, a1i, c0r, c0i);
          m10i = conjIm<T>(m10i, a1r, a1i, c0r, c0i);
          m11r = conjRe<T>(m11r, a1r, a1i, c1r, c1i);
          m11i = conjIm<T>(m11i, a1r, a1i, c1r, c1i);
          off += 16;
        }
        const o0 = (<usize> i * <usize> ldm + <usize> j) * S;
        const o1 = o0 + <usize> ldm * S;
        store<T>(mr + o0, load<T>(mr + o0) + hsum<T>(m00r));
        store<T>(mi + o0, load<T>(mi + o0) + hsum<T>(m00i));
        store<T>(mr + o0 + S, load<T>(mr + o0 + S) + hsum<T>(m01r));
        store<T>(mi + o0 + S, load<T>(mi + o0 + S) + hsum<T>(m01i));
        store<T>(mr + o1, load<T>(mr + o1) + hsum<T>(m10r));
        store<T>(mi + o1, load<T>(mi + o1) + hsum<T>(m10i));
        store<T>(mr + o1 + S, load<T>(mr + o1 + S) + hsum<T>(m11r));
        store<T>(mi + o1 + S, load<T>(mi + o1 + S) + hsum<T>(m11i));
      }
    }
  }
}
