/**
 * `deno task bench`: speed of the QNN simulator on this machine.
 *
 * - `train_step`: forward + backward (lossGrad), f32, P = 4, 9, 16, d = 50, B = 1000;
 * - `forward`: logits only, f32, same sizes;
 * - `gemm`: the raw complex GEMM kernel, 256 x 256 @ 256 x 1000, f32, on 1 and on 2 cores.
 *
 * `--hessian` instead: `grad` (lossGrad) and `hvp` (exact Hessian-vector product with its
 * Gauss-Newton and curvature parts), `hv_only` (`hessianProduct(..., "full")`, H v alone) and
 * `hv_point` (H v at a point that keeps its states, `hessianAt`, as the Hessian step computes
 * them; `cv_point`, `gv_point`: C v and G v likewise) in f32 and f64 at P = 4, 9, 16, d = 50,
 * B = 1000, each with its ratio to the f32 gradient of the same model (`hv_point_f64/f64`: to
 * the f64 gradient); and `call_grad_f64`, the per-call time of an
 * f64 gradient at P = 4, d = 1, B = 2 (fixed overhead: messaging, setup).
 *
 * `--blocks` instead: `train_step` and `forward` at P = 9 for d = 10, 20, 50 and B = 200, 1000
 * in f32 (and d = 10, 20 at B = 200 in f64), once with the block unitaries and GEMMs and once
 * with the layers applied to the states (`SimulatorOptions.blocks`), with their ratio and the
 * way `blocks: "auto"` takes (lib/qnn/block_method.ts; "forward/backward" when the halves differ).
 *
 * `--backend wasm | webgpu | auto` (default wasm) picks the simulator of the `train_step` and
 * `forward` rows and of `--hessian`'s; the header names the adapter. With webgpu the `gemm`
 * rows (the WebAssembly kernel) are left out, `--hessian` has its f32 rows only (WGSL has no
 * float64), and `--costs` is refused (the cost model is the CPU's). No GPU figure goes into the
 * docs unless it was measured on that GPU.
 *
 * Prints a table; `--json` prints one JSON object per line instead: `{ name, P, d, B, seconds,
 * samples_qnn_per_s, gflops, fraction_of_ceiling, pytorch_seconds, speedup }`. Times are the best
 * of 5 runs after a warm-up (`--quick`: one run); the header shows the load average, since other
 * processes on a 2-core machine slow everything down. Rates use the FLOP count of bench/flops.ts
 * (docs/simulator.md); "of ceiling" compares with the ~200 GFLOP/s an OpenBLAS complex GEMM
 * reaches on this machine kind.
 *
 * @module
 */

import { kernelModule, sharedMemory } from "../lib/qnn/kernels.ts";
import { createSimulator, type Simulator } from "../lib/qnn/simulator.ts";
import { type Backend, BACKENDS, createBackendSimulator } from "../lib/qnn/backend.ts";
import { modelParamCount } from "../lib/qnn/spec.ts";
import { blockMethods } from "../lib/qnn/mod.ts";
import { forwardFlops, gemmFlops, trainStepFlops } from "./flops.ts";
import { gemmRegionBytes } from "./gemm_worker.ts";

/** Complex-GEMM ceiling of this machine kind (OpenBLAS, 2 cores), GFLOP/s. */
const CEILING = 200;
/** A torchquantum-style PyTorch CPU run on this machine kind, seconds (d = 50, B = 1000). */
const PYTORCH: Record<string, Record<number, number>> = {
  train_step: { 4: 98, 9: 224 },
  forward: { 4: 25, 9: 71, 16: 121 },
};

interface Row {
  name: string;
  P: number | null;
  d: number | null;
  B: number;
  seconds: number;
  samples_qnn_per_s: number;
  gflops: number;
}

const argv = [...Deno.args];
const bAt = argv.indexOf("--backend");
const backend = (bAt >= 0 ? argv.splice(bAt, 2)[1] : "wasm") as Backend;
const costsAt = argv.indexOf("--costs");
const costsFile = costsAt >= 0 ? argv.splice(costsAt, 2)[1] : undefined;
const args = new Set(argv);
const USAGE =
  "usage: deno task bench [--json] [--quick] [--hessian | --blocks] [--backend wasm|webgpu|auto]\n" +
  "       [--costs FILE]\n" +
  "  --backend  simulator of the train_step and forward rows, and of --hessian (default wasm)\n" +
  "  --hessian  gradient and Hessian-vector product rows (f32, f64; webgpu: f32) instead\n" +
  "  --blocks  unitaries + GEMMs against layers on the states, for shallow circuits, instead\n" +
  "  --json   one JSON object per line instead of the table\n" +
  "  --quick  one timed run per row instead of the best of 5\n" +
  "  --costs FILE  also write the measured per-unit costs into FILE's constants (the\n" +
  "           cost_constants: of pipeline.yaml, bench/costs.json; docs/pipeline.md 'Cost model')";
