/**
 * The validated shape of a pipeline file (what `validate.ts` produces and
 * everything else consumes). See docs/pipeline.md for the YAML it comes from.
 *
 * @module
 */

import type { Pos } from "./diagnostics.ts";
import type { ExecutorSpec } from "./executor_section.ts";
import type { ParamType } from "./param_types.ts";
import type { RemotesSpec } from "./validate_remotes.ts";
import type { MatrixValue } from "../../step/mod.ts";

export type { ExecutorSpec, MatrixValue, ParamType, RemotesSpec };

/** The pipeline file format version this engine reads. */
export const PIPELINE_VERSION = 1;

/** How many instances a profile may expand to unless `limits.instances` says otherwise. */
export const DEFAULT_MAX_INSTANCES = 100_000;

/** Step names. */
export const STEP_NAME = /^[a-z][a-z0-9_]*$/;
/** Parameter, axis, input and output names (usable in `${name}`). */
export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Output file names: one path segment, a trailing `/` makes it a directory. */
export const OUTPUT_FILE = /^(?!\.\.?\/?$)[A-Za-z0-9._-]+\/?$/;
/** Names of published directories under artifacts/out/<profile>/. */
export const PUBLISH_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]+$/;

/** How a step uses one matrix axis. */
export type AxisUse =
  | { axis: string; pos: Pos; mode: "all" }
  | { axis: string; pos: Pos; mode: "first" }
  | { axis: string; pos: Pos; mode: "values"; values: MatrixValue[] };

/** An input: the output `output` of step `step`. */
export interface InputSpec {
  name: string;
  step: string;
  output: string;
  pos: Pos;
}

/**
 * An external file or directory declared under the top-level `sources:`: its
 * content (not its path) enters the key of every instance that reads it.
 */
export interface SourceSpec {
  name: string;
  pos: Pos;
  /** As written; may contain `${param}` (profile parameters and the reader's matrix values). */
  path: string;
  pathPos: Pos;
  /** For a directory: only files whose path relative to it matches (default: every file). */
  glob?: string;
  /** The source is used only by instances whose parameters have these values. */
  when?: Record<string, unknown>;
}

/** A step input bound to a source (`inputs: { raw: sources.<name> }`). */
export interface SourceUse {
  /** The input name the step reads it by. */
  name: string;
  source: string;
  pos: Pos;
}

/** A declared output; `kind` is `dir` when the file name ends in `/`. */
export interface OutputSpec {
  name: string;
  /** The file name without a trailing slash. */
  file: string;
  kind: "file" | "dir";
  pos: Pos;
}

/** Extra permissions beyond the defaults (entries may contain `${param}`). */
export interface PermissionSpec {
  net: string[];
  read: string[];
  env: string[];
}

/** What an instance asks of the machine (never part of the cache key). */
export interface Resources {
  cores: number;
  /** As written (e.g. `4G`), for cluster executors. */
  memory?: string;
  memoryMb?: number;
  /** As written (e.g. `2h`), for cluster executors. */
  time?: string;
  timeSeconds?: number;
  /**
   * Ladders (`memory: [4G, 8G, 16G]`, `time: [2h, 8h]`): the rungs a retry after
   * OUT_OF_MEMORY or TIMEOUT climbs. The first rung is `memoryMb` / `timeSeconds`.
   */
  memoryLadderMb?: number[];
  timeLadderSeconds?: number[];
}

/** What ended an attempt, as far as retries care. */
export type FailureCause =
  | "out_of_memory"
  | "timeout"
  | "preempted"
  | "node_fail"
  | "cancelled"
  | "fail";

/** A step's `retries:` (absent: no retries unless a resources ladder implies some). */
export interface RetryPolicy {
  /** Extra attempts after the first. */
  count: number;
  /** The causes that are retried. */
  on: FailureCause[];
}

