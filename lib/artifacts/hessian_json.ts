/**
 * `hessian.json` of step `hessian`: the spectrum of the full-training-set
 * loss Hessian at the minimum-training-loss parameters (power iteration,
 * Lanczos, the Gauss-Newton / curvature split, SLQ, the exact spectrum of
 * small models). The field list is in docs/artifacts.md.
 *
 * @module
 */

import { fail, jsonText, num, readJsonObject } from "./file_checks.ts";

/** One term of the Gauss-Newton / curvature split (its own Lanczos run). */
export interface TermSpectrum {
  lambda_max: number;
  lambda_min: number;
  /** The top Ritz values, descending. */
  top: number[];
  iterations: number;
}

/** The whole document as step `hessian` writes it. */
export interface HessianJson {
  P: number;
  d: number;
  seed: number;
  n_params: number;
  /** The epoch of `best.json` whose parameters were analysed. */
  epoch: number;
  /** The headline value: power iteration's eigenvalue. */
  lambda_max: number;
  power: { eigenvalue: number; iterations: number; converged: boolean };
  /** From the first SLQ probe: `steps` products in all, `iterations` to converge (tolerance as power). */
  lanczos: {
    eigenvalue: number;
    iterations: number;
    converged: boolean;
    steps: number;
    top: number[];
  };
  gauss_newton: TermSpectrum;
  curvature: TermSpectrum;
  slq: { probes: number; steps: number; nodes: number[][]; weights: number[][] };
  exact: { eigenvalues: number[]; asymmetry: number } | null;
  /** Operator products used by each part. */
  products: Record<string, number>;
  /** How products were computed; epsilon and relative_error are null for exact products. */
  hvp: { method: string; epsilon: number | null; relative_error: number | null };
  n_samples: number;
}

/**
 * `hessian.json` as the reader guarantees it: the identity and `lambda_max`
 * always, each split term's `lambda_max` when the term is there, and every
 * other field as it comes (older or partial documents are accepted: the
 * tables and charts say what is missing).
 */
export interface Hessian
  extends Pick<HessianJson, "P" | "d" | "seed" | "n_params" | "epoch" | "lambda_max"> {
  gauss_newton?: { lambda_max: number; iterations?: number } | null;
  curvature?: { lambda_max: number; lambda_min?: number; iterations?: number } | null;
  power?: { eigenvalue: number; iterations: number; converged: boolean } | null;
  n_samples?: number;
  [key: string]: unknown;
}

function term(t: TermSpectrum): TermSpectrum {
  return {
    lambda_max: t.lambda_max,
    lambda_min: t.lambda_min,
    top: t.top,
    iterations: t.iterations,
  };
}

/** The text of `hessian.json`: fields in the documented order, whatever the object's own order. */
export function hessianJson(h: HessianJson): string {
  const body: HessianJson = {
    P: h.P,
    d: h.d,
    seed: h.seed,
    n_params: h.n_params,
    epoch: h.epoch,
    lambda_max: h.lambda_max,
    power: {
      eigenvalue: h.power.eigenvalue,
      iterations: h.power.iterations,
      converged: h.power.converged,
    },
    lanczos: {
      eigenvalue: h.lanczos.eigenvalue,
      iterations: h.lanczos.iterations,
      converged: h.lanczos.converged,
      steps: h.lanczos.steps,
      top: h.lanczos.top,
    },
    gauss_newton: term(h.gauss_newton),
    curvature: term(h.curvature),
    slq: { probes: h.slq.probes, steps: h.slq.steps, nodes: h.slq.nodes, weights: h.slq.weights },
    exact: h.exact === null
      ? null
      : { eigenvalues: h.exact.eigenvalues, asymmetry: h.exact.asymmetry },
    products: h.products,
    hvp: { method: h.hvp.method, epsilon: h.hvp.epsilon, relative_error: h.hvp.relative_error },
    n_samples: h.n_samples,
  };
  return jsonText(body);
}

/** Writes `hessian.json`. */
export async function writeHessian(path: string, h: HessianJson): Promise<void> {
  await Deno.writeTextFile(path, hessianJson(h));
}

/**
 * Checks a parsed `hessian.json` (see `Hessian` for what is required).
 */
export function checkHessian(o: Record<string, unknown>, path: string): Hessian {
  for (const k of ["P", "d", "seed", "lambda_max"]) num(o, k, path);
  for (const part of ["gauss_newton", "curvature"]) {
    const v = o[part];
    if (v !== undefined && v !== null) {
      if (typeof v !== "object") fail(path, `field '${part}' must be an object or null`);
      num(v as Record<string, unknown>, "lambda_max", path, `${path} (${part})`);
    }
  }
  return o as unknown as Hessian;
}

/**
 * Reads and checks `hessian.json`.
 *
 * @example
 * ```ts
 * const { lambda_max } = await readHessian(g.path);
 * ```
 */
export async function readHessian(path: string): Promise<Hessian> {
  return checkHessian(await readJsonObject(path), path);
}
