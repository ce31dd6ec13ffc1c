/**
 * Step `tables`: gathers every run's `best` (best.json) and, when given,
 * `metrics` (metrics.csv), `hessian` (hessian.json) and `landscape`
 * (landscape.json), and writes the paper's tables beside its reference
 * values to the directory output `tables/` (formats in docs/report.md).
 *
 * Only `best` is required; a profile without Hessians or landscapes gets
 * tables that say so.
 *
 * @module
 */

import { runStep, type StepContext } from "../lib/step/context.ts";
import { checkBestAgainstMetrics, loadStudy } from "../lib/study/mod.ts";
import { buildTables, writeTables } from "../lib/report/mod.ts";
import { optionalGathered, outputDir, seedsParam } from "./step_io.ts";

/** Runs the step. */
export async function main(ctx: StepContext): Promise<void> {
  const study = await loadStudy({
    best: ctx.gathered("best"),
    metrics: optionalGathered(ctx, "metrics"),
    hessian: optionalGathered(ctx, "hessian"),
    landscape: optionalGathered(ctx, "landscape"),
  }, { seeds: seedsParam(ctx) });
  study.notes.push(...checkBestAgainstMetrics(study));
  const tables = buildTables(study);
  const dir = await outputDir(ctx, "tables");
  const files = await writeTables(dir, study, tables);
  for (const n of study.notes) ctx.log(`note: ${n}`);
  ctx.log(
    `${study.runs.length} runs (P ${study.Ps.join("/")}, d ${study.ds.join("/")}, ` +
      `seeds ${study.seeds.join("/")}): ${files.length} files`,
  );
}

if (import.meta.main) await runStep(main);
