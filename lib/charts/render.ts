/**
 * Vega-Lite spec -> SVG, headless: compile with vega-lite, run the dataflow
 * with vega's "none" renderer (no DOM, no canvas), serialise the scenegraph.
 *
 * @module
 */

import { type TopLevelSpec, vega, vl } from "./deps.ts";

/** Compiles a Vega-Lite spec to a Vega spec (throws on an invalid spec). */
export function compileSpec(spec: TopLevelSpec): unknown {
  return vl.compile(spec).spec;
}

/** Renders a Vega-Lite spec to an SVG document (a string starting with `<svg`). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const runtime = vega.parse(compileSpec(spec) as Parameters<typeof vega.parse>[0]);
  const view = new vega.View(runtime, { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
