import { equal, ok } from "node:assert/strict";
import {
  applyCZRing,
  applyRX,
  applyRY,
  expectX,
  expectZ,
  referenceQnn,
  referenceQnnJacobian,
  zeroState,
} from "../../lib/qnn/reference_simulator.ts";
import { layout, qnnParamCount } from "../../lib/qnn/spec.ts";
import { rng } from "./_problems.ts";

const close = (a: number, b: number, tol = 1e-12) => ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("reference: RX on |0> gives <Z> = cos t, <X> = 0; RY gives <Z> = cos t, <X> = sin t", () => {
  for (const t of [0, 0.3, 1.7, -2.2, Math.PI]) {
    const s = zeroState();
    applyRX(s, 3, t);
    close(expectZ(s, 3), Math.cos(t));
    close(expectX(s, 3), 0);
    close(expectZ(s, 0), 1);
    const u = zeroState();
    applyRY(u, 5, t);
    close(expectZ(u, 5), Math.cos(t));
    close(expectX(u, 5), Math.sin(t));
  }
});

Deno.test("reference: the CZ ring leaves Z expectations of basis states unchanged and is an involution", () => {
  for (const k of [0, 1, 3, 0b10110101, 255]) {
    const s = { re: new Float64Array(256), im: new Float64Array(256) };
    s.re[k] = 1;
    applyCZRing(s);
    for (let w = 0; w < 8; w++) close(expectZ(s, w), (k >> w) & 1 ? -1 : 1);
    close(Math.abs(s.re[k]), 1);
  }
  // On |+>^8 the ring is a non-trivial phase pattern; applying it twice restores |+>^8 (<X> = 1).
  const s = zeroState();
  for (let w = 0; w < 8; w++) applyRY(s, w, Math.PI / 2);
  applyCZRing(s);
  close(expectX(s, 0), 0);
  applyCZRing(s);
  for (let w = 0; w < 8; w++) close(expectX(s, w), 1);
});

Deno.test("reference: an all-zero circuit outputs <X> = 0, <Z> = 1; one final rotation gives cos/sin", () => {
  const d = 2;
  const phi = new Float64Array(qnnParamCount(d));
  const x = new Float64Array(64);
  const y = referenceQnn(d, phi, x);
  for (let w = 0; w < 5; w++) {
    close(y[w], 0);
    close(y[5 + w], 1);
  }
  // Last layer of block C (no CZ ring after it): RX(a) then RY(b) on wire 1 of |0>.
  const base = layout.layer(d, "C", d - 1);
  const a = 0.7, b = -1.1;
  phi[base + 1] = a;
  phi[base + 8 + 1] = b;
  const z = referenceQnn(d, phi, x);
  // RY(b) RX(a)|0>: Bloch vector (cos a sin b, -sin a, cos a cos b).
  close(z[1], Math.cos(a) * Math.sin(b));
  close(z[6], Math.cos(a) * Math.cos(b));
  close(z[0], 0);
  close(z[5], 1);
});

Deno.test("reference: a data angle alone (x[4i+1], an RY in E1) shows up as <Z_i> = cos x", () => {
  const d = 1;
  const phi = new Float64Array(qnnParamCount(d));
  const x = new Float64Array(64);
  x[4 * 2 + 1] = 0.9; // wire 2, j = 1: the data gate is RY
  const y = referenceQnn(d, phi, x);
  close(y[7], Math.cos(0.9));
  // Its neighbours stay |0>, so the CZ ring acts trivially: <X2> = sin x.
  close(y[2], Math.sin(0.9));
});

Deno.test("reference: parameter shift agrees with central finite differences of the reference", () => {
  const d = 1;
  const r = rng(3);
  const phi = Float64Array.from({ length: qnnParamCount(d) }, () => r() * Math.PI);
  const x = Float64Array.from({ length: 64 }, () => r() * 0.8);
  const { dPhi, dX } = referenceQnnJacobian(d, phi, x);
  const h = 1e-5;
  for (const i of [0, 9, 20, 77, 100, 150, 175]) {
    const p = Float64Array.from(phi), m = Float64Array.from(phi);
    p[i] += h;
    m[i] -= h;
    const yp = referenceQnn(d, p, x), ym = referenceQnn(d, m, x);
    for (let o = 0; o < 10; o++) close(dPhi[i * 10 + o], (yp[o] - ym[o]) / (2 * h), 1e-8);
  }
  for (const f of [0, 13, 40, 63]) {
    const p = Float64Array.from(x), m = Float64Array.from(x);
    p[f] += h;
    m[f] -= h;
    const yp = referenceQnn(d, phi, p), ym = referenceQnn(d, phi, m);
    for (let o = 0; o < 10; o++) close(dX[f * 10 + o], (yp[o] - ym[o]) / (2 * h), 1e-8);
  }
  equal(dPhi.length, qnnParamCount(d) * 10);
});
