// Scalar float64 work: the per-sample 2x2 encoding gates (each a product of 12 rotations) and
// their gradients, and block A, which acts on a single state shared by the whole batch.
//
// Rotation table `rot` (f64): for encoding e (0, 1), wire q, trainable index k (0..7, the angle
// phi[enc + 8q + k]): [cos(theta/2), sin(theta/2)] at ((e * 8 + q) * 8 + k) * 2.
// Data trig `trig` (f64): for feature f and sample b: cos(x/2) at (f * 2) * ld + b, sin(x/2)
// at (f * 2 + 1) * ld + b.

// The 2x2 complex accumulator M (and its tangent N), row-major [00, 01, 10, 11], re/im apart.
let m00r: f64 = 1, m00i: f64 = 0, m01r: f64 = 0, m01i: f64 = 0;
let m10r: f64 = 0, m10i: f64 = 0, m11r: f64 = 1, m11i: f64 = 0;
let n00r: f64 = 0, n00i: f64 = 0, n01r: f64 = 0, n01i: f64 = 0;
let n10r: f64 = 0, n10i: f64 = 0, n11r: f64 = 0, n11i: f64 = 0;

function resetM(): void {
  m00r = 1;
  m00i = 0;
  m01r = 0;
  m01i = 0;
  m10r = 0;
  m10i = 0;
  m11r = 1;
  m11i = 0;
  n00r = 0;
  n00i = 0;
  n01r = 0;
  n01i = 0;
  n10r = 0;
  n10i = 0;
  n11r = 0;
  n11i = 0;
}

/**
 * M <- R M for R = RX (axis 0) or RY (axis 1) with (c, s) = (cos, sin)(theta/2); with a tangent
 * t of theta also N <- R N + t (-i sigma / 2) R M.
 */
function rotLeft(axis: i32, c: f64, s: f64, t: f64): void {
  // Rows of a matrix X: (x0, x1). RX X = (c x0 - i s x1, -i s x0 + c x1); RY X = (c x0 - s x1, s x0 + c x1).
  let a00r: f64, a00i: f64, a01r: f64, a01i: f64, a10r: f64, a10i: f64, a11r: f64, a11i: f64;
  let b00r: f64, b00i: f64, b01r: f64, b01i: f64, b10r: f64, b10i: f64, b11r: f64, b11i: f64;
  if (axis == 0) {
    a00r = c * m00r + s * m10i;
    a00i = c * m00i - s * m10r;
    a01r = c * m01r + s * m11i;
    a01i = c * m01i - s * m11r;
    a10r = c * m10r + s * m00i;
    a10i = c * m10i - s * m00r;
    a11r = c * m11r + s * m01i;
    a11i = c * m11i - s * m01r;
    b00r = c * n00r + s * n10i;
    b00i = c * n00i - s * n10r;
    b01r = c * n01r + s * n11i;
    b01i = c * n01i - s * n11r;
    b10r = c * n10r + s * n00i;
    b10i = c * n10i - s * n00r;
    b11r = c * n11r + s * n01i;
    b11i = c * n11i - s * n01r;
    if (t != 0) {
      // (-i X / 2) A = (-i a1 / 2, -i a0 / 2); -i (x + iy) = y - ix
      const h = 0.5 * t;
      b00r += h * a10i;
      b00i -= h * a10r;
      b01r += h * a11i;
      b01i -= h * a11r;
      b10r += h * a00i;
      b10i -= h * a00r;
      b11r += h * a01i;
      b11i -= h * a01r;
    }
  } else {
    a00r = c * m00r - s * m10r;
    a00i = c * m00i - s * m10i;
    a01r = c * m01r - s * m11r;
    a01i = c * m01i - s * m11i;
    a10r = s * m00r + c * m10r;
    a10i = s * m00i + c * m10i;
    a11r = s * m01r + c * m11r;
    a11i = s * m01i + c * m11i;
    b00r = c * n00r - s * n10r;
    b00i = c * n00i - s * n10i;
    b01r = c * n01r - s * n11r;
    b01i = c * n01i - s * n11i;
    b10r = s * n00r + c * n10r;
    b10i = s * n00i + c * n10i;
    b11r = s * n01r + c * n11r;
    b11i = s * n01i + c * n11i;
    if (t != 0) {
      // (-i Y / 2) A = (-a1 / 2, a0 / 2)
      const h = 0.5 * t;
      b00r -= h * a10r;
      b00i -= h * a10i;
      b01r -= h * a11r;
      b01i -= h * a11i;
      b10r += h * a00r;
      b10i += h * a00i;
      b11r += h * a01r;
      b11i += h * a01i;
    }
  }
  m00r = a00r;
  m00i = a00i;
  m01r = a01r;
  m01i = a01i;
  m10r = a10r;
  m10i = a10i;
  m11r = a11r;
  m11i = a11i;
  n00r = b00r;
  n00i = b00i;
  n01r = b01r;
  n01i = b01i;
  n10r = b10r;
  n10i = b10i;
  n11r = b11r;
  n11i = b11i;
}

