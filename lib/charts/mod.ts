/**
 * The report's figures: each built from the collected study as a Vega-Lite
 * spec with inline data (or the reason it cannot be drawn), rendered to SVG
 * and PNG, and written with a `manifest.json` to the `figures/` directory.
 *
 * ```ts
 * const figures = buildFigures(study, { image: await readFirstImage(trainX) });
 * const manifest = await writeFigures(dir, figures);
 * ```
 *
 * @module
 */

export { buildFigures, type FigureExtras, writeFigures } from "./figures_dir.ts";
export type { Figure } from "./figure_spec.ts";
export { type ExampleImage, readFirstImage } from "./fig2_patches.ts";
export { compileSpec, renderSvg } from "./render.ts";
export { type Png, type PngOptions, svgToPng } from "./png.ts";
export { FONT_PACKAGE, rendererFiles } from "./deps.ts";
