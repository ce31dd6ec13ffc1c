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
export { initWasm, Resvg } from "@resvg/resvg-wasm";
// Importing the font package's manifest puts the package in the module graph, which is what
// lets import.meta.resolve() below return a file: URL for its TTF files.
import dejavuPackage from "dejavu-fonts-ttf/package.json" with { type: "json" };

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

// Specifiers of the renderer's files.
const RESVG_WASM = "@resvg/resvg-wasm/index_bg.wasm";
const DEJAVU_TTF = "dejavu-fonts-ttf/ttf/";

/** Local paths of the files the PNG renderer reads (the step needs read access to them). */
export function rendererFiles(): { wasm: string; fonts: string[] } {
  return {
    wasm: npmFile(RESVG_WASM),
    fonts: [npmFile(`${DEJAVU_TTF}DejaVuSans.ttf`), npmFile(`${DEJAVU_TTF}DejaVuSans-Bold.ttf`)],
  };
}

export type { TopLevelSpec } from "vega-lite";
