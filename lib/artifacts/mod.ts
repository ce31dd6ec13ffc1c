/**
 * The study's artifact formats (docs/artifacts.md), one module each: its
 * TypeScript type, a writer (the exact bytes the steps publish: key order,
 * number formatting, trailing newline) and a validating reader that throws
 * an `ArtifactError` naming the file and what is wrong with it. Steps,
 * tables, charts, report and tools read and write artifacts only through
 * this package.
 *
 * ```ts
 * import { readBest, writeBest } from "../lib/artifacts/mod.ts";
 * await writeBest(ctx.output("best"), best);
 * const { epoch } = await readBest(ctx.input("best"));
 * ```
 *
 * @module
 */

export { ArtifactError } from "./file_checks.ts";
export { type Best, BEST_FIELDS, bestJson, parseBest, readBest, writeBest } from "./best_json.ts";
export {
  HISTORY_COLUMNS,
  historyCsv,
  type HistoryRow,
  METRICS_COLUMNS,
  metricsCsv,
  type MetricsRow,
  minTrainingLossEpoch,
  parseHistory,
  parseMetrics,
  readHistory,
  readMetrics,
  writeHistory,
  writeMetrics,
} from "./metrics_csv.ts";
export {
  decodeTrajectory,
  readTrajectory,
  type Trajectory,
  writeTrajectory,
} from "./trajectory_npy.ts";
export {
  checkHessian,
  type Hessian,
  type HessianJson,
  hessianJson,
  readHessian,
  type TermSpectrum,
  writeHessian,
} from "./hessian_json.ts";
export {
  DENSITY_COLUMNS,
  densityCsv,
  type DensityRow,
  parseDensity,
  readDensity,
  writeDensity,
} from "./density_csv.ts";
export {
  checkLandscape,
  type Landscape,
  landscapeJson,
  readLandscape,
  writeLandscape,
} from "./landscape_json.ts";
export {
  type CsvCell,
  type Grid,
  readTablesDocument,
  type Table,
  TABLES_FORMAT,
  TABLES_JSON,
  type TablesDocument,
  tablesJson,
} from "./tables_json.ts";
export {
  FIGURES_FORMAT,
  type FiguresManifest,
  MANIFEST_JSON,
  type ManifestEntry,
  manifestJson,
  readFiguresManifest,
} from "./figures_manifest.ts";
