// Lane-wise complex arithmetic on v128 vectors of T (f32 or f64) held as re/im planes, in the
// fixed order of operations that the kernels' bits depend on (relaxed madd/nmadd, never
// reassociated). Every helper is inlined.

/** Re(x a + y b): one row of a 2x2 complex gate [x y] applied to the pair (a, b). */
// @ts-ignore: decorator
@inline
export function rowRe<T>(xr: v128, xi: v128, yr: v128, yi: v128, ar: v128, ai: v128, br: v128, bi: v128): v128 {
  let v = v128.mul<T>(xr, ar);
  v = v128.relaxed_nmadd<T>(xi, ai, v);
  v = v128.relaxed_madd<T>(yr, br, v);
  return v128.relaxed_nmadd<T>(yi, bi, v);
}

/** Im(x a + y b). */
// @ts-ignore: decorator
@inline
export function rowIm<T>(xr: v128, xi: v128, yr: v128, yi: v128, ar: v128, ai: v128, br: v128, bi: v128): v128 {
  let v = v128.mul<T>(xr, ai);
  v = v128.relaxed_madd<T>(xi, ar, v);
  v = v128.relaxed_madd<T>(yr, bi, v);
  return v128.relaxed_madd<T>(yi, br, v);
}

/** acc + Re(x a + y b). */
// @ts-ignore: decorator
@inline
export function rowReAdd<T>(acc: v128, xr: v128, xi: v128, yr: v128, yi: v128, ar: v128, ai: v128, br: v128, bi: v128): v128 {
  acc = v128.relaxed_madd<T>(xr, ar, acc);
  acc = v128.relaxed_nmadd<T>(xi, ai, acc);
  acc = v128.relaxed_madd<T>(yr, br, acc);
  return v128.relaxed_nmadd<T>(yi, bi, acc);
}

/** acc + Im(x a + y b). */
// @ts-ignore: decorator
@inline
export function rowImAdd<T>(acc: v128, xr: v128, xi: v128, yr: v128, yi: v128, ar: v128, ai: v128, br: v128, bi: v128): v128 {
  acc = v128.relaxed_madd<T>(xr, ai, acc);
  acc = v128.relaxed_madd<T>(xi, ar, acc);
  acc = v128.relaxed_madd<T>(yr, bi, acc);
  return v128.relaxed_madd<T>(yi, br, acc);
}

/** acc + Re(a conj(c)) = acc + ar cr + ai ci. */
// @ts-ignore: decorator
@inline
export function conjRe<T>(acc: v128, ar: v128, ai: v128, cr: v128, ci: v128): v128 {
  acc = v128.relaxed_madd<T>(ar, cr, acc);
  return v128.relaxed_madd<T>(ai, ci, acc);
}

/** acc + Im(a conj(c)) = acc + ai cr - ar ci. */
// @ts-ignore: decorator
@inline
export function conjIm<T>(acc: v128, ar: v128, ai: v128, cr: v128, ci: v128): v128 {
  acc = v128.relaxed_madd<T>(ai, cr, acc);
  return v128.relaxed_nmadd<T>(ar, ci, acc);
}
