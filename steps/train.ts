/**
 * Step `train[P,d,seed]`: trains one distributed-QNN configuration and writes
 * its trajectory, metrics and minimum-training-loss point (formats in
 * docs/artifacts.md).
 *
 * @module
 */

import {
  type MetricsRow,
  writeBest,
  writeHistory,
  writeMetrics,
  writeTrajectory,
} from "../lib/artifacts/mod.ts";
import { readNpy, writeNpy } from "../lib/io/npy.ts";
import { modelParamCount, qnnParamCount } from "../lib/qnn/mod.ts";
import { train } from "../lib/train/train_loop.ts";
import { runStep, type StepContext, StepError } from "../lib/step/context.ts";
import { learningRateFor, readAggregate, readBetas, readInt, readNumber } from "./params.ts";

/** Runs the step. */
export async function main(ctx: StepContext): Promise<void> {
  const P = readInt(ctx, "P");
  const d = readInt(ctx, "d");
  const seed = readInt(ctx, "seed");
  const epochs = readInt(ctx, "epochs");
  const spec = { P, d, aggregate: readAggregate(ctx) };
  const opts = {
    spec,
    seed,
    epochs,
    batchSize: readInt(ctx, "batch_size"),
    lr: learningRateFor(ctx, d),
    tMax: readNumber(ctx, "t_max"),
    etaMin: readNumber(ctx, "eta_min"),
    weightDecay: readNumber(ctx, "weight_decay"),
    betas: readBetas(ctx),
    eps: readNumber(ctx, "adam_eps"),
  };
  const [trainX, trainY, testX, testY] = await Promise.all([
    readNpy(ctx.input("train_x"), "f4"),
    readNpy(ctx.input("train_y"), "u1"),
    readNpy(ctx.input("test_x"), "f4"),
    readNpy(ctx.input("test_y"), "u1"),
  ]);
  const n = modelParamCount(spec);
  ctx.log(
    `P=${P} d=${d} seed=${seed}: ${n} parameters (${P} x ${qnnParamCount(d)} + 196), ` +
      `${trainY.data.length} training / ${testY.data.length} test images, ${epochs} epochs, lr ${opts.lr}`,
  );
  const started = performance.now();
  let optimised = 0;
  const result = await train(opts, {
    trainX: trainX.data,
    trainY: trainY.data,
    testX: testX.data,
    testY: testY.data,
  }, {
    checkpointDir: ctx.checkpoint_dir,
    workers: ctx.cores,
    onResume: (e) => ctx.log(`resuming from the checkpoint after epoch ${e}`),
    onCheckpointDiscarded: (label, reason) =>
      ctx.log(`warning: checkpoint ${label} discarded: ${reason}`),
    onBatch: (e, b, nb, loss) =>
      ctx.progress(
        (e - 1 + b / nb) / Math.max(1, epochs),
        `epoch ${e}/${epochs} batch ${b}/${nb} loss ${loss.toFixed(4)}`,
      ),
    onEpoch: (m: MetricsRow, resumed) => {
      if (!resumed && m.epoch > 0) optimised++;
      const elapsed = (performance.now() - started) / 1000;
      const left = epochs - m.epoch;
      const eta = optimised > 0 && left > 0 ? `, ETA ${fmtTime((elapsed / optimised) * left)}` : "";
      ctx.log(
        `epoch ${m.epoch}/${epochs}${resumed ? " (from checkpoint)" : ""}: ` +
          `train loss ${m.train_loss.toFixed(4)} acc ${m.train_acc.toFixed(4)}, ` +
          `test loss ${m.test_loss.toFixed(4)} acc ${m.test_acc.toFixed(4)}, ` +
          `${m.seconds.toFixed(1)} s${eta}`,
      );
      ctx.progress(m.epoch / Math.max(1, epochs), `epoch ${m.epoch}/${epochs} done`);
    },
  });
  const rows = result.metrics.length;
  await writeTrajectory(ctx.output("trajectory"), { data: result.trajectory, rows, n });
  // Two tables of the same rows: metrics.csv for people, with each epoch's wall-clock seconds, and
  // history.csv without them, which is a pure function of the inputs: downstream steps read it, so
  // a rerun (or another executor) that reproduces the numbers reruns nothing after it.
  await writeMetrics(ctx.output("metrics"), result.metrics);
  await writeHistory(ctx.output("history"), result.metrics);
  const best = result.metrics[result.bestEpoch];
  if (best.epoch !== result.bestEpoch) throw new StepError("internal: metrics rows out of order");
  await writeNpy(
    ctx.output("best_params"),
    result.trajectory.slice(result.bestEpoch * n, (result.bestEpoch + 1) * n),
    [n],
  );
  await writeBest(ctx.output("best"), {
    P,
    d,
    seed,
    n_params: n,
    n_qnn_params: qnnParamCount(d),
    epoch: best.epoch,
    train_loss: best.train_loss,
    train_acc: best.train_acc,
    test_loss: best.test_loss,
    test_acc: best.test_acc,
    epochs,
    n_train: trainY.data.length,
    n_test: testY.data.length,
  });
  ctx.log(
    `minimum training loss at epoch ${best.epoch}: test loss ${best.test_loss.toFixed(4)}, ` +
      `test accuracy ${best.test_acc.toFixed(4)}`,
  );
}

function fmtTime(s: number): string {
  if (s < 60) return `${s.toFixed(0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

if (import.meta.main) await runStep(main);