/** M <- R^H M R (conjugation by the rotation), used to walk a partial trace back past a gate. */
function conjugateBy(axis: i32, c: f64, s: f64): void {
  // First X = M R, then M = R^H X.
  let x00r: f64, x00i: f64, x01r: f64, x01i: f64, x10r: f64, x10i: f64, x11r: f64, x11i: f64;
  if (axis == 0) {
    // RX = [[c, -is], [-is, c]]: (M R)[i][0] = c m_i0 - i s m_i1, (M R)[i][1] = -i s m_i0 + c m_i1
    x00r = c * m00r + s * m01i;
    x00i = c * m00i - s * m01r;
    x01r = s * m00i + c * m01r;
    x01i = -s * m00r + c * m01i;
    x10r = c * m10r + s * m11i;
    x10i = c * m10i - s * m11r;
    x11r = s * m10i + c * m11r;
    x11i = -s * m10r + c * m11i;
    // RX^H = [[c, is], [is, c]]: row0 = c x0 + i s x1, row1 = i s x0 + c x1; i (x + iy) = -y + ix
    m00r = c * x00r - s * x10i;
    m00i = c * x00i + s * x10r;
    m01r = c * x01r - s * x11i;
    m01i = c * x01i + s * x11r;
    m10r = -s * x00i + c * x10r;
    m10i = s * x00r + c * x10i;
    m11r = -s * x01i + c * x11r;
    m11i = s * x01r + c * x11i;
  } else {
    // RY = [[c, -s], [s, c]]: (M R)[i][0] = c m_i0 + s m_i1, (M R)[i][1] = -s m_i0 + c m_i1
    x00r = c * m00r + s * m01r;
    x00i = c * m00i + s * m01i;
    x01r = -s * m00r + c * m01r;
    x01i = -s * m00i + c * m01i;
    x10r = c * m10r + s * m11r;
    x10i = c * m10i + s * m11i;
    x11r = -s * m10r + c * m11r;
    x11i = -s * m10i + c * m11i;
    // RY^H = [[c, s], [-s, c]]
    m00r = c * x00r + s * x10r;
    m00i = c * x00i + s * x10i;
    m01r = c * x01r + s * x11r;
    m01i = c * x01i + s * x11i;
    m10r = -s * x00r + c * x10r;
    m10i = -s * x00i + c * x10i;
    m11r = -s * x01r + c * x11r;
    m11i = -s * x01i + c * x11i;
  }
}

/** Im tr(sigma M) for sigma = X (axis 0) or Y (axis 1): the derivative of 2 Re tr(-i sigma/2 M). */
// @ts-ignore: decorator

function imTraceSigma(axis: i32): f64 {
  return axis == 0 ? m01i + m10i : m01r - m10r;
}

/** Writes M (or N when tangent != 0) as component k of sample b in a [q][k][ld] array of T. */
// @ts-ignore: decorator

function storeGate<T>(u: usize, ld: i32, q: i32, b: i32, tangent: i32): void {
  const S = <usize> sizeof<T>();
  const plane = <usize> ld * S;
  const p = u + <usize> (q * 8) * plane + <usize> b * S;
  store<T>(p, <T> (tangent ? n00r : m00r));
  store<T>(p + plane, <T> (tangent ? n00i : m00i));
  store<T>(p + 2 * plane, <T> (tangent ? n01r : m01r));
  store<T>(p + 3 * plane, <T> (tangent ? n01i : m01i));
  store<T>(p + 4 * plane, <T> (tangent ? n10r : m10r));
  store<T>(p + 5 * plane, <T> (tangent ? n10i : m10i));
  store<T>(p + 6 * plane, <T> (tangent ? n11r : m11r));
  store<T>(p + 7 * plane, <T> (tangent ? n11i : m11i));
}

