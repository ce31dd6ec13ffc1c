/**
 * SVG -> PNG with resvg compiled to WebAssembly. The WebAssembly module and
 * the DejaVu fonts are read from their npm packages once per process; a
 * step needs only read access to those two package directories (no FFI, no
 * system fonts).
 *
 * @module
 */

import { initWasm, rendererFiles, Resvg } from "./deps.ts";

let fonts: Promise<Uint8Array[]> | null = null;

/** Loads the WebAssembly renderer and the fonts (once). */
function ready(): Promise<Uint8Array[]> {
  if (!fonts) {
    fonts = (async () => {
      const files = rendererFiles();
      await initWasm(await Deno.readFile(files.wasm));
      return await Promise.all(files.fonts.map((f) => Deno.readFile(f)));
    })();
  }
  return fonts;
}

/** Options of `svgToPng`. */
export interface PngOptions {
  /** Pixels per SVG unit (2 gives crisp figures on high-density screens and in print). */
  scale?: number;
  /** Background colour painted under the SVG. */
  background?: string;
}

/** A rendered PNG. */
export interface Png {
  bytes: Uint8Array;
  width: number;
  height: number;
}

/** Renders an SVG document to PNG bytes, text in DejaVu Sans. */
export async function svgToPng(svg: string, opts: PngOptions = {}): Promise<Png> {
  const fontBuffers = await ready();
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: opts.scale ?? 2 },
    background: opts.background ?? "white",
    font: {
      fontBuffers,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
      serifFamily: "DejaVu Sans",
      monospaceFamily: "DejaVu Sans",
    },
  });
  try {
    const image = resvg.render();
    try {
      return { bytes: image.asPng(), width: image.width, height: image.height };
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}
