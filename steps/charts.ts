/**
 * Step `charts`: gathers `metrics` (metrics.csv), `hessian` (hessian.json),
 * `density` (density.csv) and `landscape` (landscape.json) of every run,
 * plus `best` (best.json) when given, and `images` (the preprocessed
 * training images, train_x.npy: Figure 2 cuts the first one into patches),
 * and writes the figures to the directory output `figures/`: per figure
 * `<name>.vl.json`, `<name>.svg`, `<name>.png`, and `manifest.json`
 * (formats in docs/report.md). A figure whose inputs are absent is listed in
 * the manifest as not drawn.
 *
 * Reads, besides its inputs, the resvg WebAssembly module and the DejaVu
 * fonts from their npm packages (read access to those package directories).
 *
 * @module
 */

import { runStep, type StepContext, StepError } from "../lib/step/context.ts";
import { loadStudy } from "../lib/study/mod.ts";
import { buildFigures, FONT_PACKAGE, readFirstImage, writeFigures } from "../lib/charts/mod.ts";
import { optionalGathered, optionalPath, outputDir, seedsParam } from "./step_io.ts";

/** Runs the step. */
export async function main(ctx: StepContext): Promise<void> {
  const inputs = {
    best: optionalGathered(ctx, "best"),
    metrics: optionalGathered(ctx, "metrics"),
    hessian: optionalGathered(ctx, "hessian"),
    density: optionalGathered(ctx, "density"),
    landscape: optionalGathered(ctx, "landscape"),
  };
  const images = optionalPath(ctx, "images");
  if (Object.values(inputs).every((l) => !l || l.length === 0) && images === undefined) {
    throw new StepError(`${ctx.id}: no inputs: nothing to draw`);
  }
  const study = await loadStudy(inputs, { seeds: seedsParam(ctx), required: [] });
  const image = images === undefined ? undefined : await readFirstImage(images);
  const figures = buildFigures(study, { image });
  const dir = await outputDir(ctx, "figures");
  const manifest = await writeFigures(dir, figures, (name, i) => {
    ctx.progress(i / figures.length, `rendering ${name}`);
  });
  ctx.log(`PNG text in DejaVu Sans (${FONT_PACKAGE})`);
  for (const f of manifest.figures) {
    ctx.log(f.files ? `${f.name}: ${f.width} x ${f.height}` : `${f.name}: not drawn`);
    for (const n of f.notes) ctx.log(`  note: ${n}`);
  }
}

if (import.meta.main) await runStep(main);