if (args.has("--help") || args.has("-h")) {
  console.log(USAGE);
  Deno.exit(0);
}
if (!BACKENDS.includes(backend)) {
  console.error(`bench: --backend must be one of ${BACKENDS.join(", ")}\n${USAGE}`);
  Deno.exit(2);
}
if (costsAt >= 0 && !costsFile) {
  console.error(`bench: --costs needs a file\n${USAGE}`);
  Deno.exit(2);
}
if (costsFile && backend !== "wasm") {
  console.error(`bench: --costs writes the CPU cost model: use it with --backend wasm\n${USAGE}`);
  Deno.exit(2);
}
for (const a of args) {
  if (!["--json", "--quick", "--hessian", "--blocks"].includes(a)) {
    console.error(`bench: unknown option '${a}'\n${USAGE}`);
    Deno.exit(2);
  }
}

/**
 * Merges measured constants into the cost-constants file (others kept), with a line on the
 * machine and load they were measured under.
 */
async function writeCosts(measured: Record<string, number>): Promise<void> {
  if (!costsFile) return;
  let old: { constants?: Record<string, number> } = {};
  try {
    old = JSON.parse(await Deno.readTextFile(costsFile));
  } catch {
    // a new file
  }
  const round = (x: number) => Number(x.toPrecision(3));
  const constants = { ...old.constants };
  for (const [k, v] of Object.entries(measured)) constants[k] = round(v);
  let load = "?";
  try {
    load = Deno.loadavg()[0].toFixed(2);
  } catch {
    // no --allow-sys
  }
  const about = `Per-unit costs for the cost: formulas of pipeline.yaml (docs/pipeline.md, 'Cost ` +
    `model'). Last written by deno task bench on ${new Date().toISOString().slice(0, 10)}: ` +
    `${navigator.hardwareConcurrency} cores, load average ${load}; updated: ` +
    `${Object.keys(measured).join(", ")}.`;
  await Deno.writeTextFile(costsFile, JSON.stringify({ about, constants }, null, 2) + "\n");
  if (!json) console.log(`wrote ${costsFile}`);
}
const json = args.has("--json");
const reps = args.has("--quick") ? 1 : 5;
// The best of several runs: other processes on a small machine only ever make a run slower.
const best = (xs: number[]) => Math.min(...xs);

/** The PyTorch reference time of a row, if there is one. */
function reference(row: Row): number | undefined {
  return row.P === null ? undefined : PYTORCH[row.name]?.[row.P];
}

/** With --json: the row plus its fraction of the GEMM ceiling and the PyTorch comparison. */
function emit(row: Row): void {
  if (!json) return;
  const ref = reference(row);
  console.log(JSON.stringify({
    ...row,
    backend: row.P === null ? "backend wasm (WebAssembly kernel)" : ranOn,
    fraction_of_ceiling: row.gflops / CEILING,
    pytorch_seconds: ref ?? null,
    speedup: ref === undefined ? null : ref / row.seconds,
  }));
}

/** Deterministic inputs (no PRNG needed: the speed does not depend on the values). */
function inputs(P: number, d: number, B: number) {
  const n = modelParamCount({ P, d });
  const params = Float64Array.from({ length: n }, (_, i) => ((i * 0.6180339887) % 1) * Math.PI);
  const images = Float32Array.from(
    { length: B * 196 },
    (_, i) => ((i * 0.7548776662) % 1) * Math.PI / 4,
  );
  const labels = Uint8Array.from({ length: B }, (_, i) => i % 10);
  return { params, images, labels };
}

/** What the model rows ran on (the first model's backend note), and whether that is WebGPU. */
let ranOn = "";
let onGpu = false;

