// Float32 compute kernels of the WebGPU backend (lib/qnn/webgpu/webgpu_simulator.ts).
//
// Complex matrices are split re/im: a buffer holds the real plane, then the imaginary plane
// (`plane` floats later). Batch states are 256 x ld (column b = sample b, amplitude-major),
// 256 x 256 matrices have ld 256. Wire q is bit q of the amplitude index. A gate is 8 floats
// [g00r, g00i, g01r, g01i, g10r, g10i, g11r, g11i]; per-sample gates u are [q][k][ld]
// (component k of sample b's gate on wire q at (q * 8 + k) * ld + b), as the WebAssembly
// kernels lay them out. Every kernel reads its sizes from `args` (bound with a dynamic offset,
// so one buffer serves all dispatches of a submission) and its data from b1..b8. The `_tangent`
// kernels are forward mode (jvp, Hessian-vector products): each carries a tangent next to its
// primal value, updated by the product rule.

struct Args {
  n0: u32, n1: u32, n2: u32, n3: u32, n4: u32, n5: u32, n6: u32, n7: u32,
  n8: u32, n9: u32, n10: u32, n11: u32, n12: u32, n13: u32, n14: u32, n15: u32,
}

@group(0) @binding(0) var<uniform> args: Args;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> b2: array<f32>;
@group(0) @binding(3) var<storage, read_write> b3: array<f32>;
@group(0) @binding(4) var<storage, read_write> b4: array<f32>;
@group(0) @binding(5) var<storage, read_write> b5: array<f32>;
@group(0) @binding(6) var<storage, read_write> b6: array<f32>;
@group(0) @binding(7) var<storage, read_write> b7: array<f32>;
@group(0) @binding(8) var<storage, read_write> b8: array<f32>;

// One 256-amplitude vector per workgroup (a column, a row or a sample's state).
var<workgroup> vr: array<f32, 256>;
var<workgroup> vi: array<f32, 256>;
// A second vector (encode_backward: the state next to the adjoint; `_tangent`: v's tangent).
var<workgroup> wr: array<f32, 256>;
var<workgroup> wi: array<f32, 256>;
// Two more (encode_backward_tangent: the state and its tangent next to the adjoint's pair).
var<workgroup> xr_v: array<f32, 256>;
var<workgroup> xi_v: array<f32, 256>;
var<workgroup> yr_v: array<f32, 256>;
var<workgroup> yi_v: array<f32, 256>;

/** The p-th row (p < 128) with bit q clear. */
fn pair_row(p: u32, q: u32) -> u32 {
  return ((p >> q) << (q + 1u)) | (p & ((1u << q) - 1u));
}

/** The CZ ring's diagonal at basis state r: -1 for an odd number of adjacent pairs both 1. */
fn cz_sign(r: u32) -> f32 {
  let rot = ((r >> 1u) | (r << 7u)) & 255u;
  return select(1.0, -1.0, (countOneBits(r & rot) & 1u) == 1u);
}

/** Thread p of 128 applies gate g to the pair (r0, r0 | 2^q) of the shared vector v. */
fn gate_on_v(p: u32, q: u32, g: array<f32, 8>) {
  let r0 = pair_row(p, q);
  let r1 = r0 | (1u << q);
  let ar = vr[r0];
  let ai = vi[r0];
  let br = vr[r1];
  let bi = vi[r1];
  vr[r0] = g[0] * ar - g[1] * ai + g[2] * br - g[3] * bi;
  vi[r0] = g[0] * ai + g[1] * ar + g[2] * bi + g[3] * br;
  vr[r1] = g[4] * ar - g[5] * ai + g[6] * br - g[7] * bi;
  vi[r1] = g[4] * ai + g[5] * ar + g[6] * bi + g[7] * br;
}

/** Gate at b1[at..at+8), complex-conjugated when conj (row sweeps: M G^H row by row). */
fn gate_b1(at: u32, conj: bool) -> array<f32, 8> {
  let s = select(1.0, -1.0, conj);
  return array<f32, 8>(
    b1[at], s * b1[at + 1u], b1[at + 2u], s * b1[at + 3u],
    b1[at + 4u], s * b1[at + 5u], b1[at + 6u], s * b1[at + 7u],
  );
}

