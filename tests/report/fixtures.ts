/**
 * Synthetic upstream artifacts in the exact formats of docs/artifacts.md
 * (`best.json`, `metrics.csv`, `hessian.json`, `density.csv`,
 * `landscape.json`, and preprocess's `train_x.npy`), written to a directory
 * and returned as the gathered lists a fan-in step receives (`train_x.npy`:
 * a single path). Values are smooth closed forms of (P, d,
 * seed), overridable per run so tests can hand-compute expectations.
 *
 * @module
 */

import type { GatheredInput } from "../../lib/step/context.ts";
import type { Best, Hessian, Landscape } from "../../lib/artifacts/mod.ts";
import type { StudyInputs } from "../../lib/study/mod.ts";
import { writeNpy } from "../../lib/io/npy.ts";

/** Options of `writeFixtures`. */
export interface FixtureOptions {
  Ps?: number[];
  ds?: number[];
  seeds?: number[];
  epochs?: number;
  /** Landscape grid points per axis. */
  grid?: number;
  nTrain?: number;
  /** Which artifact kinds to write (default: all). */
  kinds?: {
    metrics?: boolean;
    hessian?: boolean;
    density?: boolean;
    landscape?: boolean;
    images?: boolean;
  };
  /** Overrides of best.json fields. */
  best?: (P: number, d: number, seed: number) => Partial<Best>;
  /** Overrides of hessian.json fields (top level; `gauss_newton`/`curvature` objects replace). */
  hessian?: (P: number, d: number, seed: number) => Partial<Hessian>;
  /** Explained-variance ratios. */
  pca?: (P: number, d: number, seed: number) => [number, number];
}

/** The written fixture set. */
export interface Fixtures {
  dir: string;
  inputs: Required<StudyInputs>;
  /** preprocess's `train_x.npy` (`syntheticImages`), or undefined when not written. */
  images?: string;
}

/** Angles of a preprocessed image: at most 2pi/8. */
const X_MAX = Math.PI / 4;

/**
 * Preprocessed images, `[count, 14, 14]` float32: the first a ring (a "0"),
 * the others a vertical bar shifted per image, so a test can tell the first from the rest.
 */
export function syntheticImages(count = 3, n = 14): Float32Array {
  const out = new Float32Array(count * n * n);
  const mid = (n - 1) / 2;
  for (let b = 0; b < count; b++) {
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const v = b === 0
          ? Math.max(0, 1 - Math.abs(Math.hypot((r - mid) / 1.25, c - mid) - 3.8) / 1.4)
          : (Math.abs(c - 3 - b) <= 1 && r >= 2 && r < n - 2 ? 1 : 0);
        out[b * n * n + r * n + c] = Math.fround(X_MAX * v);
      }
    }
  }
  return out;
}

function idOf(step: string, P: number, d: number, seed: number): string {
  return `${step}[P=${P},d=${d},seed=${seed}]`;
}

/** The synthetic metrics rows of one run (epoch 0 = initialisation). */
export function syntheticMetrics(P: number, d: number, seed: number, epochs: number) {
  const rows = [];
  for (let e = 0; e <= epochs; e++) {
    // Decay plus the cosine schedule's bump, so the minimum need not be the last epoch.
    const train = 0.04 + 0.2 / P + 2.2 * Math.exp(-0.5 * e) +
      0.03 * (1 - Math.cos((2 * Math.PI * e) / 10)) / 2 + 0.001 * (seed % 7) + 0.0001 * d +
      // A late drift up, so the minimum is before the last epoch (end != minimum in Figure 3).
      0.004 * Math.max(0, e - 0.75 * epochs);
    const test = 1.08 * train + 0.01;
    rows.push({
      epoch: e,
      lr: 0.01 * (1 + Math.cos((Math.PI * Math.max(e - 1, 0)) / 5)) / 2,
      train_loss: train,
      train_acc: Math.min(1, 1 - train / 2.5),
      test_loss: test,
      test_acc: Math.min(1, 1 - test / 2.5),
      seconds: e === 0 ? 0 : 1.5,
    });
  }
  return rows;
}

