/**
 * `deno task qnn-check <input.json>`: runs the fast simulator on a small, explicit problem and
 * prints one JSON object with the logits, the loss and the exact gradients, for cross-checking
 * against an independent implementation (see docs/qnn_check.md).
 *
 * Input: `{ "P", "d", "images": [[196] x B], "labels": [B], "phi": [[48d+128] x P],
 * "bias": [196], "precision"?: "f32" | "f64" (default f64; f32 with backend webgpu),
 * "aggregate"?: "mean" | "sqrt", "backend"?: "wasm" | "webgpu" | "auto" (default wasm),
 * "v_phi"?: [[48d+128] x P], "v_bias"?: [196] }` (a direction v: both or neither).
 * `--backend <b>` on the command line overrides the input's backend; the backend used (and
 * its adapter) is said on stderr. WebGPU needs `--unstable-webgpu` (the task passes it).
 * Output: `{ "logits": [[10] x B], "loss", "grad_phi": [[48d+128] x P], "grad_bias": [196] }`,
 * with v also `hvp_phi`, `hvp_bias` (H v, exact) and `gn_phi`, `gn_bias` (Gauss-Newton G v).
 * Bad input: a message on stderr naming the field, nothing on stdout, exit code 2.
 * Use `-` as the path to read standard input.
 *
 * @module
 */

import { layoutForPatchCount } from "../lib/data/patches.ts";
import {
  type Backend,
  BACKENDS,
  createBackendSimulator,
  modelParamCount,
  qnnParamCount,
} from "../lib/qnn/mod.ts";

/** A validated input. */
export interface CheckInput {
  P: number;
  d: number;
  images: number[][];
  labels: number[];
  phi: number[][];
  bias: number[];
  precision: "f32" | "f64";
  aggregate: "mean" | "sqrt";
  /** Which simulator backend runs it. */
  backend: Backend;
  /** A direction for Hessian-vector products (optional). */
  v?: { phi: number[][]; bias: number[] };
}

/** The printed result. */
export interface CheckOutput {
  logits: number[][];
  loss: number;
  grad_phi: number[][];
  grad_bias: number[];
  hvp_phi?: number[][];
  hvp_bias?: number[];
  gn_phi?: number[][];
  gn_bias?: number[];
}

/** An input error: the message names the field. */
export class InputError extends Error {}

const KEYS = [
  "P",
  "d",
  "images",
  "labels",
  "phi",
  "bias",
  "precision",
  "aggregate",
  "backend",
  "v_phi",
  "v_bias",
];

function numberArray(value: unknown, field: string, length: number): number[] {
  if (!Array.isArray(value)) {
    throw new InputError(`${field}: expected an array of ${length} numbers`);
  }
  if (value.length !== length) {
    throw new InputError(`${field}: expected ${length} numbers, got ${value.length}`);
  }
  value.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InputError(
        `${field}[${i}]: expected a finite number, got ${JSON.stringify(v) ?? String(v)}`,
      );
    }
  });
  return value as number[];
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InputError(
      `${field}: expected a positive integer, got ${JSON.stringify(value) ?? String(value)}`,
    );
  }
  return value;
}

/** Checks a parsed JSON document and returns the typed input; throws InputError naming the field. */
export function validateInput(doc: unknown): CheckInput {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new InputError("input: expected a JSON object with keys P, d, images, labels, phi, bias");
  }
  const o = doc as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KEYS.includes(k));
  if (unknown.length) {
    throw new InputError(
      `input: unknown key(s) ${unknown.join(", ")} (allowed: ${KEYS.join(", ")})`,
    );
  }
  for (const k of ["P", "d", "images", "labels", "phi", "bias"]) {
    if (!(k in o)) throw new InputError(`${k}: missing`);
  }
  const P = positiveInteger(o.P, "P");
  try {
    layoutForPatchCount(P);
  } catch (e) {
    throw new InputError(`P: ${(e as Error).message}`);
  }
  const d = positiveInteger(o.d, "d");
  if (!Array.isArray(o.images) || o.images.length === 0) {
    throw new InputError(
      "images: expected a non-empty array of images (196 numbers each, 14 x 14 row-major)",
    );
  }
  const images = o.images.map((im, b) => numberArray(im, `images[${b}]`, 196));
  const B = images.length;
  if (!Array.isArray(o.labels)) {
    throw new InputError(`labels: expected an array of ${B} integers in 0..9`);
  }
  if (o.labels.length !== B) {
    throw new InputError(`labels: expected ${B} labels (one per image), got ${o.labels.length}`);
  }
  o.labels.forEach((l, i) => {
    if (typeof l !== "number" || !Number.isInteger(l) || l < 0 || l > 9) {
      throw new InputError(
        `labels[${i}]: expected an integer in 0..9, got ${JSON.stringify(l) ?? String(l)}`,
      );
    }
  });
  if (!Array.isArray(o.phi) || o.phi.length !== P) {
    const got = Array.isArray(o.phi)
      ? `${o.phi.length} vectors`
      : JSON.stringify(o.phi)?.slice(0, 40);
    throw new InputError(`phi: expected ${P} parameter vectors (one per QNN), got ${got}`);
  }
  const nPhi = qnnParamCount(d);
  const phi = o.phi.map((v, p) => numberArray(v, `phi[${p}]`, nPhi));
  const bias = numberArray(o.bias, "bias", 196);
  const backend = o.backend ?? "wasm";
  if (!BACKENDS.includes(backend as Backend)) {
    throw new InputError(
      `backend: expected one of ${BACKENDS.map((b) => `"${b}"`).join(", ")}, got ${
        JSON.stringify(backend)
      }`,
    );
  }
  const precision = o.precision ?? (backend === "webgpu" ? "f32" : "f64");
  if (precision !== "f32" && precision !== "f64") {
    throw new InputError(`precision: expected "f32" or "f64", got ${JSON.stringify(precision)}`);
  }
  const aggregate = o.aggregate ?? "mean";
  if (aggregate !== "mean" && aggregate !== "sqrt") {
    throw new InputError(`aggregate: expected "mean" or "sqrt", got ${JSON.stringify(aggregate)}`);
  }
  let v: CheckInput["v"];
  if ("v_phi" in o || "v_bias" in o) {
    if (!("v_phi" in o)) throw new InputError("v_phi: missing (v_bias given; both or neither)");
    if (!("v_bias" in o)) throw new InputError("v_bias: missing (v_phi given; both or neither)");
    if (!Array.isArray(o.v_phi) || o.v_phi.length !== P) {
      const got = Array.isArray(o.v_phi)
        ? `${o.v_phi.length} vectors`
        : JSON.stringify(o.v_phi)?.slice(0, 40);
      throw new InputError(`v_phi: expected ${P} direction vectors (one per QNN), got ${got}`);
    }
    v = {
      phi: o.v_phi.map((x, p) => numberArray(x, `v_phi[${p}]`, nPhi)),
      bias: numberArray(o.v_bias, "v_bias", 196),
    };
  }
  return {
    P,
    d,
    images,
    labels: o.labels as number[],
    phi,
    bias,
    precision,
    aggregate,
    backend: backend as Backend,
    v,
  };
}

