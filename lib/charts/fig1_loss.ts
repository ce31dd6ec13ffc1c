/**
 * Figure 1: training and test loss per epoch, one panel per configuration
 * (P rows x d columns), first seed; a vertical rule marks the
 * minimum-training-loss epoch (the reported model).
 *
 * @module
 */

import { minTrainingLossEpoch } from "../artifacts/mod.ts";
import { configurations, findRun, type Study } from "../study/mod.ts";
import type { TopLevelSpec } from "./deps.ts";
import type { Figure } from "./figure_spec.ts";
import { columnHeader, CONFIG, rowHeader, sig, SPLIT_COLORS } from "./theme.ts";

/** Builds Figure 1 from the study's metrics. */
export function fig1Loss(study: Study): Figure {
  const base = {
    name: "fig1_loss",
    title: "Figure 1: training and test loss",
    caption: `Full-training-set (blue) and test-set (orange) cross-entropy after every epoch ` +
      `(epoch 0: initialisation), seed ${study.firstSeed}, P rows × d columns, log-scale y. ` +
      `The grey dashed rule marks the epoch of minimum training loss, the reported model.`,
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
      values.push({ P, d, epoch: m.epoch, set: "train", loss: sig(m.train_loss) });
      values.push({ P, d, epoch: m.epoch, set: "test", loss: sig(m.test_loss) });
    }
    // The reported epoch: best.json's, or the same rule applied to metrics.csv without it.
    const bestEpoch = run.best?.epoch ?? minTrainingLossEpoch(run.metrics);
    if (bestEpoch !== null) values.push({ P, d, best_epoch: bestEpoch });
  }
  if (values.length === 0) return { ...base, spec: null, notes };
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: base.title, subtitle: `seed ${study.firstSeed}` },
    config: CONFIG,
    data: { values },
    facet: {
      row: { field: "P", type: "ordinal", header: rowHeader() },
      column: { field: "d", type: "ordinal", header: columnHeader() },
    },
    spec: {
      width: 190,
      height: 130,
      layer: [
        {
          transform: [{ filter: "datum.best_epoch != null" }],
          mark: { type: "rule", color: "#999", strokeDash: [3, 3] },
          encoding: { x: { field: "best_epoch", type: "quantitative" } },
        },
        {
          transform: [{ filter: "datum.set != null" }],
          mark: { type: "line", strokeWidth: 1.6 },
          encoding: {
            x: { field: "epoch", type: "quantitative", title: "epoch" },
            y: {
              field: "loss",
              type: "quantitative",
              title: "loss (log scale)",
              scale: { type: "log" },
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
  return { ...base, spec: spec as unknown as TopLevelSpec, notes };
}
