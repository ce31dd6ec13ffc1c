/**
 * Step `landscape[P,d,seed]`: the loss landscape around the trajectory of
 * one trained configuration (Figure 3, Table 6): PCA of the QNN parameters
 * recorded at initialisation and after every epoch, a grid over the projected
 * trajectory plus a margin, the full-training-set loss at every grid point
 * with the bias held at its minimum-epoch value (format in docs/artifacts.md).
 *
 * @module
 */

import { readBest, readTrajectory, writeLandscape } from "../lib/artifacts/mod.ts";
import { gridLosses } from "../lib/landscape/grid.ts";
import {
  gridAxis,
  LANDSCAPE_ORIGINS,
  landscapePlane,
  pointAt,
} from "../lib/landscape/pca_plane.ts";
import {
  AGGREGATES,
  BACKENDS,
  createBackendSimulator,
  evaluate,
  modelParamCount,
  qnnParamCount,
} from "../lib/qnn/mod.ts";
import { runStep, type StepContext, StepError } from "../lib/step/context.ts";
import { readTrainingSet } from "./inputs.ts";

/** How often finished grid rows are saved: a kill loses at most this much work (plus one row). */
const CHECKPOINT_SECONDS = 60;

/** Options for tests only; `runStep` passes none. */
export interface LandscapeTesting {
  /** Simulate a kill: checkpoint and throw a `GridStop` after this many grid rows. */
  stopAfterRows?: number;
}

/** Runs the step. */
export async function main(ctx: StepContext, testing: LandscapeTesting = {}): Promise<void> {
  const P = ctx.int("P");
  const d = ctx.int("d");
  const seed = ctx.int("seed");
  const spec = { P, d, aggregate: ctx.choice("aggregate", AGGREGATES) };
  const size = ctx.int("landscape_grid");
  const margin = ctx.number("landscape_margin");
  const samples = ctx.nullable.int("landscape_samples");
  const origin = ctx.choice("landscape_plane", LANDSCAPE_ORIGINS);
  const n = modelParamCount(spec);
  const traj = await readTrajectory(ctx.input("trajectory"));
  const rows = traj.rows;
  if (traj.n !== n) {
    throw new StepError(
      `${ctx.id}: trajectory has shape [${rows},${traj.n}], expected [epochs + 1, ${n}]`,
    );
  }
  const best = await readBest(ctx.input("best"));
  const minRow = best.epoch;
  const { images, labels } = await readTrainingSet(ctx, samples, seed, "landscape-subset");

  const plane = landscapePlane(traj.data, rows, n, P * qnnParamCount(d), minRow);
  const xs = gridAxis(plane.trajectory.map((p) => p[0]), size, margin);
  const ys = gridAxis(plane.trajectory.map((p) => p[1]), size, margin);
  const [r1, r2] = plane.explainedVarianceRatio;
  ctx.log(
    `P=${P} d=${d} seed=${seed}: ${rows} points, PC1 ${r1.toFixed(4)}, PC2 ${r2.toFixed(4)}; ` +
      `${size} x ${size} grid on ${labels.length} training images; plane ${origin}, the ` +
      `minimum is ${plane.minimumResidual.toExponential(3)} off it ` +
      `(|minimum - mean| ${plane.minimumOffset.toExponential(3)})`,
  );
  const minimum = traj.data.slice(minRow * n, (minRow + 1) * n);
  const t0 = performance.now();
  const sim = await createBackendSimulator(spec, {
    precision: "f32",
    workers: ctx.cores,
    backend: ctx.choice("backend", BACKENDS),
  });
  ctx.log(sim.note);
  let loss: number[][];
  try {
    const points = xs.length * ys.length;
    loss = await gridLosses(xs, ys, async (x, y, i, j) => {
      const value =
        (await evaluate(sim, pointAt(minimum, plane, x, y, origin), images, labels)).loss;
      ctx.progress((i * xs.length + j + 1) / points, `grid ${i + 1}/${ys.length}`);
      return value;
    }, {
      dir: ctx.checkpoint_dir,
      intervalSeconds: CHECKPOINT_SECONDS,
      stopAfterRows: testing.stopAfterRows,
      log: (line) => ctx.log(line),
    });
  } finally {
    sim.close();
  }
  await writeLandscape(ctx.output("landscape"), {
    P,
    d,
    seed,
    min_epoch: minRow,
    explained_variance_ratio: plane.explainedVarianceRatio,
    x: xs,
    y: ys,
    loss,
    trajectory: plane.trajectory,
    n_samples: labels.length,
    plane: origin,
    min_residual: plane.minimumResidual,
    min_offset: plane.minimumOffset,
  });
  // Timings go to the log, not the artifact, so a rerun gives identical bytes.
  ctx.log(
    `grid done in ${((performance.now() - t0) / 1000).toFixed(1)} s; loss range ${range(loss)}`,
  );
}

function range(loss: number[][]): string {
  const all = loss.flat();
  return `${Math.min(...all).toFixed(4)} .. ${Math.max(...all).toFixed(4)}`;
}

if (import.meta.main) await runStep(main);