/**
 * U = prod_k D^cz (g_k7 x ... x g_k0), built column by column from the identity (workgroup c:
 * column c). b1: gates [layer][wire][8]; b2: U (256 x 256). args: n0 layers, n1 offset of the
 * first gate in b1, n2 = 1 to leave out the last layer's CZ ring.
 */
@compute @workgroup_size(128)
fn build_unitary(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = wg.x;
  let t = lid.x;
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    vr[r] = select(0.0, 1.0, r == c);
    vi[r] = 0.0;
  }
  workgroupBarrier();
  for (var k = 0u; k < args.n0; k++) {
    for (var q = 0u; q < 8u; q++) {
      gate_on_v(t, q, gate_b1(args.n1 + (k * 8u + q) * 8u, false));
      workgroupBarrier();
    }
    if (!(args.n2 == 1u && k + 1u == args.n0)) {
      for (var h = 0u; h < 2u; h++) {
        let r = t + 128u * h;
        let s = cz_sign(r);
        vr[r] = s * vr[r];
        vi[r] = s * vi[r];
      }
      workgroupBarrier();
    }
  }
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    b2[r * 256u + c] = vr[r];
    b2[65536u + r * 256u + c] = vi[r];
  }
}

/**
 * An encoding: out[:, b] = D (u_b7 x ... x u_b0) in[:, b] (workgroup b: sample b). b1: in (a
 * batch, or one state when n2 = 1); b2: u; b3: out. args: n0 samples, n1 ld.
 */
@compute @workgroup_size(128)
fn encode(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = wg.x;
  let t = lid.x;
  let ld = args.n1;
  let plane = 256u * ld;
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    if (args.n2 == 1u) {
      vr[r] = b1[r];
      vi[r] = b1[256u + r];
    } else {
      vr[r] = b1[r * ld + b];
      vi[r] = b1[plane + r * ld + b];
    }
  }
  workgroupBarrier();
  for (var q = 0u; q < 8u; q++) {
    let at = q * 8u * ld + b;
    let g = array<f32, 8>(
      b2[at], b2[at + ld], b2[at + 2u * ld], b2[at + 3u * ld],
      b2[at + 4u * ld], b2[at + 5u * ld], b2[at + 6u * ld], b2[at + 7u * ld],
    );
    gate_on_v(t, q, g);
    workgroupBarrier();
  }
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    let s = cz_sign(r);
    b3[r * ld + b] = s * vr[r];
    b3[plane + r * ld + b] = s * vi[r];
  }
}

var<workgroup> ar_t: array<array<f32, 16>, 16>;
var<workgroup> ai_t: array<array<f32, 16>, 16>;
var<workgroup> br_t: array<array<f32, 16>, 16>;
var<workgroup> bi_t: array<array<f32, 16>, 16>;

/**
 * Complex GEMM C (+)= op(A) op(B), C M x N, inner size K, in 16 x 16 tiles. Strides make the
 * three uses one kernel: U X (A row-major), U^H X (A read transposed, conjugated) and
 * M += P Q^H (B read transposed, conjugated). b1: A, b2: B, b3: C. args: n0 M, n1 N, n2 K,
 * n3 A's plane, n4/n5 A's strides in i/k, n6 B's plane, n7/n8 B's strides in k/j, n9 C's
 * plane, n10 C's ld, n11 flags (1 conj A, 2 conj B, 4 accumulate).
 */
