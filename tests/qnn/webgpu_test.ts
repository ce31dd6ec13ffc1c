// The WebGPU backend against the float64 reference on the cases of fast_vs_reference_test.ts,
// within the float32 tolerance. Runs on whatever adapter WebGPU offers (here: Mesa's software
// llvmpipe); skipped loudly, with the reason in the test name, where there is none.

import { equal, ok, rejects, throws } from "node:assert/strict";
import { referenceLossGrad } from "../../lib/qnn/reference_simulator.ts";
import { modelParamCount, type ModelSpec, qnnParamCount } from "../../lib/qnn/spec.ts";
import { createSimulator } from "../../lib/qnn/simulator.ts";
import { findAdapter } from "../../lib/qnn/webgpu/device.ts";
import { createWebGpuSimulator } from "../../lib/qnn/webgpu/webgpu_simulator.ts";
import { chooseBackend, createBackendSimulator } from "../../lib/qnn/backend.ts";
import { assertClose, direction, randomProblem, sameBits } from "./_problems.ts";

const found = await findAdapter();
const adapter = found.adapter;
const where = adapter ? `on ${found.adapter ? found.summary.name : ""}` : "";

/** The test's name, with the reason it is skipped where there is no adapter. */
function gpuTestName(name: string): string {
  return adapter ? `${name} ${where}` : `${name} (SKIPPED: ${found.adapter ? "" : found.reason})`;
}

const CASES: { spec: ModelSpec; B: number }[] = [
  { spec: { P: 4, d: 1 }, B: 3 },
  { spec: { P: 4, d: 3, aggregate: "sqrt" }, B: 2 },
  { spec: { P: 9, d: 2 }, B: 2 },
  { spec: { P: 9, d: 1, aggregate: "sqrt" }, B: 2 },
  { spec: { P: 16, d: 1 }, B: 2 },
  { spec: { P: 16, d: 2, aggregate: "sqrt" }, B: 1 },
];
const TOL = 1e-4; // the f32 tolerance of fast_vs_reference_test.ts

/** assertClose on each QNN's block of a parameter vector and on the bias part, each on its own. */
function assertBlocksClose(
  a: Float64Array,
  b: Float64Array,
  spec: ModelSpec,
  tol: number,
  what: string,
): void {
  const nPhi = qnnParamCount(spec.d);
  for (let p = 0; p < spec.P; p++) {
    const [s, e] = [p * nPhi, (p + 1) * nPhi];
    assertClose(a.subarray(s, e), b.subarray(s, e), tol, `${what}, QNN ${p}`);
  }
  const off = spec.P * nPhi;
  assertClose(a.subarray(off), b.subarray(off), tol, `${what}, bias`);
}

for (const [i, { spec, B }] of CASES.entries()) {
  const name = `P=${spec.P} d=${spec.d} ${spec.aggregate ?? "mean"}`;
  Deno.test({
    name: gpuTestName(
      `webgpu vs reference: logits, loss, each gradient block and the bias part (${name}, f32)`,
    ),
    ignore: !adapter,
    fn: async () => {
      const { params, images, labels } = randomProblem(spec, B, 100 + i);
      const ref = referenceLossGrad(spec, params, images, labels);
      const nPhi = qnnParamCount(spec.d);
      const sim = await createWebGpuSimulator(spec, { precision: "f32", adapter: adapter! });
      try {
        const got = await sim.lossGrad(params, images, labels);
        assertClose(got.logits, ref.logits, TOL, "logits");
        assertClose([got.loss], [ref.loss], TOL, "loss");
        for (let p = 0; p < spec.P; p++) {
          const a = got.grad.subarray(p * nPhi, (p + 1) * nPhi);
          assertClose(a, ref.grad.subarray(p * nPhi, (p + 1) * nPhi), TOL, `grad of QNN ${p}`);
        }
        const off = spec.P * nPhi;
        assertClose(got.grad.subarray(off), ref.grad.subarray(off), TOL, "bias grad");
        assertClose(await sim.forward(params, images), ref.logits, TOL, "forward");
      } finally {
        sim.close();
      }
    },
  });
}

// Forward mode and Hessian-vector products against the WebAssembly backend in float64, which
// hvp_test.ts checks against differences of reference parameter-shift gradients: P in
// {4, 9, 16} and d in {1, 2, 3} between the cases.
const HVP_CASES: { spec: ModelSpec; B: number }[] = [
  { spec: { P: 4, d: 3 }, B: 3 },
  { spec: { P: 9, d: 2, aggregate: "sqrt" }, B: 2 },
  { spec: { P: 16, d: 1 }, B: 2 },
];

