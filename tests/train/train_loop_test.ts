/**
 * Training: the loss falls on real digits, the metrics and trajectory are
 * what docs/artifacts.md says, and a run killed with SIGKILL resumes from its
 * checkpoint to bit-identical outputs.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { embeddedMnist } from "../../lib/data/embedded.ts";
import { takeDigits } from "../../lib/data/mnist.ts";
import { poolAngles } from "../../lib/data/angle_pooling.ts";
import { writeNpy } from "../../lib/io/npy.ts";
import { modelParamCount, qnnParamCount } from "../../lib/qnn/mod.ts";
import { bestEpochOf, initialParams, train, type TrainData } from "../../lib/train/train_loop.ts";
import { parseCsv } from "../../lib/util/csv.ts";
import type { ContextFile } from "../../lib/step/context.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The first `nTrain` / `nTest` embedded digits of each split, preprocessed. */
async function smallData(nTrain: number, nTest: number): Promise<TrainData> {
  const split = await embeddedMnist();
  const pick = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
  const tr = takeDigits(split.train, pick(nTrain));
  const te = takeDigits(split.test, pick(nTest));
  return {
    trainX: poolAngles(tr.images, nTrain),
    trainY: tr.labels,
    testX: poolAngles(te.images, nTest),
    testY: te.labels,
  };
}

const OPTS = {
  spec: { P: 4, d: 1 },
  seed: 1001,
  epochs: 3,
  batchSize: 50,
  lr: 0.01,
  tMax: 5,
  etaMin: 0,
  weightDecay: 5e-5,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
};

Deno.test("training: the loss falls on real digits; metrics rows, learning rates and the best epoch", async () => {
  const data = await smallData(300, 100);
  const r = await train(OPTS, data, { workers: 2 });
  const n = modelParamCount(OPTS.spec);
  equal(r.metrics.length, 4);
  equal(r.trajectory.length, 4 * n);
  deepStrictEqual(r.metrics.map((m) => m.epoch), [0, 1, 2, 3]);
  // Cosine annealing, T_max = 5, stepped per epoch: epoch e uses the value at e - 1.
  const cos = (e: number) => 0.01 * (1 + Math.cos((Math.PI * e) / 5)) / 2;
  deepStrictEqual(r.metrics.map((m) => m.lr), [cos(0), cos(0), cos(1), cos(2)]);
  ok(
    r.metrics[3].train_loss < 0.6 * r.metrics[0].train_loss,
    `loss ${r.metrics.map((m) => m.train_loss)}`,
  );
  ok(r.metrics[3].train_acc > r.metrics[0].train_acc + 0.2);
  equal(r.bestEpoch, bestEpochOf(r.metrics));
  // Row 0 is the initialisation: QNN parameters in [0, pi), bias zero.
  const init = initialParams(OPTS.spec, OPTS.seed);
  deepStrictEqual(r.trajectory.subarray(0, n), init);
  const q = OPTS.spec.P * qnnParamCount(OPTS.spec.d);
  ok(init.subarray(0, q).every((v) => v >= 0 && v < Math.PI));
  ok(init.subarray(q).every((v) => v === 0));
});

Deno.test("training: the best epoch is the first minimum of the training loss, epoch 0 included", () => {
  const m = (epoch: number, train_loss: number) => ({
    epoch,
    lr: 0,
    train_loss,
    train_acc: 0,
    test_loss: 0,
    test_acc: 0,
    seconds: 0,
  });
  equal(bestEpochOf([m(0, 1), m(1, 0.5), m(2, 0.5), m(3, 0.7)]), 1);
  equal(bestEpochOf([m(0, 0.1), m(1, 0.5)]), 0);
});