@compute @workgroup_size(16, 16)
fn gemm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = wg.y * 16u + lid.y;
  let j = wg.x * 16u + lid.x;
  let sa = select(1.0, -1.0, (args.n11 & 1u) != 0u);
  let sb = select(1.0, -1.0, (args.n11 & 2u) != 0u);
  var cr = 0.0;
  var ci = 0.0;
  for (var k0 = 0u; k0 < args.n2; k0 += 16u) {
    // A tile: rows of this workgroup, columns k0..k0+16; B tile: rows k0..k0+16, its columns.
    let ka = k0 + lid.x;
    if (i < args.n0 && ka < args.n2) {
      let at = i * args.n4 + ka * args.n5;
      ar_t[lid.y][lid.x] = b1[at];
      ai_t[lid.y][lid.x] = sa * b1[args.n3 + at];
    } else {
      ar_t[lid.y][lid.x] = 0.0;
      ai_t[lid.y][lid.x] = 0.0;
    }
    let kb = k0 + lid.y;
    if (j < args.n1 && kb < args.n2) {
      let bt = kb * args.n7 + j * args.n8;
      br_t[lid.y][lid.x] = b2[bt];
      bi_t[lid.y][lid.x] = sb * b2[args.n6 + bt];
    } else {
      br_t[lid.y][lid.x] = 0.0;
      bi_t[lid.y][lid.x] = 0.0;
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) {
      let xr = ar_t[lid.y][k];
      let xi = ai_t[lid.y][k];
      let yr = br_t[k][lid.x];
      let yi = bi_t[k][lid.x];
      cr = cr + xr * yr - xi * yi;
      ci = ci + xr * yi + xi * yr;
    }
    workgroupBarrier();
  }
  if (i < args.n0 && j < args.n1) {
    let ct = i * args.n10 + j;
    if ((args.n11 & 4u) != 0u) {
      b3[ct] += cr;
      b3[args.n9 + ct] += ci;
    } else {
      b3[ct] = cr;
      b3[args.n9 + ct] = ci;
    }
  }
}

/**
 * Expectations per sample: y[k][b] for k = 0..9 are <X0>..<X4>, <Z0>..<Z4> of column b.
 * b1: psi; b2: y (10 x ld). args: n0 samples, n1 ld.
 */
@compute @workgroup_size(64)
fn measure(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= args.n0) {
    return;
  }
  let ld = args.n1;
  let plane = 256u * ld;
  var z = array<f32, 5>(0.0, 0.0, 0.0, 0.0, 0.0);
  var x = array<f32, 5>(0.0, 0.0, 0.0, 0.0, 0.0);
  for (var r = 0u; r < 256u; r++) {
    let pr = b1[r * ld + b];
    let pi = b1[plane + r * ld + b];
    let p = pr * pr + pi * pi;
    for (var q = 0u; q < 5u; q++) {
      let o = r ^ (1u << q);
      z[q] += select(p, -p, ((r >> q) & 1u) == 1u);
      x[q] += pr * b1[o * ld + b] + pi * b1[plane + o * ld + b];
    }
  }
  for (var q = 0u; q < 5u; q++) {
    b2[q * ld + b] = x[q];
    b2[(5u + q) * ld + b] = z[q];
  }
}

/**
 * The outputs' adjoint state lam[:, b] = sum_k cot[k][b] O_k psi[:, b] (added to lam when
 * n2 = 1). b1: psi; b2: cot (10 x ld); b3: lam. args: n0 samples, n1 ld. Thread (b, r).
 */
@compute @workgroup_size(64, 4)
fn observe_adjoint(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  let r = gid.y;
  if (b >= args.n0) {
    return;
  }
  let ld = args.n1;
  let plane = 256u * ld;
  var zc = 0.0;
  var lr = 0.0;
  var li = 0.0;
  for (var q = 0u; q < 5u; q++) {
    let cz = b2[(5u + q) * ld + b];
    zc += select(cz, -cz, ((r >> q) & 1u) == 1u);
    let cx = b2[q * ld + b];
    let o = r ^ (1u << q);
    lr += cx * b1[o * ld + b];
    li += cx * b1[plane + o * ld + b];
  }
  lr += zc * b1[r * ld + b];
  li += zc * b1[plane + r * ld + b];
  if (args.n2 == 1u) {
    b3[r * ld + b] += lr;
    b3[plane + r * ld + b] += li;
  } else {
    b3[r * ld + b] = lr;
    b3[plane + r * ld + b] = li;
  }
}

