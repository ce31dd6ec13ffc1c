/**
 * Cross-checks between upstream artifacts of one run, reported as notes:
 * a disagreement means an upstream step changed its rules, and the tables
 * should say so rather than silently pick one side.
 *
 * @module
 */

import { minTrainingLossEpoch } from "../artifacts/mod.ts";
import type { Study } from "./study.ts";

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * Checks that each best.json names the minimum-training-loss epoch of its
 * metrics.csv (every row, the initialisation included, ties to the earliest:
 * `minTrainingLossEpoch`, the rule training applies) and carries that row's
 * losses.
 */
export function checkBestAgainstMetrics(study: Study): string[] {
  const bad: string[] = [];
  for (const r of study.runs) {
    if (!r.best || !r.metrics) continue;
    const minEpoch = minTrainingLossEpoch(r.metrics);
    if (minEpoch === null) continue;
    const min = r.metrics.find((m) => m.epoch === minEpoch)!;
    const row = r.metrics.find((m) => m.epoch === r.best!.epoch);
    const where = `P=${r.P} d=${r.d} seed=${r.seed}`;
    if (!row) {
      bad.push(`${where}: best.json epoch ${r.best.epoch} is not in metrics.csv`);
    } else if (!close(row.train_loss, min.train_loss)) {
      bad.push(
        `${where}: best.json says epoch ${r.best.epoch}, metrics.csv's minimum training ` +
          `loss is at epoch ${min.epoch} (the files' numbering: 0 is the initialisation)`,
      );
    } else if (!close(row.test_loss, r.best.test_loss) || !close(row.test_acc, r.best.test_acc)) {
      bad.push(`${where}: best.json's test loss/accuracy differ from metrics.csv's epoch row`);
    }
  }
  return bad.length === 0 ? [] : [
    `best.json and metrics.csv disagree (the tables use best.json): ${bad.join("; ")}.`,
  ];
}
