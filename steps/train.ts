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
import { AGGREGATES, BACKENDS, modelParamCount, qnnParamCount } from "../lib/qnn/mod.ts";
import { train } from "../lib/train/train_loop.ts";
import { runStep, type StepContext, StepError } from "../lib/step/context.ts";

/** Runs the step. */
export async function main(ctx: StepContext): Promise<void> {
  const P = ctx.int("P");
  const d = ctx.int("d");
  const seed = ctx.int("seed");
  const epochs = ctx.int("epochs");
  const spec = { P, d, aggregate: ctx.choice("aggregate", AGGREGATES) };
  const [beta1, beta2] = ctx.list("adam_betas", "number");
  const opts = {
    spec,
    seed,
    epochs,
    batchSize: ctx.int("batch_size"),
    lr: learningRateFor(ctx, d),
    tMax: ctx.number("t_max"),
    etaMin: ctx.number("eta_min"),
    weightDecay: ctx.number("weight_decay"),
    betas: [beta1, beta2] as [number, number],
    eps: ctx.number("adam_eps"),
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
    backend: ctx.choice("backend", BACKENDS),
    onSimulator: (note) => ctx.log(note),
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

/**
 * The initial learning rate for depth `d`: `lr` when it is set, otherwise
 * the entry for `d` in the `lr_by_depth` table (which pipeline.yaml cannot
 * check alone: it depends on the depths of the matrix).
 */
function learningRateFor(ctx: StepContext, d: number): number {
  const fixed = ctx.nullable.number("lr");
  if (fixed !== null) return fixed;
  const table = ctx.map("lr_by_depth", "number");
  const lr = table[String(d)];
  if (lr === undefined) {
    throw new StepError(
      `${ctx.id}: no learning rate for depth d=${d}: add '${d}: <rate>' to 'lr_by_depth' ` +
        `(it has ${Object.keys(table).join(", ") || "no entries"}) or set 'lr'`,
    );
  }
  return lr;
}

function fmtTime(s: number): string {
  if (s < 60) return `${s.toFixed(0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

if (import.meta.main) await runStep(main);