/** Best seconds of a lossGrad and of a forward pass over the same inputs, after a warm-up. */
async function timeTrainForward(
  sim: Pick<Simulator, "lossGrad" | "forward">,
  { params, images, labels }: ReturnType<typeof inputs>,
): Promise<{ train: number; forward: number }> {
  await sim.lossGrad(params, images, labels); // warm-up (JIT, page faults)
  const train: number[] = [], fwd: number[] = [];
  for (let r = 0; r < reps; r++) {
    let t = performance.now();
    await sim.lossGrad(params, images, labels);
    train.push((performance.now() - t) / 1000);
    t = performance.now();
    await sim.forward(params, images);
    fwd.push((performance.now() - t) / 1000);
  }
  return { train: best(train), forward: best(fwd) };
}

async function benchModel(P: number, d: number, B: number): Promise<Row[]> {
  const sim = await createBackendSimulator({ P, d }, { precision: "f32", backend });
  ranOn ||= sim.note;
  try {
    const time = await timeTrainForward(sim, inputs(P, d, B));
    const rows: Row[] = [];
    for (
      const [name, seconds, flops] of [
        ["train_step", time.train, trainStepFlops(d, B)],
        ["forward", time.forward, forwardFlops(d, B)],
      ] as const
    ) {
      rows.push({
        name,
        P,
        d,
        B,
        seconds,
        samples_qnn_per_s: (B * P) / seconds,
        gflops: (P * flops) / seconds / 1e9,
      });
    }
    return rows;
  } finally {
    sim.close();
  }
}

async function benchGemm(n: number, cores: number): Promise<Row> {
  const module = await kernelModule();
  const region = Math.ceil(gemmRegionBytes(n) / 65536) * 65536;
  const memory = sharedMemory(65536 + cores * region);
  const times = await Promise.all(
    Array.from({ length: cores }, (_, c) =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(new URL("./gemm_worker.ts", import.meta.url), { type: "module" });
        w.onmessage = (e) => {
          w.terminate();
          resolve(e.data.seconds);
        };
        w.onerror = (e) => reject(new Error(e.message));
        w.postMessage({ module, memory, base: 65536 + c * region, n, reps: 20 * reps });
      })),
  );
  const seconds = Math.max(...times);
  return {
    name: cores === 1 ? "gemm_1core" : "gemm",
    P: null,
    d: null,
    B: n,
    seconds,
    samples_qnn_per_s: (cores * n) / seconds,
    gflops: (cores * gemmFlops(n)) / seconds / 1e9,
  };
}

/** Best-of-reps seconds of gradient and H v calls in one precision (after a warm-up). */
async function timeHessian(P: number, d: number, B: number, precision: "f32" | "f64") {
  const sim = await createBackendSimulator({ P, d }, {
    precision,
    hvp: true,
    hessianCacheImages: B,
    backend,
  });
  ranOn ||= sim.note;
  onGpu ||= sim.backend === "webgpu";
  const { params, images, labels } = inputs(P, d, B);
  const v = params.map((_, i) => Math.cos(i));
  try {
    await sim.lossGrad(params, images, labels);
    await sim.hvp(params, images, labels, v);
    // Products at one point, as the Hessian step makes them (on wasm the first one keeps the
    // states; webgpu keeps none).
    const point = sim.hessianAt(params, images, labels);
    await point.product(v, "full");
    const grad: number[] = [], hvp: number[] = [], full: number[] = [];
    const kept: Record<"full" | "curvature" | "gaussNewton", number[]> = {
      full: [],
      curvature: [],
      gaussNewton: [],
    };
    for (let r = 0; r < reps; r++) {
      let t = performance.now();
      await sim.lossGrad(params, images, labels);
      grad.push((performance.now() - t) / 1000);
      t = performance.now();
      await sim.hvp(params, images, labels, v);
      hvp.push((performance.now() - t) / 1000);
      t = performance.now();
      await sim.hessianProduct(params, images, labels, v, "full");
      full.push((performance.now() - t) / 1000);
      for (const kind of ["full", "curvature", "gaussNewton"] as const) {
        t = performance.now();
        await point.product(v, kind);
        kept[kind].push((performance.now() - t) / 1000);
      }
    }
    return {
      grad: best(grad),
      hvp: best(hvp),
      full: best(full),
      point: best(kept.full),
      curvature: best(kept.curvature),
      gaussNewton: best(kept.gaussNewton),
    };
  } finally {
    sim.close();
  }
}