/**
 * Data angles and per-sample encoding gates for one QNN. x_f = img[b][pix[f]] + bias[pix[f]]
 * (img: nb x 196 f64; bias: 196 f64; pix: 64 i32). Writes trig, and u1, u2 ([q][k][ld] of T)
 * for the columns the other kernels read, b < ceil(nb / 8) * 8 (columns >= nb get the identity,
 * so padding stays finite; a small chunk does not pay for the whole ld). With drot != 0
 * (tangents of the 64 trainable encoding angles per encoding, [e][q][k] f64) and dx (tangents of
 * the 64 features, f64) also writes the gate tangents du1, du2.
 */
export function enc_prepare<T>(
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
  const tangent = drot != 0;
  const ncols = min(ld, ((nb + 7) >> 3) << 3);
  for (let b = 0; b < ncols; b++) {
    if (b < nb) {
      for (let f = 0; f < 64; f++) {
        const px = <usize> load<i32>(pix + <usize> f * 4);
        const x = load<f64>(img + (<usize> b * 196 + px) * 8) + load<f64>(bias + px * 8);
        store<f64>(trig + (<usize> (f * 2) * <usize> ld + <usize> b) * 8, Math.cos(0.5 * x));
        store<f64>(trig + (<usize> (f * 2 + 1) * <usize> ld + <usize> b) * 8, Math.sin(0.5 * x));
      }
    }
    for (let e = 0; e < 2; e++) {
      for (let q = 0; q < 8; q++) {
        resetM();
        if (b < nb) {
          for (let j = 0; j < 4; j++) {
            const outer = j & 1 ? 0 : 1; // Y for even j, X for odd j
            const k0 = ((e * 8 + q) * 8 + 2 * j) * 2;
            const f = e * 32 + 4 * q + j;
            const t0 = tangent ? load<f64>(drot + <usize> (k0 / 2) * 8) : 0;
            const t1 = tangent ? load<f64>(drot + <usize> (k0 / 2 + 1) * 8) : 0;
            const tx = tangent ? load<f64>(dx + <usize> f * 8) : 0;
            rotLeft(
              outer,
              load<f64>(rot + <usize> k0 * 8),
              load<f64>(rot + <usize> (k0 + 1) * 8),
              t0,
            );
            rotLeft(
              1 - outer,
              load<f64>(trig + (<usize> (f * 2) * <usize> ld + <usize> b) * 8),
              load<f64>(trig + (<usize> (f * 2 + 1) * <usize> ld + <usize> b) * 8),
              tx,
            );
            rotLeft(
              outer,
              load<f64>(rot + <usize> (k0 + 2) * 8),
              load<f64>(rot + <usize> (k0 + 3) * 8),
              t1,
            );
          }
        }
        storeGate<T>(e == 0 ? u1 : u2, ld, q, b, 0);
        if (tangent) storeGate<T>(e == 0 ? du1 : du2, ld, q, b, 1);
      }
    }
  }
}

/**
 * Gradients of one encoding e from its per-sample partial traces r ([q][k][ld] of T, from
 * encode_backward): for each sample b < nb and wire q, walks the 12 rotations backwards,
 * R <- r^H R r, the derivative of each being Im tr(sigma R). Adds the 8 trainable derivatives
 * per wire to gphi[8q + k] and the data derivatives to gx[feature] (f64, b ascending).
 */