/**
 * Backward of an encoding (workgroup b: sample b). With mu = D lin and phi = D psi (psi the
 * state after the encoding): R_q[c][a] = sum_rest phi[(c,rest)] conj(mu[(a,rest)]) into r
 * ([q][k][ld], k as for u), and lout = (x u_q)^H mu. b1: lin; b2: psi; b3: u; b4: lout; b5: r.
 * args: n0 samples, n1 ld.
 */
@compute @workgroup_size(128)
fn encode_backward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let b = wg.x;
  let t = lid.x;
  let ld = args.n1;
  let plane = 256u * ld;
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    let s = cz_sign(r);
    vr[r] = s * b1[r * ld + b];
    vi[r] = s * b1[plane + r * ld + b];
    wr[r] = s * b2[r * ld + b];
    wi[r] = s * b2[plane + r * ld + b];
  }
  workgroupBarrier();
  if (t < 32u) {
    let q = t / 4u;
    let c = (t / 2u) % 2u;
    let a = t % 2u;
    var sr = 0.0;
    var si = 0.0;
    for (var p = 0u; p < 128u; p++) {
      let r0 = pair_row(p, q);
      let rc = r0 | (c << q);
      let ra = r0 | (a << q);
      // phi conj(mu) = (fr mr + fi mi) + i (fi mr - fr mi)
      sr += wr[rc] * vr[ra] + wi[rc] * vi[ra];
      si += wi[rc] * vr[ra] - wr[rc] * vi[ra];
    }
    let at = (q * 8u + (c * 2u + a) * 2u) * ld + b;
    b5[at] = sr;
    b5[at + ld] = si;
  }
  workgroupBarrier();
  for (var q = 0u; q < 8u; q++) {
    let at = q * 8u * ld + b;
    // u^H = [[conj u00, conj u10], [conj u01, conj u11]]
    let g = array<f32, 8>(
      b3[at], -b3[at + ld], b3[at + 4u * ld], -b3[at + 5u * ld],
      b3[at + 2u * ld], -b3[at + 3u * ld], b3[at + 6u * ld], -b3[at + 7u * ld],
    );
    gate_on_v(t, q, g);
    workgroupBarrier();
  }
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    b4[r * ld + b] = vr[r];
    b4[plane + r * ld + b] = vi[r];
  }
}

/**
 * Partial row sums over samples in blocks of 64 columns: out[blk][i] for i < 256 (re of row
 * i) and 256 + i (im); the caller adds the blocks in float64. b1: x; b2: out. args: n0
 * samples, n1 ld.
 */
@compute @workgroup_size(64)
fn row_sums(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let blk = gid.y;
  if (i >= 512u) {
    return;
  }
  let ld = args.n1;
  let base = select(0u, 256u * ld, i >= 256u) + (i % 256u) * ld;
  var s = 0.0;
  let end = min(args.n0, blk * 64u + 64u);
  for (var b = blk * 64u; b < end; b++) {
    s += b1[base + b];
  }
  b2[blk * 512u + i] = s;
}

/** W <- (g_7 x ... x g_0) W for a 256 x 256 W (workgroup c: column c). b1: gates; b2: W. n0: gate offset. */
@compute @workgroup_size(128)
fn sweep_left(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = wg.x;
  let t = lid.x;
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    vr[r] = b2[r * 256u + c];
    vi[r] = b2[65536u + r * 256u + c];
  }
  workgroupBarrier();
  for (var q = 0u; q < 8u; q++) {
    gate_on_v(t, q, gate_b1(args.n0 + q * 8u, false));
    workgroupBarrier();
  }
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    b2[r * 256u + c] = vr[r];
    b2[65536u + r * 256u + c] = vi[r];
  }
}

/**
 * W <- W G^H row by row (workgroup r: row r), then row r's share of the 2x2 partial traces of
 * the result into rt[n2 + r * 32 + q * 4 ..] as [diag re, diag im, off re, off im] (entry
 * (r, r) and (r, r ^ 2^q)), then, when n1 = 1, entry (r, c) times sgn(r) sgn(c) (D W D).
 * b1: gates; b2: W; b3: rt. n0: gate offset.
 */