function metricsCsv(rows: ReturnType<typeof syntheticMetrics>): string {
  const cols = ["epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"];
  return [
    cols.join(","),
    ...rows.map((r) => cols.map((c) => String(r[c as keyof typeof r])).join(",")),
  ].join("\n") + "\n";
}

/** A trajectory ending near, and passing through, the minimum [0, 0] at `minEpoch`. */
function trajectory(epochs: number, minEpoch: number): [number, number][] {
  const pts: [number, number][] = [];
  for (let e = 0; e <= epochs; e++) {
    const r = 10 * Math.abs(e - minEpoch) / Math.max(minEpoch, 1);
    const t = 0.6 * (e - minEpoch);
    pts.push(e === minEpoch ? [0, 0] : [r * Math.cos(t) + 0.3 * r, 0.5 * r * Math.sin(t)]);
  }
  return pts;
}

/** The synthetic landscape of one run: an anisotropic bowl around the minimum. */
export function syntheticLandscape(
  P: number,
  d: number,
  seed: number,
  epochs: number,
  minEpoch: number,
  n: number,
  evr: [number, number],
): Landscape {
  const traj = trajectory(epochs, minEpoch);
  const xs = traj.map((p) => p[0]);
  const ys = traj.map((p) => p[1]);
  const axis = (lo: number, hi: number) =>
    Array.from({ length: n }, (_, i) => lo - 5 + ((hi - lo + 10) * i) / (n - 1));
  const x = axis(Math.min(...xs), Math.max(...xs));
  const y = axis(Math.min(...ys), Math.max(...ys));
  const sharp = (1 + d / 100) / P;
  const loss = y.map((yy) =>
    x.map((xx) => 0.05 + sharp * (0.02 * xx * xx + 0.08 * yy * yy) + 0.05 * Math.sin(xx / 3) ** 2)
  );
  return {
    P,
    d,
    seed,
    min_epoch: minEpoch,
    explained_variance_ratio: evr,
    x,
    y,
    loss,
    trajectory: traj,
  };
}

/** The synthetic SLQ density of one run: a bulk at zero and outliers up to lambda_max. */
export function syntheticDensity(lambdaMax: number, points = 80): string {
  const lines = ["lambda,density"];
  const lo = -0.1 * lambdaMax;
  const hi = 1.1 * lambdaMax;
  const s2 = (0.02 * lambdaMax) ** 2;
  for (let i = 0; i < points; i++) {
    const l = lo + ((hi - lo) * i) / (points - 1);
    const bulk = Math.exp(-(l * l) / (2 * s2));
    const spike = 1e-3 * Math.exp(-((l - lambdaMax) ** 2) / (2 * s2));
    const mid = 1e-5 * Math.exp(-((l - 0.5 * lambdaMax) ** 2) / (2 * s2));
    lines.push(`${l},${(bulk + spike + mid) / Math.sqrt(2 * Math.PI * s2)}`);
  }
  return lines.join("\n") + "\n";
}

/** Default λ_max of a run: a 1/P² and a 1/P part, growing with depth. */
export function syntheticLambda(P: number, d: number, seedIndex: number) {
  const scale = (1 + d / 50) * (1 + 0.05 * seedIndex);
  return { gn: (256 / (P * P)) * scale, curv: (2 / P) * scale };
}