export function enc_grads<T>(
  r: usize,
  e: i32,
  nb: i32,
  ld: i32,
  rot: usize,
  trig: usize,
  gphi: usize,
  gx: usize,
): void {
  const S = <usize> sizeof<T>();
  const plane = <usize> ld * S;
  for (let b = 0; b < nb; b++) {
    for (let q = 0; q < 8; q++) {
      const p = r + <usize> (q * 8) * plane + <usize> b * S;
      m00r = <f64> load<T>(p);
      m00i = <f64> load<T>(p + plane);
      m01r = <f64> load<T>(p + 2 * plane);
      m01i = <f64> load<T>(p + 3 * plane);
      m10r = <f64> load<T>(p + 4 * plane);
      m10i = <f64> load<T>(p + 5 * plane);
      m11r = <f64> load<T>(p + 6 * plane);
      m11i = <f64> load<T>(p + 7 * plane);
      for (let j = 3; j >= 0; j--) {
        const outer = j & 1 ? 0 : 1;
        const k0 = ((e * 8 + q) * 8 + 2 * j) * 2;
        const f = e * 32 + 4 * q + j;
        const g1 = gphi + <usize> (8 * q + 2 * j + 1) * 8;
        store<f64>(g1, load<f64>(g1) + imTraceSigma(outer));
        conjugateBy(
          outer,
          load<f64>(rot + <usize> (k0 + 2) * 8),
          load<f64>(rot + <usize> (k0 + 3) * 8),
        );
        const gf = gx + <usize> f * 8;
        store<f64>(gf, load<f64>(gf) + imTraceSigma(1 - outer));
        conjugateBy(
          1 - outer,
          load<f64>(trig + (<usize> (f * 2) * <usize> ld + <usize> b) * 8),
          load<f64>(trig + (<usize> (f * 2 + 1) * <usize> ld + <usize> b) * 8),
        );
        const g0 = gphi + <usize> (8 * q + 2 * j) * 8;
        store<f64>(g0, load<f64>(g0) + imTraceSigma(outer));
        conjugateBy(outer, load<f64>(rot + <usize> k0 * 8), load<f64>(rot + <usize> (k0 + 1) * 8));
      }
    }
  }
}

/**
 * Block A on one f64 state: psi <- D^cz (g_7 x ... x g_0) psi, and with dpsi != 0 its tangent
 * dpsi <- D^cz (G dpsi + dG psi) gate by gate (dg: gate tangents). psi: [re 256, im 256].
 */
export function vec_layer(psi: usize, dpsi: usize, g: usize, dg: usize, cz: i32): void {
  for (let q = 0; q < 8; q++) {
    const gp = g + <usize> (q * 64);
    const hp = dg + <usize> (q * 64);
    const bit = 1 << q;
    for (let p = 0; p < 128; p++) {
      const r0 = ((p >> q) << (q + 1)) | (p & (bit - 1));
      const o0 = <usize> r0 * 8, o1 = <usize> (r0 | bit) * 8;
      loadPair(psi, o0, o1);
      if (dpsi) {
        // tangent first, from the old values: G (da, db) + dG (a, b)
        const ar = pa_r, ai = pa_i, br = pb_r, bi = pb_i;
        loadPair(dpsi, o0, o1);
        mulPair(gp);
        const tr0 = qa_r, ti0 = qa_i, tr1 = qb_r, ti1 = qb_i;
        pa_r = ar;
        pa_i = ai;
        pb_r = br;
        pb_i = bi;
        mulPair(hp);
        storePair(dpsi, o0, o1, tr0 + qa_r, ti0 + qa_i, tr1 + qb_r, ti1 + qb_i);
        pa_r = ar;
        pa_i = ai;
        pb_r = br;
        pb_i = bi;
      }
      mulPair(gp);
      storePair(psi, o0, o1, qa_r, qa_i, qb_r, qb_i);
    }
  }
  if (cz) {
    for (let r = 0; r < 256; r++) {
      if (czSign(r) < 0) {
        store<f64>(psi + <usize> r * 8, -load<f64>(psi + <usize> r * 8));
        store<f64>(psi + 2048 + <usize> r * 8, -load<f64>(psi + 2048 + <usize> r * 8));
        if (dpsi) {
          store<f64>(dpsi + <usize> r * 8, -load<f64>(dpsi + <usize> r * 8));
          store<f64>(dpsi + 2048 + <usize> r * 8, -load<f64>(dpsi + 2048 + <usize> r * 8));
        }
      }
    }
  }
}

/**
 * Backward through one layer of block A. psiAfter: the state after the layer; lam: the adjoint
 * after it, replaced by the adjoint before it. Writes the 8 partial traces
 * R_q[c][a] = sum_rest phi[(c,rest)] conj(mu[(a,rest)]) ([q][k], f64) with phi = D psiAfter,
 * mu = D lam (D = CZ ring when cz != 0, else identity).
 */
