import { assertEquals } from "../report/_assert.ts";
import { minTrainingLossEpoch } from "../../lib/artifacts/mod.ts";
import { bestEpochOf } from "../../lib/train/train_loop.ts";
import { checkBestAgainstMetrics, type Study } from "../../lib/study/mod.ts";

const rows = (losses: number[]) =>
  losses.map((train_loss, epoch) => ({
    epoch,
    lr: 0.01,
    train_loss,
    train_acc: 0.5,
    test_loss: train_loss + 0.1,
    test_acc: 0.5,
    seconds: 0,
  }));

Deno.test("the minimum: one rule, initialisation included, first on ties", () => {
  assertEquals(minTrainingLossEpoch(rows([0.1, 0.5, 0.3])), 0);
  assertEquals(minTrainingLossEpoch(rows([2.3, 0.4, 0.4, 0.9])), 1);
  assertEquals(minTrainingLossEpoch([]), null);
  // Training writes the same epoch the tables check and the figures mark.
  for (const losses of [[0.1, 0.5, 0.3], [2.3, 0.4, 0.4, 0.9], [1, 1]]) {
    assertEquals(bestEpochOf(rows(losses)), minTrainingLossEpoch(rows(losses)));
  }
});

Deno.test("consistency: a best.json at the initialisation (epoch 0) is not a disagreement", () => {
  const metrics = rows([0.1, 0.5, 0.3]);
  const best = {
    P: 4,
    d: 1,
    seed: 1,
    n_params: 1,
    n_qnn_params: 1,
    epoch: 0,
    train_loss: 0.1,
    train_acc: 0.5,
    test_loss: 0.2,
    test_acc: 0.5,
    epochs: 2,
    n_train: 10,
    n_test: 10,
  };
  const study = { runs: [{ P: 4, d: 1, seed: 1, best, metrics }] } as unknown as Study;
  assertEquals(checkBestAgainstMetrics(study), []);
  const later = { ...study, runs: [{ ...study.runs[0], best: { ...best, epoch: 2 } }] };
  assertEquals(checkBestAgainstMetrics(later as Study).length, 1);
});
