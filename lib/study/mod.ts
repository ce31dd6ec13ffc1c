/**
 * The collected study, the data model the tables and the charts both draw
 * from: the runs gathered from the upstream artifacts (`loadStudy`), the
 * paper's reference values, seed statistics and cross-checks between a
 * run's artifacts.
 *
 * ```ts
 * const study = await loadStudy({ best: ctx.gathered("best") }, { seeds: [1001] });
 * for (const { P, d } of configurations(study)) console.log(findRun(study, P, d, 1001)?.best);
 * ```
 *
 * @module
 */

export {
  ARTIFACT_NAMES,
  type ArtifactName,
  configurations,
  findRun,
  type LoadOptions,
  loadStudy,
  PAPER_AGGREGATE,
  type Run,
  runsOf,
  type Study,
  type StudyInputs,
} from "./study.ts";
export * from "./paper_values.ts";
export {
  bootstrapMeanDifference,
  fitLine,
  type LineFit,
  mean,
  sampleStd,
  summarize,
  type Summary,
  tQuantile975,
  type Uniform,
} from "./stats.ts";
export { checkBestAgainstMetrics } from "./consistency.ts";
export {
  BOOTSTRAP_RESAMPLES,
  type ClaimResult,
  CLAIMS_BOOTSTRAP_SEED,
  combine,
  compare,
  type Comparison,
  evaluateClaims,
  exponentCheck,
  type ExponentFit,
  fitExponent,
  GN_SHARE_TOLERANCE,
  MIN_TOP_EIGENVALUES,
  N_CLASSES,
  type Outcome,
  OUTLIER_GAP,
  OUTLIER_RANGE,
  outlierCount,
  paperExponents,
  PCA_THRESHOLD,
  type Sample,
  SIMILAR_PARAMS_RATIO,
  similarCountPairs,
  studyExponents,
  THEORY_EXPONENT,
  topEigenvalues,
  type Verdict,
  withinBand,
} from "./claims.ts";
