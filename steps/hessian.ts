/**
 * Step `hessian[P,d,seed]`: the Hessian of the full-training-set mean loss
 * with respect to every trainable number (QNN parameters and the bias) at the
 * minimum-training-loss parameters: largest eigenvalue (power iteration with
 * PyHessian's rules, and Lanczos), top-k, the Gauss-Newton / curvature split,
 * the SLQ density, and the exact spectrum for small models (formats in
 * docs/artifacts.md). Products are exact (`hvp: exact`, forward mode over the
 * reverse sweep) in `hessian_precision` (f32 as PyHessian, or f64), or central
 * differences of float64 gradients (`hvp: central`, a cross-check).
 *
 * @module
 */

import { readBest, writeDensity, writeHessian } from "../lib/artifacts/mod.ts";
import { analyseHessian, densityRows } from "../lib/hessian/analysis.ts";
import { ProductJournal } from "../lib/hessian/journal.ts";
import { hessianOperators, hvpRelativeError } from "../lib/hessian/operators.ts";
import { readNpy } from "../lib/io/npy.ts";
import { formatBytes } from "../lib/files/mod.ts";
import {
  AGGREGATES,
  BACKENDS,
  CHUNK,
  createBackendSimulator,
  hessianCacheBytes,
  modelParamCount,
} from "../lib/qnn/mod.ts";
import { runStep, type StepContext, StepError } from "../lib/step/context.ts";
import { Prng } from "../lib/util/prng.ts";
import { readTrainingSet } from "./inputs.ts";

/** The step's `hvp` and `hessian_precision` parameters. */
function readHvpSettings(
  ctx: StepContext,
): { method: "exact" | "central"; precision: "f32" | "f64" } {
  const method = ctx.choice("hvp", ["exact", "central"] as const);
  const precision = ctx.choice("hessian_precision", ["f32", "f64"] as const);
  if (method === "central" && precision !== "f64") {
    throw new StepError(
      `${ctx.id}: 'hvp: central' differences gradients and needs 'hessian_precision: f64'`,
    );
  }
  return { method, precision };
}

/** How often the product journal is saved: a kill loses at most this much work (plus one product). */
const CHECKPOINT_SECONDS = 120;

/** Options for tests only; `runStep` passes none. */
export interface HessianTesting {
  /** Simulate a kill: checkpoint and throw a `JournalStop` after this many products. */
  stopAfter?: number;
}

