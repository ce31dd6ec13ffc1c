import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { referenceLossGrad, referenceVjp } from "../../lib/qnn/reference_simulator.ts";
import { crossEntropyHessianProduct } from "../../lib/qnn/loss.ts";
import { InputError, validateInput } from "../../tools/qnn_check.ts";
import { assertClose, rng } from "./_problems.ts";

const TOOL = new URL("../../tools/qnn_check.ts", import.meta.url).pathname;

function validInput(P = 4, d = 1, B = 2, seed = 9) {
  const r = rng(seed);
  return {
    P,
    d,
    images: Array.from({ length: B }, () => Array.from({ length: 196 }, () => r() * 0.78)),
    labels: Array.from({ length: B }, (_, i) => (3 * i + 1) % 10),
    phi: Array.from({ length: P }, () => Array.from({ length: 48 * d + 128 }, () => r() * Math.PI)),
    bias: Array.from({ length: 196 }, () => (r() - 0.5) * 0.2),
  } as Record<string, unknown>;
}

async function runTool(input: unknown): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, typeof input === "string" ? input : JSON.stringify(input));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", TOOL, path],
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("qnn-check: valid input prints one JSON object of the documented shape that matches the reference", async () => {
  const input: Record<string, unknown> = {
    ...validInput(4, 2, 2),
    aggregate: "sqrt",
    precision: "f64",
  };
  const { code, stdout, stderr } = await runTool(input);
  equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  equal(lines.length, 1);
  const out = JSON.parse(lines[0]);
  deepStrictEqual(Object.keys(out), ["logits", "loss", "grad_phi", "grad_bias"]);
  equal(out.logits.length, 2);
  ok(out.logits.every((row: number[]) => row.length === 10));
  equal(out.grad_phi.length, 4);
  ok(out.grad_phi.every((g: number[]) => g.length === 48 * 2 + 128));
  equal(out.grad_bias.length, 196);
  const spec = { P: 4, d: 2, aggregate: "sqrt" as const };
  const params = Float64Array.from([
    ...(input.phi as number[][]).flat(),
    ...(input.bias as number[]),
  ]);
  const ref = referenceLossGrad(
    spec,
    params,
    Float64Array.from((input.images as number[][]).flat()),
    input.labels as number[],
  );
  assertClose(out.logits.flat(), ref.logits, 1e-10, "logits");
  assertClose([out.loss], [ref.loss], 1e-10, "loss");
  assertClose([...out.grad_phi.flat(), ...out.grad_bias], ref.grad, 1e-10, "gradient");
});

Deno.test("qnn-check: bad input exits with code 2, a message naming the field, nothing on stdout", async () => {
  const bad = validInput();
  (bad.images as number[][])[1][5] = Number.NaN; // JSON.stringify writes null
  for (
    const [input, pattern] of [
      [bad, /images\[1\]\[5\]: expected a finite number, got null/],
      [{ ...validInput(), P: 5 }, /P: .*not a perfect square/],
      ["{ not json", /not valid JSON/],
    ] as const
  ) {
    const { code, stdout, stderr } = await runTool(input);
    equal(code, 2);
    equal(stdout, "");
    match(stderr, pattern);
  }
});