function runStepProcess(ctxPath: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", join(ROOT, "steps/train.ts"), ctxPath],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Writes the preprocessed arrays and a context for the train step; returns the context path. */
async function prepare(dir: string, name: string): Promise<ContextFile> {
  const out = join(dir, name);
  await Deno.mkdir(join(out, "ckpt"), { recursive: true });
  await Deno.mkdir(join(out, "scratch"), { recursive: true });
  const ctx: ContextFile = {
    protocol: 1,
    id: "train[P=4,d=1,seed=1001]",
    step: "train",
    matrix: { P: 4, d: 1, seed: 1001 },
    params: {
      P: 4,
      d: 1,
      seed: 1001,
      aggregate: "mean",
      backend: "wasm",
      epochs: 4,
      batch_size: 50,
      lr: 0.01,
      lr_by_depth: {},
      t_max: 5,
      eta_min: 0,
      weight_decay: 5e-5,
      adam_betas: [0.9, 0.999],
      adam_eps: 1e-8,
    },
    inputs: {
      train_x: join(dir, "train_x.npy"),
      train_y: join(dir, "train_y.npy"),
      test_x: join(dir, "test_x.npy"),
      test_y: join(dir, "test_y.npy"),
    },
    outputs: {
      trajectory: join(out, "trajectory.npy"),
      metrics: join(out, "metrics.csv"),
      history: join(out, "history.csv"),
      best: join(out, "best.json"),
      best_params: join(out, "best_params.npy"),
    },
    checkpoint_dir: join(out, "ckpt"),
    scratch_dir: join(out, "scratch"),
    cores: 1,
  };
  await Deno.writeTextFile(join(out, "context.json"), JSON.stringify(ctx));
  return ctx;
}

Deno.test("training: SIGKILL mid-run, then a rerun resumes from the checkpoint to bit-identical outputs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "train-resume-" });
  try {
    const data = await smallData(400, 100);
    await writeNpy(join(dir, "train_x.npy"), data.trainX, [400, 14, 14]);
    await writeNpy(join(dir, "train_y.npy"), data.trainY, [400]);
    await writeNpy(join(dir, "test_x.npy"), data.testX, [100, 14, 14]);
    await writeNpy(join(dir, "test_y.npy"), data.testY, [100]);

    const whole = await prepare(dir, "whole");
    const w = await (runStepProcess(join(dir, "whole/context.json"))).output();
    equal(w.code, 0, new TextDecoder().decode(w.stderr));

    const killed = await prepare(dir, "killed");
    const child = runStepProcess(join(dir, "killed/context.json"));
    // Kill as soon as the checkpoint after epoch 1 exists (a real SIGKILL, no cleanup).
    const snap = join(killed.checkpoint_dir, "snap-epoch-000001");
    const t0 = Date.now();
    while (!(await exists(snap)) && Date.now() - t0 < 60_000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    ok(await exists(snap), "no checkpoint appeared");
    child.kill("SIGKILL");
    const k = await child.output();
    equal(k.signal, "SIGKILL");
    ok(!(await exists(killed.outputs.best)), "a killed run wrote its final outputs");

    const again = await (runStepProcess(join(dir, "killed/context.json"))).output();
    const log = new TextDecoder().decode(again.stdout);
    equal(again.code, 0, new TextDecoder().decode(again.stderr));
    ok(/resuming from the checkpoint after epoch [1-3]/.test(log), log);

    for (const name of ["trajectory", "best_params", "best", "history"] as const) {
      deepStrictEqual(
        await Deno.readFile(killed.outputs[name]),
        await Deno.readFile(whole.outputs[name]),
        `${name} differs after resuming`,
      );
    }
    // metrics.csv: identical except the wall-clock column (which history.csv leaves out).
    const strip = async (p: string) =>
      parseCsv(await Deno.readTextFile(p)).map(({ seconds: _, ...rest }) => rest);
    deepStrictEqual(await strip(killed.outputs.metrics), await strip(whole.outputs.metrics));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("training: a truncated state.json in the newest checkpoint is discarded; the rerun resumes from the previous one to bit-identical outputs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "train-damaged-" });
  try {
    const data = await smallData(200, 50);
    await writeNpy(join(dir, "train_x.npy"), data.trainX, [200, 14, 14]);
    await writeNpy(join(dir, "train_y.npy"), data.trainY, [200]);
    await writeNpy(join(dir, "test_x.npy"), data.testX, [50, 14, 14]);
    await writeNpy(join(dir, "test_y.npy"), data.testY, [50]);
    const whole = await prepare(dir, "whole");
    const w = await runStepProcess(join(dir, "whole/context.json")).output();
    equal(w.code, 0, new TextDecoder().decode(w.stderr));

    // A finished run leaves its checkpoints (the engine removes them after a success); damage the
    // newest one as a crash of the file system would, and run again without the outputs.
    const damaged = await prepare(dir, "damaged");
    const d = await runStepProcess(join(dir, "damaged/context.json")).output();
    equal(d.code, 0, new TextDecoder().decode(d.stderr));
    for (const p of Object.values(damaged.outputs)) await Deno.remove(p);
    const state = join(damaged.checkpoint_dir, "snap-epoch-000004/state.json");
    const bytes = await Deno.readFile(state);
    await Deno.writeFile(state, bytes.subarray(0, Math.floor(bytes.length / 2)));

    const again = await runStepProcess(join(dir, "damaged/context.json")).output();
    const log = new TextDecoder().decode(again.stdout);
    equal(again.code, 0, new TextDecoder().decode(again.stderr));
    ok(/checkpoint epoch-000004 discarded: state\.json/.test(log), log);
    ok(/resuming from the checkpoint after epoch 3/.test(log), log);
    for (const name of ["trajectory", "best_params", "best", "history"] as const) {
      deepStrictEqual(
        await Deno.readFile(damaged.outputs[name]),
        await Deno.readFile(whole.outputs[name]),
        `${name} differs after resuming from the previous generation`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
