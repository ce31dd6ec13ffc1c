/**
 * The model of one figure before rendering: its file stem, title, caption and Vega-Lite
 * spec, or the reason it cannot be drawn for this profile.
 *
 * @module
 */

import type { TopLevelSpec } from "./deps.ts";

/** One figure of the report. */
export interface Figure {
  /** File stem, e.g. `fig1_loss`. */
  name: string;
  /** Short title. */
  title: string;
  /** What the figure shows and how to read it. */
  caption: string;
  /** The Vega-Lite spec with inline data, or null when the profile has nothing to draw. */
  spec: TopLevelSpec | null;
  /** Why the figure is missing or partial. */
  notes: string[];
}