export function vec_layer_backward(
  psiAfter: usize,
  lam: usize,
  g: usize,
  cz: i32,
  ptrace: usize,
): void {
  if (cz) {
    for (let r = 0; r < 256; r++) {
      if (czSign(r) < 0) {
        store<f64>(lam + <usize> r * 8, -load<f64>(lam + <usize> r * 8));
        store<f64>(lam + 2048 + <usize> r * 8, -load<f64>(lam + 2048 + <usize> r * 8));
      }
    }
  }
  for (let q = 0; q < 8; q++) {
    let r00r: f64 = 0, r00i: f64 = 0, r01r: f64 = 0, r01i: f64 = 0;
    let r10r: f64 = 0, r10i: f64 = 0, r11r: f64 = 0, r11i: f64 = 0;
    const bit = 1 << q;
    for (let p = 0; p < 128; p++) {
      const r0 = ((p >> q) << (q + 1)) | (p & (bit - 1));
      const r1 = r0 | bit;
      const s0: f64 = cz ? czSign(r0) : 1, s1: f64 = cz ? czSign(r1) : 1;
      const f0r = s0 * load<f64>(psiAfter + <usize> r0 * 8),
        f0i = s0 * load<f64>(psiAfter + 2048 + <usize> r0 * 8);
      const f1r = s1 * load<f64>(psiAfter + <usize> r1 * 8),
        f1i = s1 * load<f64>(psiAfter + 2048 + <usize> r1 * 8);
      const u0r = load<f64>(lam + <usize> r0 * 8), u0i = load<f64>(lam + 2048 + <usize> r0 * 8);
      const u1r = load<f64>(lam + <usize> r1 * 8), u1i = load<f64>(lam + 2048 + <usize> r1 * 8);
      r00r += f0r * u0r + f0i * u0i;
      r00i += f0i * u0r - f0r * u0i;
      r01r += f0r * u1r + f0i * u1i;
      r01i += f0i * u1r - f0r * u1i;
      r10r += f1r * u0r + f1i * u0i;
      r10i += f1i * u0r - f1r * u0i;
      r11r += f1r * u1r + f1i * u1i;
      r11i += f1i * u1r - f1r * u1i;
    }
    const o = ptrace + <usize> (q * 64);
    store<f64>(o, r00r);
    store<f64>(o + 8, r00i);
    store<f64>(o + 16, r01r);
    store<f64>(o + 24, r01i);
    store<f64>(o + 32, r10r);
    store<f64>(o + 40, r10i);
    store<f64>(o + 48, r11r);
    store<f64>(o + 56, r11i);
  }
  // lam <- G^H mu, gate by gate (they commute).
  for (let q = 0; q < 8; q++) {
    const gp = g + <usize> (q * 64);
    const bit = 1 << q;
    const a00r = load<f64>(gp),
      a00i = load<f64>(gp + 8),
      a01r = load<f64>(gp + 16),
      a01i = load<f64>(gp + 24);
    const a10r = load<f64>(gp + 32),
      a10i = load<f64>(gp + 40),
      a11r = load<f64>(gp + 48),
      a11i = load<f64>(gp + 56);
    for (let p = 0; p < 128; p++) {
      const r0 = ((p >> q) << (q + 1)) | (p & (bit - 1));
      const o0 = <usize> r0 * 8, o1 = <usize> (r0 | bit) * 8;
      const xr = load<f64>(lam + o0), xi = load<f64>(lam + 2048 + o0);
      const yr = load<f64>(lam + o1), yi = load<f64>(lam + 2048 + o1);
      // G^H = [[conj a00, conj a10], [conj a01, conj a11]]
      store<f64>(lam + o0, a00r * xr + a00i * xi + a10r * yr + a10i * yi);
      store<f64>(lam + 2048 + o0, a00r * xi - a00i * xr + a10r * yi - a10i * yr);
      store<f64>(lam + o1, a01r * xr + a01i * xi + a11r * yr + a11i * yi);
      store<f64>(lam + 2048 + o1, a01r * xi - a01i * xr + a11r * yi - a11i * yr);
    }
  }
}

/** The CZ ring's diagonal entry at basis state r: (-1)^(number of adjacent wire pairs both 1). */
// @ts-ignore: decorator

export function czSign(r: i32): f64 {
  const rot = ((r >> 1) | (r << 7)) & 255;
  return popcnt<i32>(r & rot) & 1 ? -1.0 : 1.0;
}

let pa_r: f64 = 0, pa_i: f64 = 0, pb_r: f64 = 0, pb_i: f64 = 0;
let qa_r: f64 = 0, qa_i: f64 = 0, qb_r: f64 = 0, qb_i: f64 = 0;

// @ts-ignore: decorator