@compute @workgroup_size(128)
fn sweep_right(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.x;
  let t = lid.x;
  for (var h = 0u; h < 2u; h++) {
    let c = t + 128u * h;
    vr[c] = b2[row * 256u + c];
    vi[c] = b2[65536u + row * 256u + c];
  }
  workgroupBarrier();
  for (var q = 0u; q < 8u; q++) {
    gate_on_v(t, q, gate_b1(args.n0 + q * 8u, true));
    workgroupBarrier();
  }
  if (t < 8u) {
    let o = row ^ (1u << t);
    let at = args.n2 + row * 32u + t * 4u;
    b3[at] = vr[row];
    b3[at + 1u] = vi[row];
    b3[at + 2u] = vr[o];
    b3[at + 3u] = vi[o];
  }
  let sr = select(1.0, cz_sign(row), args.n1 == 1u);
  for (var h = 0u; h < 2u; h++) {
    let c = t + 128u * h;
    let s = select(1.0, sr * cz_sign(c), args.n1 == 1u);
    b2[row * 256u + c] = s * vr[c];
    b2[65536u + row * 256u + c] = s * vi[c];
  }
}

/**
 * The 2x2 partial traces of every layer from the rows' shares (sweep_right): out[k][e] with
 * e = ((q * 2 + c) * 2 + a) * 2 + (0 re | 1 im), R_q[c][a] summed over the 128 rows with bit
 * q = c. b1: rt; b2: out. n0: layers.
 */
@compute @workgroup_size(64)
fn ptrace_reduce(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x / 64u;
  let e = gid.x % 64u;
  if (k >= args.n0) {
    return;
  }
  let q = e / 8u;
  let c = (e / 4u) % 2u;
  let a = (e / 2u) % 2u;
  let part = select(2u, 0u, a == c) + e % 2u;
  var s = 0.0;
  for (var p = 0u; p < 128u; p++) {
    let r = pair_row(p, q) | (c << q);
    s += b1[k * 8192u + r * 32u + q * 4u + part];
  }
  b2[gid.x] = s;
}

// ---- Forward mode (jvp, Hessian-vector products) ----

/** The 2x2 complex gate g on the pair (a, b): [out0 re, out0 im, out1 re, out1 im]. */
fn gate2(g: array<f32, 8>, a: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(
    g[0] * a.x - g[1] * a.y + g[2] * a.z - g[3] * a.w,
    g[0] * a.y + g[1] * a.x + g[2] * a.w + g[3] * a.z,
    g[4] * a.x - g[5] * a.y + g[6] * a.z - g[7] * a.w,
    g[4] * a.y + g[5] * a.x + g[6] * a.w + g[7] * a.z,
  );
}

/** The entrywise complex conjugate of a gate. */
fn conj2(g: array<f32, 8>) -> array<f32, 8> {
  return array<f32, 8>(g[0], -g[1], g[2], -g[3], g[4], -g[5], g[6], -g[7]);
}

/** The conjugate transpose of a gate. */
fn adjoint2(g: array<f32, 8>) -> array<f32, 8> {
  return array<f32, 8>(g[0], -g[1], g[4], -g[5], g[2], -g[3], g[6], -g[7]);
}

/**
 * Thread p of 128 applies gate g to the pair (r0, r0 | 2^q) of v and its tangent to w:
 * (v, w) <- (g v, g w + h v), h the gate's tangent.
 */
fn gate_on_vw(p: u32, q: u32, g: array<f32, 8>, h: array<f32, 8>) {
  let r0 = pair_row(p, q);
  let r1 = r0 | (1u << q);
  let a = vec4<f32>(vr[r0], vi[r0], vr[r1], vi[r1]);
  let da = vec4<f32>(wr[r0], wi[r0], wr[r1], wi[r1]);
  let n = gate2(g, a);
  let dn = gate2(g, da) + gate2(h, a);
  vr[r0] = n.x;
  vi[r0] = n.y;
  vr[r1] = n.z;
  vi[r1] = n.w;
  wr[r0] = dn.x;
  wi[r0] = dn.y;
  wr[r1] = dn.z;
  wi[r1] = dn.w;
}

