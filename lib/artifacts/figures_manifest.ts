/**
 * `figures/manifest.json` of step `charts`: every figure of the report,
 * drawn or not (and why), with its file names and size; step `report`
 * reads it to embed the figures.
 *
 * @module
 */

import { jsonText, readTaggedDocument } from "./file_checks.ts";

/** One entry of `manifest.json`. */
export interface ManifestEntry {
  name: string;
  title: string;
  caption: string;
  /** File names inside `figures/`, or null when the figure was not drawn. */
  files: { vl: string; svg: string; png: string } | null;
  /** SVG size in CSS pixels, when drawn. */
  width: number | null;
  height: number | null;
  notes: string[];
}

/** The format tag of `manifest.json`. */
export const FIGURES_FORMAT = "qnn-figures/1";

/** What `manifest.json` holds. */
export interface FiguresManifest {
  format: typeof FIGURES_FORMAT;
  figures: ManifestEntry[];
}

/** The file name of the manifest inside the `figures/` directory. */
export const MANIFEST_JSON = "manifest.json";

/** The text of `manifest.json`. */
export function manifestJson(m: FiguresManifest): string {
  return jsonText(m);
}

/**
 * Reads and checks `manifest.json` of a `figures/` directory (its format tag and figure list).
 *
 * @example
 * ```ts
 * const { figures } = await readFiguresManifest(inputDir(ctx, "figures"));
 * ```
 */
export async function readFiguresManifest(dir: string): Promise<FiguresManifest> {
  return await readTaggedDocument<FiguresManifest>(
    `${dir}/${MANIFEST_JSON}`,
    FIGURES_FORMAT,
    "figures",
    "the figures manifest",
    "a figures manifest",
  );
}
