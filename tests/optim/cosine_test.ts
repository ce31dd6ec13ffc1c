import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  cosineAnnealingChain,
  cosineAnnealingLR,
  lrForDepth,
  PAPER_LR_BY_DEPTH,
} from "../../lib/optim/cosine.ts";

// Expected values: PyTorch's CosineAnnealingLR formulas (`_get_closed_form_lr`
// and the chainable `get_lr`) evaluated in CPython 3.11 (math.cos from glibc).
const CLOSED_1E2 = [
  0.01,
  0.009045084971874737,
  0.006545084971874737,
  0.003454915028125263,
  0.0009549150281252633,
  0.0,
  0.0009549150281252622,
  0.0034549150281252623,
  0.0065450849718747366,
  0.009045084971874737,
  0.01,
  0.00904508497187474,
  0.006545084971874738,
];
const CHAIN_1E2 = [
  0.01,
  0.009045084971874737,
  0.0065450849718747366,
  0.0034549150281252628,
  0.0009549150281252632,
  0.0,
  0.0009549150281252627,
  0.003454915028125264,
  0.00654508497187474,
  0.009045084971874742,
  0.010000000000000005,
  0.009045084971874746,
  0.006545084971874742,
];

Deno.test("closed form, epochs 0..12 with T_max = 5: down to 0 at 5, back up to base at 10", () => {
  const got = Array.from({ length: 13 }, (_, e) => cosineAnnealingLR(1e-2, e, 5));
  deepStrictEqual(got, CLOSED_1E2);
  // By hand: (1 + cos(pi e / 5)) / 2 * 0.01.
  for (let e = 0; e <= 12; e++) {
    ok(Math.abs(got[e] - 0.005 * (1 + Math.cos(Math.PI * e / 5))) < 1e-17);
  }
  strictEqual(got[5], 0);
  strictEqual(got[10], 0.01);
  // Period 2 T_max: the same values again 10 epochs later (up to rounding).
  for (let e = 0; e < 40; e++) {
    ok(Math.abs(cosineAnnealingLR(1e-2, e + 10, 5) - cosineAnnealingLR(1e-2, e, 5)) < 1e-16);
  }
});

Deno.test("chainable form equals PyTorch's scheduler.step() sequence bit for bit", () => {
  deepStrictEqual(cosineAnnealingChain(1e-2, 13, 5), CHAIN_1E2);
  // It agrees with the closed form to a few ulps.
  const closed = Array.from({ length: 51 }, (_, e) => cosineAnnealingLR(1e-2, e, 5));
  const chain = cosineAnnealingChain(1e-2, 51, 5);
  for (let e = 0; e <= 50; e++) ok(Math.abs(chain[e] - closed[e]) < 1e-16);
});

Deno.test("eta_min > 0 (both forms; CPython values)", () => {
  deepStrictEqual(
    Array.from({ length: 13 }, (_, e) => cosineAnnealingLR(5e-3, e, 5, 1e-4)),
    [
      0.005,
      0.004532091636218621,
      0.003307091636218621,
      0.0017929083637813791,
      0.000567908363781379,
      0.0001,
      0.0005679083637813785,
      0.0017929083637813785,
      0.0033070916362186206,
      0.004532091636218621,
      0.005,
      0.004532091636218623,
      0.0033070916362186215,
    ],
  );
  deepStrictEqual(cosineAnnealingChain(5e-3, 13, 5, 1e-4), [
    0.005,
    0.004532091636218621,
    0.003307091636218621,
    0.001792908363781379,
    0.000567908363781379,
    0.0001,
    0.0005679083637813787,
    0.0017929083637813793,
    0.003307091636218622,
    0.004532091636218623,
    0.005000000000000002,
    0.004532091636218625,
    0.0033070916362186228,
  ]);
});

Deno.test("lrForDepth: the paper's table, or a given one", () => {
  strictEqual(lrForDepth(50), 1e-2);
  strictEqual(lrForDepth(100), 5e-3);
  strictEqual(lrForDepth(150), 2.5e-3);
  strictEqual(lrForDepth(200), 1e-3);
  strictEqual(lrForDepth(2, { 2: 0.02 }), 0.02);
  throws(() => lrForDepth(3), /depth 3/);
  throws(() => {
    (PAPER_LR_BY_DEPTH as Record<number, number>)[7] = 1;
  });
  throws(() => cosineAnnealingLR(1e-2, -1, 5));
  throws(() => cosineAnnealingLR(1e-2, 1, 0));
});