/** One step of the pipeline. */
export interface StepSpec {
  name: string;
  pos: Pos;
  /** Module path relative to the pipeline directory, as written. */
  module: string;
  description?: string;
  matrix: AxisUse[];
  params: string[];
  inputs: InputSpec[];
  /** Inputs bound to declared sources (absent: none). */
  sources?: SourceUse[];
  outputs: OutputSpec[];
  permissions: PermissionSpec;
  /**
   * `unstable:` Deno unstable features the step process needs (`--unstable-<name>` each, e.g.
   * `webgpu`); empty when absent. Not part of the key: they enable APIs, the step's own
   * parameters say what it computes.
   */
  unstable?: string[];
  resources: Resources;
  /** `retries:` as written (see `retryPolicy` in exec/ for the effective policy). */
  retries?: RetryPolicy;
  /** Extra code globs, relative to the pipeline directory. */
  code: string[];
  publish?: string;
  /**
   * What `archive` bundles by default: true (every output), false (nothing),
   * or these output names. Absent: every output when the step publishes.
   */
  archive?: boolean | string[];
  /** `cost:` as written (a formula for an instance's CPU seconds; see cost.ts). */
  cost?: string;
  /** `metrics:` the numbers `metrics` and `compare` read from its outputs (never in a key). */
  metrics?: MetricSpec[];
}

/** One `metrics:` entry of a step: a JSON or CSV output (or a file inside a directory output). */
export interface MetricSpec {
  /** The output's name. */
  output: string;
  /** The file inside a directory output; null for a file output. */
  path: string | null;
  format: "json" | "csv";
  /** JSON: dotted paths to numbers; CSV: column names (series over the rows). */
  fields: string[];
}

/** A matrix axis and its values (in file order). */
export interface AxisSpec {
  name: string;
  values: MatrixValue[];
  pos: Pos;
  /** The declared type of its values (`{ type: integer, values: [...] }`), if any. */
  type?: ParamType;
  /**
   * `when_varied`: the axis enters an instance id only when the instance's step takes more than
   * one of its values under the profile (`in_id:`; absent: always).
   */
  inId?: "always" | "when_varied";
}

/** A profile: overrides of parameter values and axis values. */
export interface ProfileSpec {
  name: string;
  pos?: Pos;
  description?: string;
  params: Record<string, unknown>;
  matrix: Record<string, MatrixValue[]>;
}

/** Bounds on what a pipeline file may ask for, checked before anything is expanded. */
export interface Limits {
  /** The most instances one profile may have (all steps together). */
  instances: number;
}

/** A validated pipeline file. */
export interface PipelineSpec {
  /** Absolute path of pipeline.yaml. */
  file: string;
  /** The file as shown in messages. */
  displayFile: string;
  /** Absolute path of the directory relative paths are resolved against. */
  dir: string;
  version: number;
  /** The study's name, description and license (for archives), if given. */
  name?: string;
  description?: string;
  license?: string;
  defaultProfile: string;
  /** Parameter values (the `value` of a declared parameter): what keys and steps see. */
  params: Record<string, unknown>;
  /** The declared types of the typed parameters (never part of a cache key). */
  paramTypes: Record<string, ParamType>;
  axes: AxisSpec[];
  /** The `sources:` section by name (absent: none). */
  sources?: Map<string, SourceSpec>;
  /** Steps in file order. */
  steps: StepSpec[];
  /** Profiles by name; always contains `default` (empty unless defined). */
  profiles: Map<string, ProfileSpec>;
  /** The `executor:` section, if any (absent: local). Never part of a cache key. */
  executor?: ExecutorSpec;
  /** Bounds checked when the file is loaded (`limits:`, defaults filled in). */
  limits: Limits;
  /** `cost_constants:`: a JSON file of named per-unit costs for the steps' `cost:` formulas. */
  costConstants?: string;
  /** `open:` a published file (`<publish name>/<path>`) that reproduce prints at the end. */
  open?: string;
  /** `remotes:` the remote caches `push`/`pull` may use (never credentials). */
  remotes?: RemotesSpec;
}