function loadPair(v: usize, o0: usize, o1: usize): void {
  pa_r = load<f64>(v + o0);
  pa_i = load<f64>(v + 2048 + o0);
  pb_r = load<f64>(v + o1);
  pb_i = load<f64>(v + 2048 + o1);
}

/** (qa, qb) = g (pa, pb). */
// @ts-ignore: decorator

function mulPair(g: usize): void {
  const a00r = load<f64>(g),
    a00i = load<f64>(g + 8),
    a01r = load<f64>(g + 16),
    a01i = load<f64>(g + 24);
  const a10r = load<f64>(g + 32),
    a10i = load<f64>(g + 40),
    a11r = load<f64>(g + 48),
    a11i = load<f64>(g + 56);
  qa_r = a00r * pa_r - a00i * pa_i + a01r * pb_r - a01i * pb_i;
  qa_i = a00r * pa_i + a00i * pa_r + a01r * pb_i + a01i * pb_r;
  qb_r = a10r * pa_r - a10i * pa_i + a11r * pb_r - a11i * pb_i;
  qb_i = a10r * pa_i + a10i * pa_r + a11r * pb_i + a11i * pb_r;
}

// @ts-ignore: decorator

function storePair(v: usize, o0: usize, o1: usize, ar: f64, ai: f64, br: f64, bi: f64): void {
  store<f64>(v + o0, ar);
  store<f64>(v + 2048 + o0, ai);
  store<f64>(v + o1, br);
  store<f64>(v + 2048 + o1, bi);
}

/** Fills sgn (256 values of T) with the CZ ring's diagonal. */
export function cz_signs<T>(sgn: usize): void {
  for (let r = 0; r < 256; r++) store<T>(sgn + <usize> r * sizeof<T>(), <T> czSign(r));
}

/** Exchanges M and N. */
function swapMN(): void {
  let t = m00r;
  m00r = n00r;
  n00r = t;
  t = m00i;
  m00i = n00i;
  n00i = t;
  t = m01r;
  m01r = n01r;
  n01r = t;
  t = m01i;
  m01i = n01i;
  n01i = t;
  t = m10r;
  m10r = n10r;
  n10r = t;
  t = m10i;
  m10i = n10i;
  n10i = t;
  t = m11r;
  m11r = n11r;
  n11r = t;
  t = m11i;
  m11i = n11i;
  n11i = t;
}

/**
 * One step of the tangent walk past a rotation exp(-i t sigma/2) with angle tangent dt: with
 * M <- r^H M r, its tangent is N <- r^H (N + (i dt/2) [sigma, M]) r.
 */
function walkTangent(axis: i32, c: f64, s: f64, dt: f64): void {
  const h = 0.5 * dt;
  if (axis == 0) {
    // [X, M] = [[m10 - m01, m11 - m00], [m00 - m11, m01 - m10]]; i h (a + ib) = -h b + i h a
    n00r -= h * (m10i - m01i);
    n00i += h * (m10r - m01r);
    n01r -= h * (m11i - m00i);
    n01i += h * (m11r - m00r);
    n10r -= h * (m00i - m11i);
    n10i += h * (m00r - m11r);
    n11r -= h * (m01i - m10i);
    n11i += h * (m01r - m10r);
  } else {
    // [Y, M] = i K, K = [[-(m01 + m10), m00 - m11], [m00 - m11, m01 + m10]]: N -= h K
    n00r += h * (m01r + m10r);
    n00i += h * (m01i + m10i);
    n01r -= h * (m00r - m11r);
    n01i -= h * (m00i - m11i);
    n10r -= h * (m00r - m11r);
    n10i -= h * (m00i - m11i);
    n11r -= h * (m01r + m10r);
    n11i -= h * (m01i + m10i);
  }
  conjugateBy(axis, c, s);
  swapMN();
  conjugateBy(axis, c, s);
  swapMN();
}

/**
 * Forward mode of enc_grads along a tangent: r, dr the per-sample partial traces and their
 * tangents ([q][k][ld] of T, from encode_backward_tangent); drot, dx the tangents of the
 * trainable angles ([e][q][k], f64) and of the 64 features. Adds the tangents of the
 * derivatives that enc_grads adds, to dgphi[8q + k] and dgx[feature] (f64, b ascending).
 */