/** Gate at b2[at..at+8) (the tangent gates of the `_tangent` sweeps). */
fn gate_b2(at: u32) -> array<f32, 8> {
  return array<f32, 8>(
    b2[at], b2[at + 1u], b2[at + 2u], b2[at + 3u],
    b2[at + 4u], b2[at + 5u], b2[at + 6u], b2[at + 7u],
  );
}

/** Multiplies v and w by the CZ ring's diagonal (thread t of 128). */
fn cz_vw(t: u32) {
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    let s = cz_sign(r);
    vr[r] = s * vr[r];
    vi[r] = s * vi[r];
    wr[r] = s * wr[r];
    wi[r] = s * wi[r];
  }
}

/**
 * build_unitary with its tangent: (U, dU) column by column from (I, 0). b1: gates; b2: their
 * tangents (same layout); b3: U; b4: dU. args as build_unitary.
 */
@compute @workgroup_size(128)
fn build_unitary_tangent(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let c = wg.x;
  let t = lid.x;
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    vr[r] = select(0.0, 1.0, r == c);
    vi[r] = 0.0;
    wr[r] = 0.0;
    wi[r] = 0.0;
  }
  workgroupBarrier();
  for (var k = 0u; k < args.n0; k++) {
    for (var q = 0u; q < 8u; q++) {
      let at = args.n1 + (k * 8u + q) * 8u;
      gate_on_vw(t, q, gate_b1(at, false), gate_b2(at));
      workgroupBarrier();
    }
    if (!(args.n2 == 1u && k + 1u == args.n0)) {
      cz_vw(t);
      workgroupBarrier();
    }
  }
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    b3[r * 256u + c] = vr[r];
    b3[65536u + r * 256u + c] = vi[r];
    b4[r * 256u + c] = wr[r];
    b4[65536u + r * 256u + c] = wi[r];
  }
}

/**
 * encode with its tangent: (out, dout) = (E in, E din + dE in), dE from the per-sample gate
 * tangents du (layout of u). b1: in; b2: din (single states when n2 = 1); b3: u; b4: du;
 * b5: out; b6: dout. args: n0 samples, n1 ld, n2 broadcast.
 */
@compute @workgroup_size(128)
fn encode_tangent(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = wg.x;
  let t = lid.x;
  let ld = args.n1;
  let plane = 256u * ld;
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    if (args.n2 == 1u) {
      vr[r] = b1[r];
      vi[r] = b1[256u + r];
      wr[r] = b2[r];
      wi[r] = b2[256u + r];
    } else {
      vr[r] = b1[r * ld + b];
      vi[r] = b1[plane + r * ld + b];
      wr[r] = b2[r * ld + b];
      wi[r] = b2[plane + r * ld + b];
    }
  }
  workgroupBarrier();
  for (var q = 0u; q < 8u; q++) {
    let at = q * 8u * ld + b;
    let g = array<f32, 8>(
      b3[at], b3[at + ld], b3[at + 2u * ld], b3[at + 3u * ld],
      b3[at + 4u * ld], b3[at + 5u * ld], b3[at + 6u * ld], b3[at + 7u * ld],
    );
    let dg = array<f32, 8>(
      b4[at], b4[at + ld], b4[at + 2u * ld], b4[at + 3u * ld],
      b4[at + 4u * ld], b4[at + 5u * ld], b4[at + 6u * ld], b4[at + 7u * ld],
    );
    gate_on_vw(t, q, g, dg);
    workgroupBarrier();
  }
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    let s = cz_sign(r);
    b5[r * ld + b] = s * vr[r];
    b5[plane + r * ld + b] = s * vi[r];
    b6[r * ld + b] = s * wr[r];
    b6[plane + r * ld + b] = s * wi[r];
  }
}

