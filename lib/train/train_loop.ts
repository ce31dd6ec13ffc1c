/**
 * Training of one model configuration (P patches, depth d, one seed), as the
 * paper does it: parameters uniform in [0, pi), bias zero; PyTorch's Adam with
 * L2 weight decay; cosine annealing stepped once per epoch; stratified
 * minibatches reshuffled every epoch from the seed; after each epoch the
 * parameters are appended to the trajectory and the full training and test
 * sets are evaluated. Every epoch ends with a crash-safe checkpoint, and a
 * resumed run ends bit-for-bit where an uninterrupted one would.
 *
 * @module
 */

import { type MetricsRow, minTrainingLossEpoch } from "../artifacts/mod.ts";
import { gatherImages, gatherLabels, stratifiedBatches } from "../data/mod.ts";
import { decodeNpy, encodeNpy } from "../io/mod.ts";
import { Adam, cosineAnnealingLR } from "../optim/mod.ts";
import {
  type Backend,
  createBackendSimulator,
  evaluate,
  modelParamCount,
  type ModelSpec,
  qnnParamCount,
} from "../qnn/mod.ts";
import { loadLatest, Prng, saveSnapshot, type Snapshot } from "../util/mod.ts";

/** The hyper-parameters of one run. */
export interface TrainOptions {
  spec: ModelSpec;
  seed: number;
  epochs: number;
  batchSize: number;
  /** Initial learning rate (the paper's depends on d). */
  lr: number;
  tMax: number;
  etaMin: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
}

/** The preprocessed data: images n x 196 (float32), labels 0-9. */
export interface TrainData {
  trainX: Float32Array;
  trainY: Uint8Array;
  testX: Float32Array;
  testY: Uint8Array;
}

/** Callbacks and resources of a run. */
export interface TrainHooks {
  /** Where to keep the per-epoch checkpoint; omit to train without one. */
  checkpointDir?: string;
  /** Simulator workers. */
  workers?: number;
  /** Simulator backend (default "wasm"). */
  backend?: Backend;
  /** Called once with the backend chosen and why (auto: which adapter). */
  onSimulator?(note: string): void;
  /** Called after every optimiser step. */
  onBatch?(epoch: number, batch: number, batches: number, loss: number): void;
  /** Called after every evaluated epoch (epoch 0 is the initial point). */
  onEpoch?(m: MetricsRow, resumed: boolean): void;
  /** Called once when a run resumes from a checkpoint. */
  onResume?(epoch: number): void;
  /** Called for each damaged checkpoint generation that is discarded (then an older one, or none, is used). */
  onCheckpointDiscarded?(label: string, reason: string): void;
}

/** What a run produces. */
export interface TrainResult {
  /** (epochs + 1) x N parameter vectors, row 0 the initial point. */
  trajectory: Float64Array;
  metrics: MetricsRow[];
  /** The epoch with the minimum full-training-set loss (the first one on ties). */
  bestEpoch: number;
}

const IMAGE = 196;

/** The initial parameters: every QNN parameter uniform in [0, pi) from the seed's "init" stream, bias zero. */
export function initialParams(spec: ModelSpec, seed: number): Float64Array {
  const n = modelParamCount(spec);
  const params = new Float64Array(n);
  Prng.from(seed, "init").fillUniform(
    params.subarray(0, spec.P * qnnParamCount(spec.d)),
    0,
    Math.PI,
  );
  return params;
}

/** The epoch of the smallest training loss, initialisation included (the first one on ties). */
export function bestEpochOf(metrics: MetricsRow[]): number {
  const epoch = minTrainingLossEpoch(metrics);
  if (epoch === null) throw new Error("best epoch: no metrics rows");
  return epoch;
}

interface State {
  epoch: number;
  params: Float64Array;
  adam: Adam;
  rng: Prng;
  metrics: MetricsRow[];
  rows: Float64Array[];
}