export function enc_grads_tangent<T>(
  r: usize,
  dr: usize,
  e: i32,
  nb: i32,
  ld: i32,
  rot: usize,
  trig: usize,
  drot: usize,
  dx: usize,
  dgphi: usize,
  dgx: usize,
): void {
  const S = <usize> sizeof<T>();
  const plane = <usize> ld * S;
  for (let b = 0; b < nb; b++) {
    for (let q = 0; q < 8; q++) {
      const p = r + <usize> (q * 8) * plane + <usize> b * S;
      const t = dr + <usize> (q * 8) * plane + <usize> b * S;
      m00r = <f64> load<T>(p);
      m00i = <f64> load<T>(p + plane);
      m01r = <f64> load<T>(p + 2 * plane);
      m01i = <f64> load<T>(p + 3 * plane);
      m10r = <f64> load<T>(p + 4 * plane);
      m10i = <f64> load<T>(p + 5 * plane);
      m11r = <f64> load<T>(p + 6 * plane);
      m11i = <f64> load<T>(p + 7 * plane);
      n00r = <f64> load<T>(t);
      n00i = <f64> load<T>(t + plane);
      n01r = <f64> load<T>(t + 2 * plane);
      n01i = <f64> load<T>(t + 3 * plane);
      n10r = <f64> load<T>(t + 4 * plane);
      n10i = <f64> load<T>(t + 5 * plane);
      n11r = <f64> load<T>(t + 6 * plane);
      n11i = <f64> load<T>(t + 7 * plane);
      for (let j = 3; j >= 0; j--) {
        const outer = j & 1 ? 0 : 1;
        const k0 = ((e * 8 + q) * 8 + 2 * j) * 2;
        const f = e * 32 + 4 * q + j;
        swapMN();
        const g1 = dgphi + <usize> (8 * q + 2 * j + 1) * 8;
        store<f64>(g1, load<f64>(g1) + imTraceSigma(outer));
        swapMN();
        walkTangent(
          outer,
          load<f64>(rot + <usize> (k0 + 2) * 8),
          load<f64>(rot + <usize> (k0 + 3) * 8),
          load<f64>(drot + <usize> (k0 / 2 + 1) * 8),
        );
        swapMN();
        const gf = dgx + <usize> f * 8;
        store<f64>(gf, load<f64>(gf) + imTraceSigma(1 - outer));
        swapMN();
        walkTangent(
          1 - outer,
          load<f64>(trig + (<usize> (f * 2) * <usize> ld + <usize> b) * 8),
          load<f64>(trig + (<usize> (f * 2 + 1) * <usize> ld + <usize> b) * 8),
          load<f64>(dx + <usize> f * 8),
        );
        swapMN();
        const g0 = dgphi + <usize> (8 * q + 2 * j) * 8;
        store<f64>(g0, load<f64>(g0) + imTraceSigma(outer));
        swapMN();
        walkTangent(
          outer,
          load<f64>(rot + <usize> k0 * 8),
          load<f64>(rot + <usize> (k0 + 1) * 8),
          load<f64>(drot + <usize> (k0 / 2) * 8),
        );
      }
    }
  }
}

/** Adds the 8 partial traces sum_rest (s f)[(c,rest)] conj(m[(a,rest)]) to pt (s: CZ signs). */
function vecTraces(f: usize, m: usize, cz: i32, pt: usize): void {
  for (let q = 0; q < 8; q++) {
    let r00r: f64 = 0, r00i: f64 = 0, r01r: f64 = 0, r01i: f64 = 0;
    let r10r: f64 = 0, r10i: f64 = 0, r11r: f64 = 0, r11i: f64 = 0;
    const bit = 1 << q;
    for (let p = 0; p < 128; p++) {
      const r0 = ((p >> q) << (q + 1)) | (p & (bit - 1));
      const r1 = r0 | bit;
      const s0: f64 = cz ? czSign(r0) : 1, s1: f64 = cz ? czSign(r1) : 1;
      const f0r = s0 * load<f64>(f + <usize> r0 * 8), f0i = s0 * load<f64>(f + 2048 + <usize> r0 * 8);
      const f1r = s1 * load<f64>(f + <usize> r1 * 8), f1i = s1 * load<f64>(f + 2048 + <usize> r1 * 8);
      const u0r = load<f64>(m + <usize> r0 * 8), u0i = load<f64>(m + 2048 + <usize> r0 * 8);
      const u1r = load<f64>(m + <usize> r1 * 8), u1i = load<f64>(m + 2048 + <usize> r1 * 8);
      r00r += f0r * u0r + f0i * u0i;
      r00i += f0i * u0r - f0r * u0i;
      r01r += f0r * u1r + f0i * u1i;
      r01i += f0i * u1r - f0r * u1i;
      r10r += f1r * u0r + f1i * u0i;
      r10i += f1i * u0r - f1r * u0i;
      r11r += f1r * u1r + f1i * u1i;
      r11i += f1i * u1r - f1r * u1i;
    }
    const o = pt + <usize> (q * 64);
    store<f64>(o, load<f64>(o) + r00r);
    store<f64>(o + 8, load<f64>(o + 8) + r00i);
    store<f64>(o + 16, load<f64>(o + 16) + r01r);
    store<f64>(o + 24, load<f64>(o + 24) + r01i);
    store<f64>(o + 32, load<f64>(o + 32) + r10r);
    store<f64>(o + 40, load<f64>(o + 40) + r10i);
    store<f64>(o + 48, load<f64>(o + 48) + r11r);
    store<f64>(o + 56, load<f64>(o + 56) + r11i);
  }
}