/**
 * The outputs' tangents per sample: dy[k][b] = 2 Re <psi|O_k|dpsi> for O_k = X0..X4, Z0..Z4.
 * b1: psi; b2: dpsi; b3: dy (10 x ld). args: n0 samples, n1 ld.
 */
@compute @workgroup_size(64)
fn measure_tangent(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= args.n0) {
    return;
  }
  let ld = args.n1;
  let plane = 256u * ld;
  var z = array<f32, 5>(0.0, 0.0, 0.0, 0.0, 0.0);
  var x = array<f32, 5>(0.0, 0.0, 0.0, 0.0, 0.0);
  for (var r = 0u; r < 256u; r++) {
    let pr = b1[r * ld + b];
    let pi = b1[plane + r * ld + b];
    let p = pr * b2[r * ld + b] + pi * b2[plane + r * ld + b];
    for (var q = 0u; q < 5u; q++) {
      let o = r ^ (1u << q);
      z[q] += select(p, -p, ((r >> q) & 1u) == 1u);
      x[q] += pr * b2[o * ld + b] + pi * b2[plane + o * ld + b];
    }
  }
  for (var q = 0u; q < 5u; q++) {
    b3[q * ld + b] = 2.0 * x[q];
    b3[(5u + q) * ld + b] = 2.0 * z[q];
  }
}

/**
 * encode_backward with its tangent, in place (workgroup b: sample b). With mu = D lam,
 * dmu = D dlam, phi = D psi, dphi = D dpsi: r as encode_backward, dr = the traces of
 * dphi conj(mu) + phi conj(dmu), and (lam, dlam) <- (E^H mu, E^H dmu + dE^H mu), E = x u_q.
 * b1: lam; b2: dlam; b3: psi; b4: dpsi; b5: u; b6: du; b7: r; b8: dr. args: n0 samples, n1 ld.
 */
@compute @workgroup_size(128)
fn encode_backward_tangent(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let b = wg.x;
  let t = lid.x;
  let ld = args.n1;
  let plane = 256u * ld;
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    let s = cz_sign(r);
    vr[r] = s * b1[r * ld + b];
    vi[r] = s * b1[plane + r * ld + b];
    wr[r] = s * b2[r * ld + b];
    wi[r] = s * b2[plane + r * ld + b];
    xr_v[r] = s * b3[r * ld + b];
    xi_v[r] = s * b3[plane + r * ld + b];
    yr_v[r] = s * b4[r * ld + b];
    yi_v[r] = s * b4[plane + r * ld + b];
  }
  workgroupBarrier();
  if (t < 64u) {
    let q = (t % 32u) / 4u;
    let c = (t / 2u) % 2u;
    let a = t % 2u;
    let tangent = t >= 32u;
    var sr = 0.0;
    var si = 0.0;
    for (var p = 0u; p < 128u; p++) {
      let r0 = pair_row(p, q);
      let rc = r0 | (c << q);
      let ra = r0 | (a << q);
      if (tangent) {
        // dphi conj(mu) + phi conj(dmu)
        sr += yr_v[rc] * vr[ra] + yi_v[rc] * vi[ra] + xr_v[rc] * wr[ra] + xi_v[rc] * wi[ra];
        si += yi_v[rc] * vr[ra] - yr_v[rc] * vi[ra] + xi_v[rc] * wr[ra] - xr_v[rc] * wi[ra];
      } else {
        sr += xr_v[rc] * vr[ra] + xi_v[rc] * vi[ra];
        si += xi_v[rc] * vr[ra] - xr_v[rc] * vi[ra];
      }
    }
    let at = (q * 8u + (c * 2u + a) * 2u) * ld + b;
    if (tangent) {
      b8[at] = sr;
      b8[at + ld] = si;
    } else {
      b7[at] = sr;
      b7[at + ld] = si;
    }
  }
  workgroupBarrier();
  for (var q = 0u; q < 8u; q++) {
    let at = q * 8u * ld + b;
    let g = array<f32, 8>(
      b5[at], b5[at + ld], b5[at + 2u * ld], b5[at + 3u * ld],
      b5[at + 4u * ld], b5[at + 5u * ld], b5[at + 6u * ld], b5[at + 7u * ld],
    );
    let dg = array<f32, 8>(
      b6[at], b6[at + ld], b6[at + 2u * ld], b6[at + 3u * ld],
      b6[at + 4u * ld], b6[at + 5u * ld], b6[at + 6u * ld], b6[at + 7u * ld],
    );
    gate_on_vw(t, q, adjoint2(g), adjoint2(dg));
    workgroupBarrier();
  }
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    b1[r * ld + b] = vr[r];
    b1[plane + r * ld + b] = vi[r];
    b2[r * ld + b] = wr[r];
    b2[plane + r * ld + b] = wi[r];
  }
}