async function benchHessian(): Promise<void> {
  const loadNow = () => {
    try {
      return Deno.loadavg()[0].toFixed(2);
    } catch {
      return "?";
    }
  };
  if (!json) {
    console.log(
      `gradient and exact H v (${navigator.hardwareConcurrency} cores, load average ` +
        `${loadNow()} before; backend ${backend}; best of ${reps}); ratio = seconds / f32 ` +
        `gradient of the same model`,
    );
    console.log(
      ["name", "P", "d", "B", "seconds", "ratio"].map((h, i) => h.padStart([14, 3, 3, 5, 9, 7][i]))
        .join(" "),
    );
  }
  const out = (name: string, P: number, d: number, B: number, seconds: number, ratio: number) => {
    if (json) console.log(JSON.stringify({ name, P, d, B, seconds, ratio_to_f32_grad: ratio }));
    else {
      console.log([
        name.padStart(14),
        String(P).padStart(3),
        String(d).padStart(3),
        String(B).padStart(5),
        seconds.toFixed(seconds < 0.1 ? 4 : 3).padStart(9),
        ratio.toFixed(2).padStart(7),
      ].join(" "));
    }
  };
  const hv: number[] = [], cv: number[] = [], gv: number[] = [], f64Ratio: number[] = [];
  for (const P of [4, 9, 16]) {
    const f32 = await timeHessian(P, 50, 1000, "f32");
    if (P === 4 && !json) console.log(ranOn);
    hv.push(f32.point / f32.grad);
    cv.push(f32.curvature / f32.grad);
    gv.push(f32.gaussNewton / f32.grad);
    out("grad_f32", P, 50, 1000, f32.grad, 1);
    out("hvp_f32", P, 50, 1000, f32.hvp, f32.hvp / f32.grad);
    out("hv_only_f32", P, 50, 1000, f32.full, f32.full / f32.grad);
    out("hv_point_f32", P, 50, 1000, f32.point, f32.point / f32.grad);
    out("cv_point_f32", P, 50, 1000, f32.curvature, f32.curvature / f32.grad);
    out("gv_point_f32", P, 50, 1000, f32.gaussNewton, f32.gaussNewton / f32.grad);
    if (onGpu) continue; // float32 only
    const f64 = await timeHessian(P, 50, 1000, "f64");
    f64Ratio.push(f64.grad / f32.grad);
    out("grad_f64", P, 50, 1000, f64.grad, f64.grad / f32.grad);
    out("hvp_f64", P, 50, 1000, f64.hvp, f64.hvp / f32.grad);
    out("hv_only_f64", P, 50, 1000, f64.full, f64.full / f32.grad);
    out("hv_point_f64", P, 50, 1000, f64.point, f64.point / f32.grad);
    out("hv_point_f64/f64", P, 50, 1000, f64.point, f64.point / f64.grad);
  }
  if (onGpu) return;
  const sim = await createSimulator({ P: 4, d: 1 }, { precision: "f64" });
  const { params, images, labels } = inputs(4, 1, 2);
  try {
    for (let i = 0; i < 5; i++) await sim.lossGrad(params, images, labels);
    const times: number[] = [];
    for (let r = 0; r < 10 * reps; r++) {
      const t = performance.now();
      await sim.lossGrad(params, images, labels);
      times.push((performance.now() - t) / 1000);
    }
    out("call_grad_f64", 4, 1, 2, best(times), NaN);
  } finally {
    sim.close();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // The Hessian step's products are all at one point (hessianAt): those are the costs it pays.
  await writeCosts({
    hv_over_grad_f32: mean(hv),
    curvature_over_grad_f32: mean(cv),
    gn_over_grad_f32: mean(gv),
    grad_f64_over_f32: mean(f64Ratio),
  });
}

/** The two ways of applying blocks B and C against each other (lib/qnn/block_method.ts). */
async function benchBlocks(): Promise<void> {
  const cases: [number, number, "f32" | "f64"][] = [
    [10, 200, "f32"],
    [20, 200, "f32"],
    [50, 200, "f32"],
    [10, 1000, "f32"],
    [20, 1000, "f32"],
    [50, 1000, "f32"],
    [10, 200, "f64"],
    [20, 200, "f64"],
  ];
  const P = 9;
  if (!json) {
    console.log(
      `blocks B and C: unitaries + GEMMs against layers on the states (P = ${P}, ` +
        `${navigator.hardwareConcurrency} cores, best of ${reps}); ratio = unitary / direct`,
    );
    console.log(
      ["name", "d", "B", "prec", "unitary s", "direct s", "ratio", "auto"]
        .map((h, i) => h.padStart([10, 3, 5, 4, 10, 9, 6, 16][i])).join(" "),
    );
  }
  for (const [d, B, precision] of cases) {
    const time: Record<string, { train: number; forward: number }> = {};
    for (const blocks of ["unitary", "direct"] as const) {
      const sim = await createSimulator({ P, d }, { precision, blocks });
      try {
        time[blocks] = await timeTrainForward(sim, inputs(P, d, B));
      } finally {
        sim.close();
      }
    }
    for (
      const [name, key, mode] of [["train_step", "train", "grad"], [
        "forward",
        "forward",
        "forward",
      ]] as const
    ) {
      const u = time.unitary[key], v = time.direct[key];
      const m = blockMethods({ P, d }, precision, mode, B);
      const auto = m.backward === null || m.backward === m.forward
        ? m.forward
        : `${m.forward}/${m.backward}`;
      if (json) {
        console.log(
          JSON.stringify({ name, P, d, B, precision, unitary_seconds: u, direct_seconds: v, auto }),
        );
      } else {
        console.log([
          name.padStart(10),
          String(d).padStart(3),
          String(B).padStart(5),
          precision.padStart(4),
          u.toFixed(4).padStart(10),
          v.toFixed(4).padStart(9),
          (u / v).toFixed(2).padStart(6),
          auto.padStart(16),
        ].join(" "));
      }
    }
  }
}

if (args.has("--blocks")) {
  if (backend !== "wasm" || args.has("--hessian")) {
    console.error("bench: --blocks measures the WebAssembly backend alone, without --hessian");
    Deno.exit(2);
  }
  await benchBlocks();
  Deno.exit(0);
}

if (args.has("--hessian")) {
  await benchHessian();
  Deno.exit(0);
}

let load = "";
try {
  load = `, load average ${Deno.loadavg()[0].toFixed(2)} before`;
} catch {
  // no --allow-sys: the header just says less
}
const rows: Row[] = [];
for (const cores of backend === "webgpu" ? [] : [1, 2]) {
  const row = await benchGemm(1000, cores);
  rows.push(row);
  emit(row);
}
for (const P of [4, 9, 16]) {
  for (const row of await benchModel(P, 50, 1000)) {
    rows.push(row);
    emit(row);
  }
}

{
  const perCore = (name: string) => {
    const rs = rows.filter((r) => r.name === name);
    return rs.reduce((a, r) => a + r.gflops, 0) / rs.length / navigator.hardwareConcurrency;
  };
  await writeCosts({
    gflops_core_train_f32: perCore("train_step"),
    gflops_core_forward_f32: perCore("forward"),
  });
}

if (!json) {
  const pad = (s: string, n: number) => s.padStart(n);
  console.log(
    `QNN simulator benchmark (${navigator.hardwareConcurrency} cores${load}; ${ranOn}; f32; ` +
      `best of ${reps}; ` +
      `ceiling ${CEILING} GFLOP/s = OpenBLAS complex GEMM)`,
  );
  console.log(
    [
      "name",
      "P",
      "d",
      "B",
      "seconds",
      "QNN-samples/s",
      "GFLOP/s",
      "of ceiling",
      "PyTorch s",
      "speed-up",
    ]
      .map((h, i) => pad(h, [12, 3, 3, 5, 9, 14, 8, 11, 10, 9][i])).join(" "),
  );
  for (const r of rows) {
    const ref = reference(r);
    console.log([
      pad(r.name, 12),
      pad(r.P === null ? "-" : String(r.P), 3),
      pad(r.d === null ? "-" : String(r.d), 3),
      pad(String(r.B), 5),
      pad(r.seconds.toFixed(r.seconds < 0.1 ? 4 : 3), 9),
      pad(r.samples_qnn_per_s.toFixed(0), 14),
      pad(r.gflops.toFixed(1), 8),
      pad(`${((100 * r.gflops) / CEILING).toFixed(0)}%`, 11),
      pad(ref === undefined ? "-" : String(ref), 10),
      pad(ref === undefined ? "-" : `${(ref / r.seconds).toFixed(0)}x`, 9),
    ].join(" "));
  }
}