/** Runs the fast simulator on a validated input; `note` hears which backend runs it. */
export async function runCheck(
  input: CheckInput,
  note: (line: string) => void = () => {},
): Promise<CheckOutput> {
  const spec = { P: input.P, d: input.d, aggregate: input.aggregate };
  const nPhi = qnnParamCount(input.d);
  const params = new Float64Array(modelParamCount(spec));
  input.phi.forEach((v, p) => params.set(v, p * nPhi));
  params.set(input.bias, input.P * nPhi);
  const images = Float64Array.from(input.images.flat());
  const labels = Uint8Array.from(input.labels);
  const sim = await createBackendSimulator(spec, {
    precision: input.precision,
    hvp: !!input.v,
    backend: input.backend,
  });
  note(sim.note);
  const phiOf = (x: Float64Array) =>
    input.phi.map((_, p) => Array.from(x.subarray(p * nPhi, (p + 1) * nPhi)));
  try {
    const { loss, grad, logits } = await sim.lossGrad(params, images, labels);
    const out: CheckOutput = {
      logits: input.images.map((_, b) => Array.from(logits.subarray(b * 10, b * 10 + 10))),
      loss,
      grad_phi: phiOf(grad),
      grad_bias: Array.from(grad.subarray(input.P * nPhi)),
    };
    if (input.v) {
      const v = new Float64Array(params.length);
      input.v.phi.forEach((x, p) => v.set(x, p * nPhi));
      v.set(input.v.bias, input.P * nPhi);
      const h = await sim.hvp(params, images, labels, v);
      out.hvp_phi = phiOf(h.hvp);
      out.hvp_bias = Array.from(h.hvp.subarray(input.P * nPhi));
      out.gn_phi = phiOf(h.gaussNewton);
      out.gn_bias = Array.from(h.gaussNewton.subarray(input.P * nPhi));
    }
    return out;
  } finally {
    sim.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  let backend: string | undefined;
  const at = args.indexOf("--backend");
  if (at >= 0) {
    backend = args[at + 1];
    args.splice(at, 2);
    if (!BACKENDS.includes(backend as Backend)) {
      console.error(`qnn-check: --backend must be one of ${BACKENDS.join(", ")}`);
      return 2;
    }
  }
  if (args.length !== 1) {
    console.error(
      "usage: deno task qnn-check [--backend auto|wasm|webgpu] <input.json>   (or - for standard input)",
    );
    return 2;
  }
  let text: string;
  try {
    text = args[0] === "-"
      ? await new Response(Deno.stdin.readable).text()
      : await Deno.readTextFile(args[0]);
  } catch (e) {
    console.error(`qnn-check: cannot read ${args[0]}: ${(e as Error).message}`);
    return 2;
  }
  let input: CheckInput;
  try {
    const raw = JSON.parse(text);
    if (backend && raw && typeof raw === "object") raw.backend = backend;
    input = validateInput(raw);
  } catch (e) {
    const what = e instanceof InputError ? "invalid input" : "input is not valid JSON";
    console.error(`qnn-check: ${what}: ${(e as Error).message}`);
    return 2;
  }
  console.log(JSON.stringify(await runCheck(input, (line) => console.error(`qnn-check: ${line}`))));
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
