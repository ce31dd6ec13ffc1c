/**
 * Builds every figure of the report from the study and writes the
 * `figures/` directory: per figure `<name>.vl.json` (Vega-Lite, data
 * inline), `<name>.svg` and `<name>.png`, plus `manifest.json` listing what
 * was drawn and what was not (and why), which the report step reads.
 *
 * @module
 */

import {
  FIGURES_FORMAT,
  type FiguresManifest,
  MANIFEST_JSON,
  type ManifestEntry,
  manifestJson,
} from "../artifacts/mod.ts";
import type { Study } from "../study/mod.ts";
import type { Figure } from "./figure_spec.ts";
import { fig1Loss } from "./fig1_loss.ts";
import { type ExampleImage, fig2Patches } from "./fig2_patches.ts";
import { fig3Landscape } from "./fig3_landscape.ts";
import { fig4Density } from "./fig4_density.ts";
import { lambdaMaxFigure } from "./lambda_max.ts";
import { hessianSplitFigure } from "./hessian_split.ts";
import { fig5Circuit } from "./fig5_circuit.ts";
import { prettyJson } from "./json.ts";
import { svgToPng } from "./png.ts";
import { renderSvg } from "./render.ts";

/** What the figures need besides the study. */
export interface FigureExtras {
  /**
   * The example digit of Figure 2 (the first training image): undefined when the step has no
   * `images` input, null when that input holds no image.
   */
  image?: ExampleImage | null;
}

/** Every figure of the report, in report order (a spec of null when not drawable). */
export function buildFigures(study: Study, extras: FigureExtras = {}): Figure[] {
  return [
    fig2Patches(extras.image, study.Ps),
    fig5Circuit(),
    fig1Loss(study),
    fig3Landscape(study),
    fig4Density(study),
    lambdaMaxFigure(study),
    hessianSplitFigure(study),
  ];
}

function svgSize(svg: string): { width: number; height: number } {
  const w = /<svg[^>]*\swidth="([\d.]+)"/.exec(svg);
  const h = /<svg[^>]*\sheight="([\d.]+)"/.exec(svg);
  return { width: w ? Number(w[1]) : NaN, height: h ? Number(h[1]) : NaN };
}

/** Renders and writes the figures; returns the manifest (also written as `manifest.json`). */
export async function writeFigures(
  dir: string,
  figures: Figure[],
  onFigure?: (name: string, index: number) => void,
): Promise<FiguresManifest> {
  await Deno.mkdir(dir, { recursive: true });
  const entries: ManifestEntry[] = [];
  for (const [i, f] of figures.entries()) {
    onFigure?.(f.name, i);
    const entry: ManifestEntry = {
      name: f.name,
      title: f.title,
      caption: f.caption,
      files: null,
      width: null,
      height: null,
      notes: f.notes,
    };
    if (f.spec) {
      const svg = await renderSvg(f.spec);
      const png = await svgToPng(svg);
      const files = { vl: `${f.name}.vl.json`, svg: `${f.name}.svg`, png: `${f.name}.png` };
      await Deno.writeTextFile(`${dir}/${files.vl}`, prettyJson(f.spec));
      await Deno.writeTextFile(`${dir}/${files.svg}`, svg);
      await Deno.writeFile(`${dir}/${files.png}`, png.bytes);
      const size = svgSize(svg);
      Object.assign(entry, { files, width: size.width, height: size.height });
    }
    entries.push(entry);
  }
  const manifest: FiguresManifest = { format: FIGURES_FORMAT, figures: entries };
  await Deno.writeTextFile(`${dir}/${MANIFEST_JSON}`, manifestJson(manifest));
  return manifest;
}
