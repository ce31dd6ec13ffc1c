/**
 * The charting dependencies, in one module so that moving them into
 * deno.json's import map is a one-line change each: vega-lite (spec
 * compiler), vega (headless SVG renderer), @resvg/resvg-wasm (SVG to PNG,
 * WebAssembly: no native addon, so no --allow-ffi/--allow-sys) and
 * dejavu-fonts-ttf (DejaVu Sans, Bitstream Vera licence: resvg-wasm loads no
 * system fonts, so PNG text needs a font shipped with the code).
 *
 * @module
 */

export * as vl from "vega-lite";
export * as vega from "vega";
// Full npm: specifiers until these two packages are in deno.json's import map (then bare names).
export { initWasm, Resvg } from "npm:@resvg/resvg-wasm@2.6.2";
// Importing the font package's manifest puts the package in the module graph, which is what
// lets import.meta.resolve() below return a file: URL for its TTF files.
// deno-lint-ignore no-import-prefix
import dejavuPackage from "npm:dejavu-fonts-ttf@2.37.3/package.json" with { type: "json" };

/** The bundled font package and version (logged by the charts step). */
export const FONT_PACKAGE = `dejavu-fonts-ttf@${dejavuPackage.version}`;

/** Resolves an npm file to a local path; throws when the package is not installed locally. */
function npmFile(specifier: string): string {
  const url = import.meta.resolve(specifier);
  if (!url.startsWith("file:")) {
    throw new Error(`cannot locate ${specifier} on disk (resolved to ${url})`);
  }
  return decodeURIComponent(new URL(url).pathname);
}

// Specifiers of the renderer's files (switch with the two imports above).
const RESVG_WASM = "npm:@resvg/resvg-wasm@2.6.2/index_bg.wasm";
const DEJAVU_TTF = "npm:dejavu-fonts-ttf@2.37.3/ttf/";

/** Local paths of the files the PNG renderer reads (the step needs read access to them). */
export function rendererFiles(): { wasm: string; fonts: string[] } {
  return {
    wasm: npmFile(RESVG_WASM),
    fonts: [npmFile(`${DEJAVU_TTF}DejaVuSans.ttf`), npmFile(`${DEJAVU_TTF}DejaVuSans-Bold.ttf`)],
  };
}

export type { TopLevelSpec } from "vega-lite";
