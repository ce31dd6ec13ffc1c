/**
 * Inputs for running the `hessian` and `landscape` steps in-process on a tiny
 * model (P = 4, d = 1): embedded digits, a trajectory of a few perturbed
 * points around the initialisation, and its best.json.
 *
 * @module
 */

import { join } from "node:path";
import { writeBest, writeTrajectory } from "../../lib/artifacts/mod.ts";
import { poolAngles } from "../../lib/data/angle_pooling.ts";
import { embeddedMnist } from "../../lib/data/embedded.ts";
import { takeDigits } from "../../lib/data/mnist.ts";
import { writeNpy } from "../../lib/io/npy.ts";
import { modelParamCount, qnnParamCount } from "../../lib/qnn/mod.ts";
import { makeContext, type StepContext } from "../../lib/step/context.ts";
import { initialParams } from "../../lib/train/train_loop.ts";
import { Prng } from "../../lib/util/prng.ts";

export const SPEC = { P: 4, d: 1 };
const ROWS = 4;
const MIN_ROW = 2;

/** Writes the shared inputs into `dir`; returns their paths. */
export async function writeInputs(dir: string, nTrain = 60): Promise<Record<string, string>> {
  const split = await embeddedMnist();
  const tr = takeDigits(split.train, Int32Array.from({ length: nTrain }, (_, i) => i));
  const n = modelParamCount(SPEC);
  const traj = new Float64Array(ROWS * n);
  const init = initialParams(SPEC, 1001);
  const rng = Prng.from(7, "test-trajectory");
  for (let r = 0; r < ROWS; r++) {
    const row = init.slice();
    const step = new Float64Array(n);
    rng.fillNormal(step);
    for (let j = 0; j < n; j++) row[j] += 0.05 * r * step[j];
    traj.set(row, r * n);
  }
  const paths = {
    train_x: join(dir, "train_x.npy"),
    train_y: join(dir, "train_y.npy"),
    trajectory: join(dir, "trajectory.npy"),
    best_params: join(dir, "best_params.npy"),
    best: join(dir, "best.json"),
  };
  await writeNpy(paths.train_x, poolAngles(tr.images, nTrain), [nTrain, 14, 14]);
  await writeNpy(paths.train_y, tr.labels, [nTrain]);
  await writeTrajectory(paths.trajectory, { data: traj, rows: ROWS, n });
  await writeNpy(paths.best_params, traj.slice(MIN_ROW * n, (MIN_ROW + 1) * n), [n]);
  await writeBest(paths.best, {
    ...SPEC,
    seed: 1001,
    n_params: n,
    n_qnn_params: qnnParamCount(SPEC.d),
    epoch: MIN_ROW,
    train_loss: 2,
    train_acc: 0.1,
    test_loss: 2,
    test_acc: 0.1,
    epochs: ROWS - 1,
    n_train: nTrain,
    n_test: 10,
  });
  return paths;
}

/** An in-process context for `step` under `dir/<name>`, with its log lines captured. */
export async function stepContext(
  dir: string,
  name: string,
  step: string,
  params: Record<string, unknown>,
  inputs: Record<string, string>,
  outputs: Record<string, string>,
): Promise<{ ctx: StepContext; logs: string[] }> {
  const base = join(dir, name);
  for (const sub of ["out", "ckpt", "scratch"]) {
    await Deno.mkdir(join(base, sub), { recursive: true });
  }
  const ctx = makeContext({
    protocol: 1,
    id: `${step}[P=4,d=1,seed=1001]`,
    step,
    matrix: { P: 4, d: 1, seed: 1001 },
    params: { P: 4, d: 1, seed: 1001, aggregate: "mean", backend: "wasm", ...params },
    inputs,
    outputs: Object.fromEntries(Object.entries(outputs).map(([k, f]) => [k, join(base, "out", f)])),
    checkpoint_dir: join(base, "ckpt"),
    scratch_dir: join(base, "scratch"),
    cores: 1,
  });
  const logs: string[] = [];
  ctx.log = (m) => logs.push(m);
  ctx.progress = () => {};
  return { ctx, logs };
}