/** (qa, qb) += g^H (pa, pb). */
// @ts-ignore: decorator

function mulPairAdjAdd(g: usize): void {
  const a00r = load<f64>(g),
    a00i = load<f64>(g + 8),
    a01r = load<f64>(g + 16),
    a01i = load<f64>(g + 24);
  const a10r = load<f64>(g + 32),
    a10i = load<f64>(g + 40),
    a11r = load<f64>(g + 48),
    a11i = load<f64>(g + 56);
  // g^H = [[conj a00, conj a10], [conj a01, conj a11]]
  qa_r += a00r * pa_r + a00i * pa_i + a10r * pb_r + a10i * pb_i;
  qa_i += a00r * pa_i - a00i * pa_r + a10r * pb_i - a10i * pb_r;
  qb_r += a01r * pa_r + a01i * pa_i + a11r * pb_r + a11i * pb_i;
  qb_i += a01r * pa_i - a01i * pa_r + a11r * pb_i - a11i * pb_r;
}

/**
 * Forward mode of vec_layer_backward along a tangent: psiAfter, dpsiAfter the state after the
 * layer and its tangent; lam, dlam the adjoint after it and its tangent, replaced by those before
 * it. Writes ptrace (as vec_layer_backward) and dptrace, its tangent.
 */
export function vec_layer_backward_tangent(
  psiAfter: usize,
  dpsiAfter: usize,
  lam: usize,
  dlam: usize,
  g: usize,
  dg: usize,
  cz: i32,
  ptrace: usize,
  dptrace: usize,
): void {
  if (cz) {
    for (let r = 0; r < 256; r++) {
      if (czSign(r) < 0) {
        for (let v: usize = 0; v < 2; v++) {
          const a = lam + v * 2048 + <usize> r * 8, b = dlam + v * 2048 + <usize> r * 8;
          store<f64>(a, -load<f64>(a));
          store<f64>(b, -load<f64>(b));
        }
      }
    }
  }
  for (let i: usize = 0; i < 64; i++) {
    store<f64>(ptrace + i * 8, 0);
    store<f64>(dptrace + i * 8, 0);
  }
  vecTraces(psiAfter, lam, cz, ptrace);
  vecTraces(dpsiAfter, lam, cz, dptrace);
  vecTraces(psiAfter, dlam, cz, dptrace);
  for (let q = 0; q < 8; q++) {
    const gp = g + <usize> (q * 64), hp = dg + <usize> (q * 64);
    const bit = 1 << q;
    for (let p = 0; p < 128; p++) {
      const r0 = ((p >> q) << (q + 1)) | (p & (bit - 1));
      const o0 = <usize> r0 * 8, o1 = <usize> (r0 | bit) * 8;
      // tangent from the old values: g^H dl + dg^H l
      qa_r = 0;
      qa_i = 0;
      qb_r = 0;
      qb_i = 0;
      loadPair(dlam, o0, o1);
      mulPairAdjAdd(gp);
      loadPair(lam, o0, o1);
      mulPairAdjAdd(hp);
      storePair(dlam, o0, o1, qa_r, qa_i, qb_r, qb_i);
      qa_r = 0;
      qa_i = 0;
      qb_r = 0;
      qb_i = 0;
      mulPairAdjAdd(gp);
      storePair(lam, o0, o1, qa_r, qa_i, qb_r, qb_i);
    }
  }
}