for (const [i, { spec, B }] of HVP_CASES.entries()) {
  const name = `P=${spec.P} d=${spec.d} ${spec.aggregate ?? "mean"}`;
  Deno.test({
    name: gpuTestName(`webgpu vs wasm f64: jvp, H v, G v, C v, each product alone (${name}, f32)`),
    ignore: !adapter,
    fn: async () => {
      const { params, images, labels } = randomProblem(spec, B, 200 + i);
      const v = direction(modelParamCount(spec), i);
      const gpu = await createWebGpuSimulator(spec, {
        precision: "f32",
        adapter: adapter!,
        hvp: true,
      });
      const ref = await createSimulator(spec, { precision: "f64", hvp: true, workers: 0 });
      try {
        assertClose(await gpu.jvp(params, images, v), await ref.jvp(params, images, v), TOL, "jvp");
        const a = await gpu.hvp(params, images, labels, v);
        const b = await ref.hvp(params, images, labels, v);
        for (const k of ["hvp", "gaussNewton", "curvature", "grad"] as const) {
          assertBlocksClose(a[k], b[k], spec, TOL, k);
        }
        assertClose([a.loss], [b.loss], TOL, "loss");
        for (const kind of ["full", "curvature", "gaussNewton"] as const) {
          const want = kind === "full" ? b.hvp : kind === "curvature" ? b.curvature : b.gaussNewton;
          assertBlocksClose(
            await gpu.hessianProduct(params, images, labels, v, kind),
            want,
            spec,
            TOL,
            `hessianProduct ${kind}`,
          );
        }
      } finally {
        gpu.close();
        ref.close();
      }
    },
  });
}

Deno.test({
  name: gpuTestName("webgpu: two chunks agree with wasm f32 (loss, vjp, jvp, hvp)"),
  ignore: !adapter,
  fn: async () => {
    const spec: ModelSpec = { P: 4, d: 1 };
    const n = 1003; // two chunks (1000 + 3)
    const { params, images, labels } = randomProblem(spec, n, 7);
    const gpu = await createWebGpuSimulator(spec, {
      precision: "f32",
      adapter: adapter!,
      hvp: true,
    });
    const wasm = await createSimulator(spec, { precision: "f32", hvp: true, workers: 0 });
    try {
      const [a, b] = [
        await gpu.lossGrad(params, images, labels),
        await wasm.lossGrad(params, images, labels),
      ];
      assertClose(a.logits, b.logits, TOL, "logits");
      assertClose([a.loss], [b.loss], TOL, "loss");
      assertBlocksClose(a.grad, b.grad, spec, TOL, "grad");
      const cot = Float64Array.from({ length: n * 10 }, (_, k) => Math.sin(k) / n);
      assertBlocksClose(
        await gpu.vjp(params, images, cot),
        await wasm.vjp(params, images, cot),
        spec,
        TOL,
        "vjp",
      );
      const v = direction(modelParamCount(spec), 5);
      assertClose(await gpu.jvp(params, images, v), await wasm.jvp(params, images, v), TOL, "jvp");
      const h = await gpu.hvp(params, images, labels, v);
      const hw = await wasm.hvp(params, images, labels, v);
      for (const k of ["hvp", "gaussNewton", "curvature", "grad"] as const) {
        assertBlocksClose(h[k], hw[k], spec, TOL, `two chunks: ${k}`);
      }
    } finally {
      gpu.close();
      wasm.close();
    }
  },
});