/** Writes a full synthetic study under `dir` and returns the gathered inputs. */
export async function writeFixtures(dir: string, opts: FixtureOptions = {}): Promise<Fixtures> {
  const Ps = opts.Ps ?? [4, 9];
  const ds = opts.ds ?? [2, 4];
  const seeds = opts.seeds ?? [1001];
  const epochs = opts.epochs ?? 8;
  const n = opts.grid ?? 9;
  const kinds = {
    metrics: true,
    hessian: true,
    density: true,
    landscape: true,
    images: true,
    ...opts.kinds,
  };
  const inputs: Required<StudyInputs> = {
    best: [],
    metrics: [],
    hessian: [],
    density: [],
    landscape: [],
  };
  const add = async (
    list: GatheredInput[],
    step: string,
    file: string,
    P: number,
    d: number,
    seed: number,
    text: string,
  ) => {
    const sub = `${dir}/${step}/P${P}_d${d}_s${seed}`;
    await Deno.mkdir(sub, { recursive: true });
    const path = `${sub}/${file}`;
    await Deno.writeTextFile(path, text);
    list.push({ id: idOf(step, P, d, seed), matrix: { P, d, seed }, path });
  };
  for (const P of Ps) {
    for (const d of ds) {
      for (const [si, seed] of seeds.entries()) {
        const rows = syntheticMetrics(P, d, seed, epochs);
        const best = rows.slice(1).reduce((a, b) => (b.train_loss < a.train_loss ? b : a));
        const bestJson: Best = {
          P,
          d,
          seed,
          n_params: P * (48 * d + 128) + 196,
          n_qnn_params: 48 * d + 128,
          epoch: best.epoch,
          train_loss: best.train_loss,
          train_acc: best.train_acc,
          test_loss: best.test_loss,
          test_acc: best.test_acc,
          epochs,
          n_train: opts.nTrain ?? 1000,
          n_test: 500,
          ...opts.best?.(P, d, seed),
        };
        await add(inputs.best, "train", "best.json", P, d, seed, JSON.stringify(bestJson, null, 2));
        if (kinds.metrics) {
          await add(inputs.metrics, "train", "metrics.csv", P, d, seed, metricsCsv(rows));
        }
        const { gn, curv } = syntheticLambda(P, d, si);
        const over = opts.hessian?.(P, d, seed) ?? {};
        const hessian: Hessian = {
          P,
          d,
          seed,
          n_params: bestJson.n_params,
          epoch: bestJson.epoch,
          lambda_max: gn + curv,
          power: { eigenvalue: gn + curv, iterations: 23, converged: true },
          lanczos: { eigenvalue: gn + curv, iterations: 12, top: [gn + curv, gn / 2] },
          gauss_newton: { lambda_max: gn, iterations: 20 },
          curvature: { lambda_max: curv, lambda_min: -curv / 2, iterations: 20 },
          slq: { probes: 1, steps: 3, nodes: [[0, 1, gn]], weights: [[0.9, 0.09, 0.01]] },
          exact: null,
          hvp: { method: "central-difference", epsilon: 1e-4, relative_error: 1e-9 },
          n_samples: 1000,
          seconds: 1.2,
          ...over,
        };
        if (kinds.hessian) {
          await add(
            inputs.hessian,
            "hessian",
            "hessian.json",
            P,
            d,
            seed,
            JSON.stringify(hessian, null, 2),
          );
        }
        if (kinds.density) {
          await add(
            inputs.density,
            "hessian",
            "density.csv",
            P,
            d,
            seed,
            syntheticDensity(hessian.lambda_max),
          );
        }
        if (kinds.landscape) {
          const evr = opts.pca?.(P, d, seed) ?? [0.87 + 0.001 * P, 0.08 - 0.001 * P];
          const l = syntheticLandscape(P, d, seed, epochs, bestJson.epoch, n, evr);
          await add(inputs.landscape, "landscape", "landscape.json", P, d, seed, JSON.stringify(l));
        }
      }
    }
  }
  let images: string | undefined;
  if (kinds.images) {
    await Deno.mkdir(`${dir}/preprocess`, { recursive: true });
    images = `${dir}/preprocess/train_x.npy`;
    await writeNpy(images, syntheticImages(3), [3, 14, 14]);
  }
  return { dir, inputs, images };
}