/** Trains one configuration, resuming from the newest intact snapshot in `hooks.checkpointDir`. */
export async function train(
  opts: TrainOptions,
  data: TrainData,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  validate(opts, data);
  const n = modelParamCount(opts.spec);
  const sim = await createBackendSimulator(opts.spec, {
    precision: "f32",
    workers: hooks.workers ?? 1,
    backend: hooks.backend,
  });
  hooks.onSimulator?.(sim.note);
  try {
    const evalAll = async (params: Float64Array) => {
      const tr = await evaluate(sim, params, data.trainX, data.trainY);
      const te = await evaluate(sim, params, data.testX, data.testY);
      return {
        train_loss: tr.loss,
        train_acc: tr.accuracy,
        test_loss: te.loss,
        test_acc: te.accuracy,
      };
    };
    let state = hooks.checkpointDir ? await restore(hooks.checkpointDir, opts, n, hooks) : null;
    if (state) {
      hooks.onResume?.(state.epoch);
      for (const m of state.metrics) hooks.onEpoch?.(m, true);
    } else {
      const params = initialParams(opts.spec, opts.seed);
      const m0 = {
        epoch: 0,
        lr: cosineAnnealingLR(opts.lr, 0, opts.tMax, opts.etaMin),
        ...(await evalAll(params)),
        seconds: 0,
      };
      hooks.onEpoch?.(m0, false);
      state = {
        epoch: 0,
        params,
        adam: new Adam(n, { betas: opts.betas, eps: opts.eps, weightDecay: opts.weightDecay }),
        rng: Prng.from(opts.seed, "shuffle"),
        metrics: [m0],
        rows: [params.slice()],
      };
      if (hooks.checkpointDir) await checkpoint(hooks.checkpointDir, state);
    }
    for (let epoch = state.epoch + 1; epoch <= opts.epochs; epoch++) {
      // PyTorch's CosineAnnealingLR is stepped after each epoch: epoch e (1-based) uses the value at e - 1.
      const lr = cosineAnnealingLR(opts.lr, epoch - 1, opts.tMax, opts.etaMin);
      const t0 = performance.now();
      const batches = stratifiedBatches(data.trainY, opts.batchSize, state.rng);
      for (let b = 0; b < batches.length; b++) {
        const x = gatherImages(data.trainX, batches[b]);
        const y = gatherLabels(data.trainY, batches[b]);
        const { loss, grad } = await sim.lossGrad(state.params, x, y);
        if (!Number.isFinite(loss)) {
          throw new Error(
            `epoch ${epoch}, batch ${b + 1}: the loss is ${loss}; lower the learning rate`,
          );
        }
        state.adam.step(state.params, grad, lr);
        hooks.onBatch?.(epoch, b + 1, batches.length, loss);
      }
      const seconds = (performance.now() - t0) / 1000;
      const m = { epoch, lr, ...(await evalAll(state.params)), seconds };
      state.metrics.push(m);
      state.rows.push(state.params.slice());
      state.epoch = epoch;
      if (hooks.checkpointDir) await checkpoint(hooks.checkpointDir, state);
      hooks.onEpoch?.(m, false);
    }
    const trajectory = new Float64Array(state.rows.length * n);
    state.rows.forEach((r, i) => trajectory.set(r, i * n));
    return { trajectory, metrics: state.metrics, bestEpoch: bestEpochOf(state.metrics) };
  } finally {
    sim.close();
  }
}

function validate(opts: TrainOptions, data: TrainData): void {
  const { trainX, trainY, testX, testY } = data;
  if (trainX.length !== trainY.length * IMAGE || testX.length !== testY.length * IMAGE) {
    throw new Error("training data: images and labels disagree in count (each image is 14 x 14)");
  }
  if (trainY.length === 0) throw new Error("training data: no training images");
  if (!Number.isInteger(opts.epochs) || opts.epochs < 0) {
    throw new Error(`epochs must be a non-negative integer, got ${opts.epochs}`);
  }
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
    throw new Error(`batch size must be a positive integer, got ${opts.batchSize}`);
  }
  if (!(opts.lr > 0)) throw new Error(`learning rate must be positive, got ${opts.lr}`);
}

async function checkpoint(dir: string, s: State): Promise<void> {
  const n = s.params.length;
  const traj = new Float64Array(s.rows.length * n);
  s.rows.forEach((r, i) => traj.set(r, i * n));
  const adam = s.adam.state();
  const meta = {
    epoch: s.epoch,
    adam_t: adam.t,
    rng: s.rng.state(),
    metrics: s.metrics,
  };
  await saveSnapshot(dir, `epoch-${String(s.epoch).padStart(6, "0")}`, {
    "state.json": new TextEncoder().encode(JSON.stringify(meta)),
    "params.npy": encodeNpy(s.params, [n]),
    "adam_m.npy": encodeNpy(adam.m, [n]),
    "adam_v.npy": encodeNpy(adam.v, [n]),
    "trajectory.npy": encodeNpy(traj, [s.rows.length, n]),
  });
}

async function restore(
  dir: string,
  opts: TrainOptions,
  n: number,
  hooks: TrainHooks,
): Promise<State | null> {
  // A generation that fails its integrity check or does not decode is discarded and the one
  // before it is tried: a damaged checkpoint costs an epoch, not the run.
  return await loadLatest(dir, (snap) => decodeState(snap, opts, n), {
    onDiscard: (label, reason) => hooks.onCheckpointDiscarded?.(label, reason),
  });
}

function decodeState(snap: Snapshot, opts: TrainOptions, n: number): State {
  const file = (name: string) => {
    const b = snap.files.get(name);
    if (!b) throw new Error(`it lacks ${name}`);
    return b;
  };
  const meta = JSON.parse(new TextDecoder().decode(file("state.json")));
  const f64 = (name: string) => decodeNpy(file(name), name).data as Float64Array;
  const params = f64("params.npy");
  const traj = f64("trajectory.npy");
  if (params.length !== n || traj.length !== (meta.epoch + 1) * n) {
    throw new Error("its shapes do not match this configuration");
  }
  const rows: Float64Array[] = [];
  for (let i = 0; i <= meta.epoch; i++) rows.push(traj.slice(i * n, (i + 1) * n));
  return {
    epoch: meta.epoch,
    params,
    adam: Adam.restore(
      { t: meta.adam_t, m: f64("adam_m.npy"), v: f64("adam_v.npy") },
      { betas: opts.betas, eps: opts.eps, weightDecay: opts.weightDecay },
    ),
    rng: Prng.restore(meta.rng),
    metrics: meta.metrics,
    rows,
  };
}