Deno.test({
  name: gpuTestName(
    "webgpu: hvp, hessianProduct and hessianAt need hvp: true; bad input fails; hessianAt",
  ),
  ignore: !adapter,
  fn: async () => {
    const spec: ModelSpec = { P: 4, d: 1 };
    const { params, images, labels } = randomProblem(spec, 2, 9);
    const v = direction(modelParamCount(spec), 1);
    const plain = await createWebGpuSimulator(spec, { precision: "f32", adapter: adapter! });
    try {
      await rejects(() => plain.hvp(params, images, labels, v), /hvp: true/);
      await rejects(() => plain.hessianProduct(params, images, labels, v, "full"), /hvp: true/);
      throws(() => plain.hessianAt(params, images, labels), /hvp: true/);
      // jvp needs no hvp: true.
      equal((await plain.jvp(params, images, v)).length, 20);
    } finally {
      plain.close();
    }
    const sim = await createWebGpuSimulator(spec, {
      precision: "f32",
      adapter: adapter!,
      hvp: true,
    });
    try {
      await rejects(
        // @ts-expect-error: a kind that does not exist
        () => sim.hessianProduct(params, images, labels, v, "diagonal"),
        /kind must be/,
      );
      await rejects(() => sim.hvp(params, images, labels, v.subarray(1)), /v has length/);
      // hessianAt recomputes the point for every product: hessianProduct's numbers, bit for bit
      // (their values are checked against the WebAssembly backend above).
      const at = sim.hessianAt(params, images, labels);
      const all = await sim.hvp(params, images, labels, v);
      ok(sameBits(await at.product(v, "curvature"), all.curvature), "hessianAt curvature");
      ok(sameBits(await at.product(v, "gaussNewton"), all.gaussNewton), "hessianAt Gauss-Newton");
      ok(
        sameBits(
          await at.product(v, "full"),
          await sim.hessianProduct(params, images, labels, v, "full"),
        ),
        "hessianAt full",
      );
    } finally {
      sim.close();
    }
  },
});

Deno.test("backend choice: wasm stays wasm; auto never picks a software adapter", async () => {
  equal((await chooseBackend("wasm")).backend, "wasm");
  const auto = await chooseBackend("auto");
  if (adapter && found.adapter && found.summary.software) equal(auto.backend, "wasm");
  ok(auto.note.length > 0);
  const sim = await createBackendSimulator({ P: 4, d: 1 }, { precision: "f32", backend: "wasm" });
  equal(sim.backend, "wasm");
  sim.close();
});

Deno.test({
  name: gpuTestName(
    'qnn-check: "backend": "webgpu" (and --backend) agree with wasm within f32 tolerance, H v too',
  ),
  ignore: !adapter,
  fn: async () => {
    const P = 4, d = 1, B = 2;
    const { params, images, labels } = randomProblem({ P, d }, B, 31);
    const nPhi = qnnParamCount(d);
    const input = {
      P,
      d,
      images: Array.from(
        { length: B },
        (_, b) => Array.from(images.subarray(b * 196, b * 196 + 196)),
      ),
      labels: Array.from(labels),
      phi: Array.from(
        { length: P },
        (_, p) => Array.from(params.subarray(p * nPhi, (p + 1) * nPhi)),
      ),
      bias: Array.from(params.subarray(P * nPhi)),
      // A direction: the output then carries H v and G v, computed on the GPU too.
      v_phi: Array.from({ length: P }, (_, p) => Array.from(direction(nPhi, 40 + p))),
      v_bias: Array.from(direction(196, 50)),
    };
    const tool = new URL("../../tools/qnn_check.ts", import.meta.url).pathname;
    const run = async (extra: string[], body: unknown) => {
      const path = await Deno.makeTempFile({ suffix: ".json" });
      try {
        await Deno.writeTextFile(path, JSON.stringify(body));
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", "--allow-read", "--unstable-webgpu", tool, ...extra, path],
        }).output();
        const dec = new TextDecoder();
        equal(out.code, 0, dec.decode(out.stderr));
        return { json: JSON.parse(dec.decode(out.stdout)), stderr: dec.decode(out.stderr) };
      } finally {
        await Deno.remove(path);
      }
    };
    const wasm = await run([], { ...input, precision: "f32" });
    const gpu = await run([], { ...input, backend: "webgpu" });
    ok(/backend webgpu on /.test(gpu.stderr), gpu.stderr);
    const flag = await run(["--backend", "webgpu"], input);
    for (const g of [gpu.json, flag.json]) {
      assertClose(g.logits.flat(), wasm.json.logits.flat(), TOL, "logits");
      assertClose(g.grad_phi.flat(), wasm.json.grad_phi.flat(), TOL, "grad_phi");
      assertClose(g.grad_bias, wasm.json.grad_bias, TOL, "grad_bias");
      for (const k of ["hvp_phi", "hvp_bias", "gn_phi", "gn_bias"]) {
        assertClose(g[k].flat(), wasm.json[k].flat(), TOL, k);
      }
    }
  },
});
