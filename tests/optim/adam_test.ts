import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { Adam } from "../../lib/optim/adam.ts";

const P0 = [0.5, -1.25, 3.0, 0.0];
const GRADS = [
  [0.1, -0.2, 0.003, 1.5],
  [0.05, 0.4, -0.002, -1.0],
  [-0.3, 0.1, 0.0, 0.25],
  [0.2, -0.05, 0.001, 0.0],
  [0.0, 0.0, 0.0, 0.0],
];
const LRS = [1e-2, 1e-2, 7.5e-3, 5e-3, 2.5e-3];

Deno.test("first step by hand: p - lr * g / (|g| + eps), g = grad + wd * p", () => {
  const p = Float64Array.from(P0);
  const adam = new Adam(4, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 5e-5 });
  adam.step(p, Float64Array.from(GRADS[0]), 1e-2);
  for (let i = 0; i < 4; i++) {
    const g = GRADS[0][i] + 5e-5 * P0[i];
    const want = P0[i] - 1e-2 * g / (Math.abs(g) + 1e-8);
    ok(Math.abs(p[i] - want) <= 1e-15, `${i}: ${p[i]} vs ${want}`);
  }
  strictEqual(adam.t, 1);
});

Deno.test("five steps with weight decay equal PyTorch's scalar path bit for bit", () => {
  // Expected values: torch/optim/adam.py `_single_tensor_adam` transcribed
  // op by op in CPython floats (lerp_, mul_/addcmul_, sqrt / bc2_sqrt + eps,
  // addcdiv_ with value=-step_size); betas (0.9, 0.999), eps 1e-8, wd 5e-5.
  const want = [
    [0.49000000099974994, -1.2400000004998437, 2.990000031745931, -0.009999999933333333],
    [0.4806778547315784, -1.243659293104363, 2.9879939947563496, -0.01144520293208787],
    [0.48328112677643253, -1.2467751881844877, 2.9866360307716557, -0.012933761004877123],
    [0.48294627765528786, -1.2481507577399176, 2.9850562743157134, -0.013746650768070674],
    [0.482804678409872, -1.2487319077790193, 2.984335997695769, -0.01409018885729491],
  ];
  const p = Float64Array.from(P0);
  const adam = new Adam(4, { weightDecay: 5e-5 }); // default betas and eps
  for (let s = 0; s < 5; s++) {
    const grad = Float64Array.from(GRADS[s]);
    adam.step(p, grad, LRS[s]);
    deepStrictEqual(Array.from(grad), GRADS[s], "grad must not be modified");
    deepStrictEqual(Array.from(p), want[s], `after step ${s + 1}`);
  }
  const st = adam.state();
  strictEqual(st.t, 5);
  deepStrictEqual(Array.from(st.m), [
    0.003915962541774076,
    0.019612491512725577,
    0.00020223656930452814,
    0.045764790261749996,
  ]);
  deepStrictEqual(Array.from(st.v), [
    0.00014223534755620324,
    0.00021180751375010816,
    1.4661151639240788e-08,
    0.003300392263948612,
  ]);
});

Deno.test("lerp's large-weight branch (1 - beta1 >= 0.5) and other hyper-parameters", () => {
  // betas (0.3, 0.5), eps 1e-3, wd 0.1, from the same CPython transcription.
  const want = [
    [0.4900662251655629, -1.2400306748466257, 2.990032894736842, -0.00999333777481679],
    [0.48079399207809387, -1.2446970741710512, 2.9800871722590165, -0.006436982954631592],
    [0.48624444686280127, -1.2455064311415016, 2.972620377682304, -0.007001774871138026],
  ];
  const p = Float64Array.from(P0);
  const adam = new Adam(4, { betas: [0.3, 0.5], eps: 1e-3, weightDecay: 0.1 });
  for (let s = 0; s < 3; s++) {
    adam.step(p, Float64Array.from(GRADS[s]), LRS[s]);
    deepStrictEqual(Array.from(p), want[s]);
  }
});

Deno.test("a constant gradient moves every step by lr * g / (|g| + eps) (bias correction)", () => {
  const adam = new Adam(3);
  const p = new Float64Array(3);
  const g = Float64Array.from([0.3, -2, 1e-3]);
  for (let s = 1; s <= 200; s++) {
    const before = p.slice();
    adam.step(p, g, 0.01);
    for (let i = 0; i < 3; i++) {
      const want = -0.01 * g[i] / (Math.abs(g[i]) + 1e-8);
      ok(Math.abs(p[i] - before[i] - want) < 1e-13, `step ${s}, ${i}`);
    }
  }
});

Deno.test("Math.pow gives CPython's beta ** t (the bias corrections)", () => {
  // CPython 3.11 on glibc: 0.999 ** 2904 and 0.9 ** 3270 are not correctly
  // rounded there, and Math.pow agrees with them.
  strictEqual(Math.pow(0.999, 2904), 0.05472399672737824);
  strictEqual(Math.pow(0.9, 3270), 2.360510119510505e-150);
  strictEqual(Math.pow(0.999, 4630), 0.009732187922540794);
  strictEqual(1 - 0.9, 0.09999999999999998);
});

Deno.test("state() / restore() continue identically; input validation", () => {
  const a = new Adam(4, { weightDecay: 5e-5 });
  const pa = Float64Array.from(P0);
  for (let s = 0; s < 2; s++) a.step(pa, Float64Array.from(GRADS[s]), LRS[s]);
  const saved = a.state();
  const b = Adam.restore(saved, { weightDecay: 5e-5 });
  saved.m[0] = 123; // restore copied it: this must not reach b (nor a)
  const pb = pa.slice();
  for (let s = 2; s < 5; s++) {
    a.step(pa, Float64Array.from(GRADS[s]), LRS[s]);
    b.step(pb, Float64Array.from(GRADS[s]), LRS[s]);
  }
  deepStrictEqual(pb, pa);
  strictEqual(b.t, 5);
  throws(() => a.step(new Float64Array(3), new Float64Array(4), 0.1));
  throws(() => new Adam(2, { betas: [1, 0.9] }));
  throws(() => new Adam(2, { eps: -1 }));
  throws(() => Adam.restore({ t: 1, m: new Float64Array(2), v: new Float64Array(3) }));
});
