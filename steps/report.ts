/**
 * Step `report`: renders one self-contained HTML page, `report/index.html`,
 * from the `tables/` directory (input `tables`) and the `figures/` directory
 * (input `figures`), with the step's parameters (`profile_name` and whatever
 * else pipeline.yaml declares). Nothing else: no dates, no file times, and
 * neither the upstream provenance (`ctx.upstream`) nor the Deno version,
 * which are not part of this step's cache key, so a cached report would show
 * an older run's (docs/report.md). The same inputs give the same bytes.
 *
 * @module
 */

import { readFiguresManifest, readTablesDocument } from "../lib/artifacts/mod.ts";
import { type ReportFigure, reportHtml } from "../lib/report/mod.ts";
import { runStep, type StepContext } from "../lib/step/context.ts";
import { inputDir, outputDir } from "./step_io.ts";

/** The figures of a `figures/` directory as the report takes them: the manifest and each SVG. */
async function readFigures(dir: string): Promise<ReportFigure[]> {
  const m = await readFiguresManifest(dir);
  return await Promise.all(m.figures.map(async (f) => ({
    name: f.name,
    title: f.title,
    caption: f.caption,
    notes: f.notes ?? [],
    svg: f.files ? await Deno.readTextFile(`${dir}/${f.files.svg}`) : null,
  })));
}

/** Runs the step. */
export async function main(ctx: StepContext): Promise<void> {
  const tablesDir = inputDir(ctx, "tables");
  const figuresDir = inputDir(ctx, "figures");
  // One after the other, so a broken input always gives the same first error.
  const tables = await readTablesDocument(tablesDir);
  const figures = await readFigures(figuresDir);
  const name = ctx.params["profile_name"];
  const html = reportHtml({
    profileName: typeof name === "string" && name !== "" ? name : null,
    params: ctx.params,
    tables,
    figures,
  });
  const dir = await outputDir(ctx, "report");
  await Deno.writeTextFile(`${dir}/index.html`, html);
  ctx.log(
    // No path: the step writes into a staging directory; the engine publishes the result.
    `report: ${tables.tables.length} tables, ${figures.filter((f) => f.svg).length} of ` +
      `${figures.length} figures, ${(html.length / 1024).toFixed(0)} KiB`,
  );
}

if (import.meta.main) await runStep(main);