Deno.test("qnn-check: validation names the field and what is wrong", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...validInput(), P: 5 }, /^P: .*perfect square/],
    [{ ...validInput(), P: 25 }, /^P: .*cannot span/],
    [{ ...validInput(), P: 2.5 }, /^P: expected a positive integer/],
    [{ ...validInput(), d: 0 }, /^d: expected a positive integer/],
    [{ ...validInput(), images: [] }, /^images: expected a non-empty array/],
    [
      { ...validInput(), images: [[1, 2, 3], Array(196).fill(0)] },
      /^images\[0\]: expected 196 numbers, got 3/,
    ],
    [
      { ...validInput(), images: [Array(196).fill("a"), Array(196).fill(0)] },
      /^images\[0\]\[0\]: expected a finite number/,
    ],
    [{ ...validInput(), labels: [1] }, /^labels: expected 2 labels/],
    [{ ...validInput(), labels: [1, 10] }, /^labels\[1\]: expected an integer in 0..9, got 10/],
    [{ ...validInput(), labels: [1, 2.5] }, /^labels\[1\]: expected an integer in 0..9/],
    [{ ...validInput(), phi: [[0]] }, /^phi: expected 4 parameter vectors/],
    [
      { ...validInput(), phi: Array(4).fill(Array(175).fill(0)) },
      /^phi\[0\]: expected 176 numbers, got 175/,
    ],
    [{ ...validInput(), bias: Array(195).fill(0) }, /^bias: expected 196 numbers, got 195/],
    [
      { ...validInput(), bias: [...Array(195).fill(0), Infinity] },
      /^bias\[195\]: expected a finite number/,
    ],
    [{ ...validInput(), precision: "f16" }, /^precision: expected "f32" or "f64"/],
    [{ ...validInput(), aggregate: "sum" }, /^aggregate: expected "mean" or "sqrt"/],
    [{ ...validInput(), lr: 0.1 }, /^input: unknown key\(s\) lr/],
    [
      (() => {
        const v = validInput();
        delete v.bias;
        return v;
      })(),
      /^bias: missing/,
    ],
  ];
  for (const [input, pattern] of cases) {
    throws(
      () => validateInput(input),
      (e: Error) => e instanceof InputError && pattern.test(e.message),
    );
  }
  throws(() => validateInput([1, 2]), /expected a JSON object/);
  const ok1 = validateInput(validInput());
  equal(ok1.precision, "f64");
  equal(ok1.aggregate, "mean");
});

Deno.test("qnn-check: with v_phi and v_bias the output also carries H v and G v, matching reference-gradient differences", async () => {
  const P = 4, d = 1;
  const input = validInput(P, d, 2, 4);
  const r = rng(12);
  input.v_phi = Array.from(
    { length: P },
    () => Array.from({ length: 48 * d + 128 }, () => r() - 0.5),
  );
  input.v_bias = Array.from({ length: 196 }, () => r() - 0.5);
  const { code, stdout, stderr } = await runTool(input);
  equal(code, 0, stderr);
  const out = JSON.parse(stdout);
  deepStrictEqual(Object.keys(out), [
    "logits",
    "loss",
    "grad_phi",
    "grad_bias",
    "hvp_phi",
    "hvp_bias",
    "gn_phi",
    "gn_bias",
  ]);
  equal(out.hvp_phi.length, P);
  equal(out.hvp_bias.length, 196);
  const spec = { P, d };
  const params = Float64Array.from([
    ...(input.phi as number[][]).flat(),
    ...(input.bias as number[]),
  ]);
  const v = Float64Array.from([
    ...(input.v_phi as number[][]).flat(),
    ...(input.v_bias as number[]),
  ]);
  const images = Float64Array.from((input.images as number[][]).flat());
  const labels = input.labels as number[];
  // H v: Richardson-extrapolated central differences of reference parameter-shift gradients.
  const D = (h: number) => {
    const gp = referenceLossGrad(spec, params.map((x, i) => x + h * v[i]), images, labels).grad;
    const gm = referenceLossGrad(spec, params.map((x, i) => x - h * v[i]), images, labels).grad;
    return gp.map((x, i) => (x - gm[i]) / (2 * h));
  };
  const a = D(1e-3), b = D(5e-4);
  assertClose(
    [...out.hvp_phi.flat(), ...out.hvp_bias],
    b.map((x, i) => (4 * x - a[i]) / 3),
    1e-8,
    "H v",
  );
  // G v: J^T (softmax Hessian) J v with J v from differences of the reference logits.
  const h = 1e-4;
  const lp = referenceLossGrad(spec, params.map((x, i) => x + h * v[i]), images, labels).logits;
  const lm = referenceLossGrad(spec, params.map((x, i) => x - h * v[i]), images, labels).logits;
  const logits = referenceLossGrad(spec, params, images, labels).logits;
  const jv = lp.map((x, i) => (x - lm[i]) / (2 * h));
  const gn = referenceVjp(spec, params, images, crossEntropyHessianProduct(logits, jv, 2));
  assertClose([...out.gn_phi.flat(), ...out.gn_bias], gn, 1e-6, "G v");
});

Deno.test("qnn-check: v_phi without v_bias (or a wrong length) is an input error naming the field", () => {
  throws(() => validateInput({ ...validInput(), v_phi: [[1]] }), /v_bias: missing/);
  throws(
    () =>
      validateInput({
        ...validInput(4, 1),
        v_phi: [[1], [2], [3], [4]],
        v_bias: Array(196).fill(0),
      }),
    /v_phi\[0\]: expected 176 numbers, got 1/,
  );
});
