/**
 * Figure 1 as the paper's `src_vis/mnist_plot_loss.ipynb` draws it: training
 * and test loss per epoch on a linear axis from zero, and below them the test
 * accuracy, one panel per configuration (P rows x d columns), first seed.
 * Epochs in the paper's numbering (`paperEpoch`), the initialisation left out
 * as the paper's plots leave it (they start at its epoch 0); a vertical rule
 * marks the minimum-training-loss epoch (the reported model).
 *
 * @module
 */

import { minTrainingLossEpoch } from "../artifacts/mod.ts";
import { configurations, findRun, paperEpoch, type Study } from "../study/mod.ts";
import type { TopLevelSpec } from "./deps.ts";
import type { Figure } from "./figure_spec.ts";
import { columnHeader, CONFIG, rowHeader, sig, SPLIT_COLORS } from "./theme.ts";

/** Colour of the test-accuracy curves (the test set's, as in the loss panels). */
const ACC_COLOR = SPLIT_COLORS.test;

/** Builds Figure 1 from the study's metrics. */
export function fig1Loss(study: Study): Figure {
  const base = {
    name: "fig1_loss",
    title: "Figure 1: training and test loss, test accuracy",
    caption: `Top: full-training-set (blue) and test-set (orange) cross-entropy after every ` +
      `epoch, linear scale from 0; bottom: test accuracy. Seed ${study.firstSeed}, P rows × d ` +
      `columns. Epochs in the paper's numbering (the first trained epoch is 0, the ` +
      `initialisation, epoch −1, is not drawn, as in the paper). The grey dashed rule marks the ` +
      `epoch of minimum training loss, the reported model.`,
  };
  if (!study.available.metrics) {
    return { ...base, spec: null, notes: ["No 'metrics' input: nothing to draw."] };
  }
  const values: Record<string, unknown>[] = [];
  const notes: string[] = [];
  for (const { P, d } of configurations(study)) {
    const run = findRun(study, P, d, study.firstSeed);
    if (!run?.metrics) {
      notes.push(`No metrics.csv for P=${P} d=${d} seed=${study.firstSeed}.`);
      continue;
    }
    for (const m of run.metrics) {
      if (m.epoch < 1) continue; // the initialisation: not in the paper's plots
      const epoch = paperEpoch(m.epoch);
      values.push({ P, d, epoch, set: "train", loss: sig(m.train_loss) });
      values.push({ P, d, epoch, set: "test", loss: sig(m.test_loss) });
      values.push({ P, d, epoch, acc: sig(m.test_acc) });
    }
    // The reported epoch: best.json's, or the same rule applied to metrics.csv without it.
    const bestEpoch = run.best?.epoch ?? minTrainingLossEpoch(run.metrics);
    if (bestEpoch !== null) values.push({ P, d, best_epoch: paperEpoch(bestEpoch) });
  }
  if (values.length === 0) return { ...base, spec: null, notes };
  const x = { field: "epoch", type: "quantitative", title: "epoch (paper's numbering)" };
  const rule = {
    transform: [{ filter: "datum.best_epoch != null" }],
    mark: { type: "rule", color: "#999", strokeDash: [3, 3] },
    encoding: { x: { field: "best_epoch", type: "quantitative" } },
  };
  const facet = {
    row: { field: "P", type: "ordinal", header: rowHeader() },
    column: { field: "d", type: "ordinal", header: columnHeader() },
  };
  const loss = {
    facet,
    spec: {
      width: 190,
      height: 120,
      layer: [
        rule,
        {
          transform: [{ filter: "datum.set != null" }],
          mark: { type: "line", strokeWidth: 1.6 },
          encoding: {
            x,
            y: {
              field: "loss",
              type: "quantitative",
              title: "loss",
              scale: { zero: true },
              axis: { tickCount: 4 },
            },
            color: {
              field: "set",
              type: "nominal",
              title: null,
              scale: { domain: ["train", "test"], range: [SPLIT_COLORS.train, SPLIT_COLORS.test] },
            },
            tooltip: [
              { field: "epoch", type: "quantitative" },
              { field: "set", type: "nominal" },
              { field: "loss", type: "quantitative", format: ".5f" },
            ],
          },
        },
      ],
    },
  };
  const accuracy = {
    facet,
    spec: {
      width: 190,
      height: 90,
      layer: [
        rule,
        {
          transform: [{ filter: "datum.acc != null" }],
          mark: { type: "line", strokeWidth: 1.6, color: ACC_COLOR },
          encoding: {
            x,
            y: {
              field: "acc",
              type: "quantitative",
              title: "test accuracy",
              scale: { zero: false },
              axis: { tickCount: 4 },
            },
            tooltip: [
              { field: "epoch", type: "quantitative" },
              { field: "acc", type: "quantitative", title: "test accuracy", format: ".4f" },
            ],
          },
        },
      ],
    },
  };
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: base.title, subtitle: `seed ${study.firstSeed}` },
    config: CONFIG,
    data: { values },
    vconcat: [loss, accuracy],
  };
  return { ...base, spec: spec as unknown as TopLevelSpec, notes };
}