/** Runs the step. */
export async function main(ctx: StepContext, testing: HessianTesting = {}): Promise<void> {
  const P = ctx.int("P");
  const d = ctx.int("d");
  const seed = ctx.int("seed");
  const spec = { P, d, aggregate: ctx.choice("aggregate", AGGREGATES) };
  const opts = {
    seed,
    powerMaxIter: ctx.int("power_max_iter"),
    powerTol: ctx.number("power_tol"),
    topK: ctx.int("top_k"),
    splitSteps: ctx.int("split_steps"),
    slqProbes: ctx.int("slq_probes"),
    slqSteps: ctx.int("slq_steps"),
    exactMaxParams: ctx.int("exact_max_params"),
    densityBins: ctx.int("density_bins"),
  };
  const epsilon = ctx.number("hvp_epsilon");
  const { method, precision } = readHvpSettings(ctx);
  const samples = ctx.nullable.int("hessian_samples");

  const params = (await readNpy(ctx.input("best_params"), "f8")).data;
  const best = await readBest(ctx.input("best"));
  const n = modelParamCount(spec);
  if (params.length !== n) {
    throw new StepError(
      `${ctx.id}: best_params has ${params.length} numbers, P=${P}, d=${d} needs ${n}`,
    );
  }
  const { images, labels } = await readTrainingSet(ctx, samples, seed, "hessian-subset");
  ctx.log(
    `P=${P} d=${d} seed=${seed}: Hessian of ${n} parameters at epoch ${best.epoch}, ` +
      `${labels.length} training images, ${method} products in ${precision}`,
  );

  const t0 = performance.now();
  // Every product is at one point: keeping its states saves a third of each product's work.
  // Bounded, so memory stays independent of the data set's size beyond CACHE_BYTES.
  const perChunk = hessianCacheBytes(spec, precision, 1);
  const keep = method === "exact"
    ? Math.min(labels.length, Math.floor(CACHE_BYTES / perChunk) * CHUNK)
    : 0;
  const sim = await createBackendSimulator(spec, {
    precision,
    workers: ctx.cores,
    hvp: method === "exact",
    hessianCacheImages: keep,
    backend: ctx.choice("backend", BACKENDS),
  });
  if (method === "exact") {
    const kept = Math.min(labels.length, sim.hessianCacheImages);
    ctx.log(
      `keeping the states of ${kept} of ${labels.length} images between products ` +
        `(${formatBytes(hessianCacheBytes(spec, precision, kept))})`,
    );
  }
  ctx.log(sim.note);
  try {
    const raw = await hessianOperators(sim, params, images, labels, { epsilon, method });
    // Every product goes through the journal, so a rerun after a kill replays the finished ones.
    const journal = await ProductJournal.open(n, {
      dir: ctx.checkpoint_dir,
      intervalSeconds: CHECKPOINT_SECONDS,
      stopAfter: testing.stopAfter,
      log: (line) => ctx.log(line),
    });
    if (journal.recorded > 0) {
      ctx.log(`resuming from the checkpoint: ${journal.recorded} products recorded`);
    }
    const ops = {
      n,
      hvp: journal.wrap("hvp", raw.hvp),
      gaussNewton: journal.wrap("gauss_newton", raw.gaussNewton),
      curvature: journal.wrap("curvature", raw.curvature),
    };
    const phases = ["power", "gauss_newton", "curvature", "slq", "exact"];
    let lastPhase = "";
    let phaseStart = performance.now();
    const result = await analyseHessian(ops, opts, (phase, f) => {
      if (phase !== lastPhase) {
        if (lastPhase !== "") ctx.log(`${lastPhase} done (${elapsed(t0)})`);
        phaseStart = performance.now();
      }
      lastPhase = phase;
      const i = phases.indexOf(phase);
      // The phase's remaining time at its rate so far (power iteration may stop earlier).
      const spent = (performance.now() - phaseStart) / 1000;
      const eta = f > 0 && f < 1
        ? `, ETA ${phase === "power" ? "<= " : ""}${clock(spent / f * (1 - f))}`
        : "";
      ctx.progress((i + f) / phases.length, `${phase} ${(100 * f).toFixed(0)}%${eta}`);
    });
    ctx.log(`${lastPhase} done (${elapsed(t0)})`);
    // The truncation error of the central differences, measured along a random direction (exact
    // products have none).
    let relErr: number | null = null;
    if (method === "central") {
      const probe = new Float64Array(n);
      Prng.from(seed, "hessian-hvp-error").fillNormal(probe);
      relErr = await hvpRelativeError(sim, params, images, labels, probe, epsilon);
    }
    await writeHessian(ctx.output("hessian"), {
      P,
      d,
      seed,
      n_params: n,
      epoch: best.epoch,
      ...result,
      hvp: method === "central"
        ? {
          method: "central-difference of exact float64 gradients",
          epsilon,
          relative_error: relErr,
        }
        : {
          method: `exact (forward over reverse), ${precision}`,
          epsilon: null,
          relative_error: null,
        },
      n_samples: labels.length,
    });
    await writeDensity(ctx.output("density"), densityRows(result.slq, opts.densityBins));
    ctx.log(
      `lambda_max ${result.lambda_max.toFixed(4)} (power, ${result.power.iterations} products; ` +
        `Lanczos ${result.lanczos.eigenvalue.toFixed(4)} in ${result.lanczos.iterations}); ` +
        `Gauss-Newton ${result.gauss_newton.lambda_max.toFixed(4)}, ` +
        `curvature ${result.curvature.lambda_max.toFixed(4)}; ` +
        (relErr === null ? "" : `HVP rel. error ${relErr.toExponential(1)}; `) +
        // Timings go to the log, not the artifact, so a rerun gives identical bytes.
        `${elapsed(t0)}`,
    );
  } finally {
    sim.close();
  }
}

/** The most memory the products' kept states may take (see Simulator.hessianAt). */
const CACHE_BYTES = 1024 * 2 ** 20;

/** Seconds as "1h02m", "3m05s" or "12s". */
function clock(seconds: number): string {
  const t = Math.round(seconds);
  if (t >= 3600) {
    return `${Math.floor(t / 3600)}h${String(Math.floor(t / 60) % 60).padStart(2, "0")}m`;
  }
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${t}s`;
}

function elapsed(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

if (import.meta.main) await runStep(main);