/**
 * sweep_left with its tangent: (W, dW) <- (G W, G dW + dG W) (workgroup c: column c).
 * b1: gates; b2: their tangents; b3: W; b4: dW. n0: gate offset.
 */
@compute @workgroup_size(128)
fn sweep_left_tangent(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let c = wg.x;
  let t = lid.x;
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    vr[r] = b3[r * 256u + c];
    vi[r] = b3[65536u + r * 256u + c];
    wr[r] = b4[r * 256u + c];
    wi[r] = b4[65536u + r * 256u + c];
  }
  workgroupBarrier();
  for (var q = 0u; q < 8u; q++) {
    let at = args.n0 + q * 8u;
    gate_on_vw(t, q, gate_b1(at, false), gate_b2(at));
    workgroupBarrier();
  }
  for (var h = 0u; h < 2u; h++) {
    let r = t + 128u * h;
    b3[r * 256u + c] = vr[r];
    b3[65536u + r * 256u + c] = vi[r];
    b4[r * 256u + c] = wr[r];
    b4[65536u + r * 256u + c] = wi[r];
  }
}

/**
 * sweep_right with its tangent: (W, dW) <- (W G^H, dW G^H + W dG^H) row by row, the rows'
 * shares of the partial traces of both into rt and drt (layout of sweep_right's), then D W D and
 * D dW D when n1 = 1. b1: gates; b2: their tangents; b3: W; b4: dW; b5: rt; b6: drt.
 * n0: gate offset; n2: offset in rt and drt.
 */
@compute @workgroup_size(128)
fn sweep_right_tangent(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let row = wg.x;
  let t = lid.x;
  for (var h = 0u; h < 2u; h++) {
    let c = t + 128u * h;
    vr[c] = b3[row * 256u + c];
    vi[c] = b3[65536u + row * 256u + c];
    wr[c] = b4[row * 256u + c];
    wi[c] = b4[65536u + row * 256u + c];
  }
  workgroupBarrier();
  for (var q = 0u; q < 8u; q++) {
    let at = args.n0 + q * 8u;
    gate_on_vw(t, q, gate_b1(at, true), conj2(gate_b2(at)));
    workgroupBarrier();
  }
  if (t < 8u) {
    let o = row ^ (1u << t);
    let at = args.n2 + row * 32u + t * 4u;
    b5[at] = vr[row];
    b5[at + 1u] = vi[row];
    b5[at + 2u] = vr[o];
    b5[at + 3u] = vi[o];
    b6[at] = wr[row];
    b6[at + 1u] = wi[row];
    b6[at + 2u] = wr[o];
    b6[at + 3u] = wi[o];
  }
  let sr = select(1.0, cz_sign(row), args.n1 == 1u);
  for (var h = 0u; h < 2u; h++) {
    let c = t + 128u * h;
    let s = select(1.0, sr * cz_sign(c), args.n1 == 1u);
    b3[row * 256u + c] = s * vr[c];
    b3[65536u + row * 256u + c] = s * vi[c];
    b4[row * 256u + c] = s * wr[c];
    b4[65536u + row * 256u + c] = s * wi[c];
  }
}
