/**
 * The `executor:` section of pipeline.yaml: which executor runs the steps
 * (`local` or `slurm`) and the Slurm settings. Like `resources`, nothing here
 * enters a cache key: the same work gives the same keys on any executor.
 *
 * @module
 */

import { type Pos, suggestion } from "./diagnostics.ts";
import type { YEntry, YMap, YNode } from "./yaml_source.ts";

/** Executors the engine has. */
export const EXECUTOR_NAMES = ["local", "slurm"] as const;
/** An executor name. */
export type ExecutorName = typeof EXECUTOR_NAMES[number];

/** Keys of the `executor:` section. */
export const EXECUTOR_KEYS = [
  "name",
  "partition",
  "account",
  "time",
  "extra",
  "deno",
  "poll",
  "array",
];

/** The largest job array the executor submits when `array: true` sets no `max`. */
export const DEFAULT_ARRAY_MAX = 1000;

/** The validated `executor:` section (Slurm settings apply whenever Slurm is chosen). */
export interface ExecutorSpec {
  name: ExecutorName;
  pos?: Pos;
  /** `--partition` of every job. */
  partition?: string;
  /** `--account` of every job. */
  account?: string;
  /** The time limit of steps without `resources.time`, as written and in seconds. */
  time?: string;
  timeSeconds?: number;
  /** Extra sbatch flags for every job, e.g. `--qos=normal`. */
  extra: string[];
  /** The deno executable on the compute nodes (an absolute path, or a name looked up on PATH). */
  deno?: string;
  /** Seconds between two looks at the queue. */
  pollSeconds?: number;
  /** Job arrays (`array: true` or `{ max, throttle }`); absent: one job per instance. */
  array?: { max: number; throttle?: number };
}

/**
 * sbatch flags the executor sets itself (its log files, its job comment, its
 * result parsing); letting users override them would break following the job.
 */
const RESERVED_FLAGS: Record<string, string> = {
  "-o": "the executor sets the job's output file",
  "--output": "the executor sets the job's output file",
  "-e": "the executor sets the job's error file",
  "--error": "the executor sets the job's error file",
  "-D": "the executor sets the working directory (the pipeline directory)",
  "--chdir": "the executor sets the working directory (the pipeline directory)",
  "--comment": "the executor marks its jobs with a comment",
  "--parsable": "the executor parses sbatch's output itself",
  "--wrap": "the executor writes the batch script",
  "-a": "the executor makes job arrays itself (executor.array)",
  "--array": "the executor makes job arrays itself (executor.array)",
  "-W": "the executor follows jobs itself",
  "--wait": "the executor follows jobs itself",
  "--requeue": "a requeued job would rerun into a used staging directory; rerun reproduce instead",
};

/** Why an extra sbatch flag is not allowed, or undefined when it is fine. */
export function sbatchFlagProblem(flag: string): string | undefined {
  if (!flag.startsWith("-")) {
    return `'${flag}' is not an sbatch flag (write e.g. --qos=normal, one flag with its value per entry)`;
  }
  const name = flag.startsWith("--") ? flag.split("=")[0] : flag.slice(0, 2);
  const why = RESERVED_FLAGS[name];
  return why ? `sbatch flag '${name}' cannot be set: ${why}` : undefined;
}

/** What the section validator needs from the pipeline validator. */
export interface SectionValidator {
  error(pos: Pos | undefined, message: string, hint?: string): void;
  map(node: YNode, what: string): YMap | undefined;
  keys(m: YMap, allowed: string[], where: string, required?: string[]): void;
  entry(m: YMap, key: string): YEntry | undefined;
  string(node: YNode, what: string): string | undefined;
  stringList(node: YNode, what: string): { value: string; pos: Pos }[];
}

/**
 * Validates `executor: { name, partition, account, time, extra, deno, poll }`.
 * `parseDuration` is the resources' duration parser (seconds, or undefined).
 */
export function validateExecutorSection(
  v: SectionValidator,
  node: YNode,
  parseDuration: (x: unknown) => number | undefined,
): ExecutorSpec | undefined {
  const m = v.map(node, "'executor'");
  if (!m) return undefined;
  v.keys(m, EXECUTOR_KEYS, "in 'executor'", ["name"]);
  const spec: ExecutorSpec = { name: "local", pos: m.pos, extra: [] };
  let ok = true;
  const nameE = v.entry(m, "name");
  if (nameE) {
    const name = v.string(nameE.value, "executor.name");
    if (name !== undefined && !(EXECUTOR_NAMES as readonly string[]).includes(name)) {
      v.error(
        nameE.value.pos,
        `unknown executor '${name}'`,
        suggestion(name, [...EXECUTOR_NAMES], "executors"),
      );
      ok = false;
    } else if (name !== undefined) spec.name = name as ExecutorName;
    else ok = false;
  } else ok = false;
  for (const key of ["partition", "account"] as const) {
    const e = v.entry(m, key);
    if (!e) continue;
    const s = v.string(e.value, `executor.${key}`);
    if (s === undefined) ok = false;
    else if (/\s/.test(s)) {
      v.error(e.value.pos, `executor.${key} '${s}' contains white space`);
      ok = false;
    } else spec[key] = s;
  }
  const timeE = v.entry(m, "time");
  if (timeE) {
    const raw = timeE.value.kind === "scalar" ? timeE.value.value : null;
    const s = parseDuration(raw);
    if (s === undefined) {
      v.error(
        timeE.value.pos,
        `bad executor.time: ${JSON.stringify(raw)}`,
        "the default time limit of steps without resources.time: e.g. 30m, 2h, 1d, HH:MM:SS; a bare number is minutes",
      );
      ok = false;
    } else {
      spec.time = String(raw);
      spec.timeSeconds = s;
    }
  }
  const extraE = v.entry(m, "extra");
  if (extraE) {
    for (const it of v.stringList(extraE.value, "executor.extra")) {
      const problem = sbatchFlagProblem(it.value);
      if (problem) {
        v.error(it.pos, `executor.extra: ${problem}`);
        ok = false;
      } else spec.extra.push(it.value);
    }
  }
  const denoE = v.entry(m, "deno");
  if (denoE) {
    const d = v.string(denoE.value, "executor.deno");
    if (d !== undefined && d.includes("/") && !d.startsWith("/")) {
      v.error(
        denoE.value.pos,
        `executor.deno '${d}' must be an absolute path (or a bare name looked up on the nodes' PATH)`,
      );
      ok = false;
    } else if (d !== undefined) spec.deno = d;
    else ok = false;
  }
  const pollE = v.entry(m, "poll");
  if (pollE) {
    const s = parsePoll(pollE.value.kind === "scalar" ? pollE.value.value : null);
    if (s === undefined) {
      v.error(
        pollE.value.pos,
        `bad executor.poll: ${
          pollE.value.kind === "scalar" ? JSON.stringify(pollE.value.value) : "not a scalar"
        }`,
        "seconds between looks at the queue, e.g. 5 or 5s or 1m",
      );
      ok = false;
    } else spec.pollSeconds = s;
  }
  const arrayE = v.entry(m, "array");
  if (arrayE) {
    const a = arraySetting(v, arrayE.value);
    if (a === null) ok = false;
    else if (a) spec.array = a;
  }
  return ok ? spec : undefined;
}

/** `array: true | false | { max: N, throttle: N }`; null when wrong (reported). */
function arraySetting(
  v: SectionValidator,
  node: YNode,
): { max: number; throttle?: number } | undefined | null {
  if (node.kind === "scalar" && typeof node.value === "boolean") {
    return node.value ? { max: DEFAULT_ARRAY_MAX } : undefined;
  }
  const m = v.map(node, "executor.array (true, false or { max, throttle })");
  if (!m) return null;
  v.keys(m, ["max", "throttle"], "in executor.array");
  const out: { max: number; throttle?: number } = { max: DEFAULT_ARRAY_MAX };
  for (const key of ["max", "throttle"] as const) {
    const e = v.entry(m, key);
    if (!e) continue;
    const x = e.value.kind === "scalar" ? e.value.value : null;
    if (typeof x !== "number" || !Number.isInteger(x) || x < 1) {
      v.error(
        e.value.pos,
        `executor.array.${key} must be a positive integer`,
        key === "max" ? "instances per job array" : "array elements running at once (%N)",
      );
      return null;
    }
    out[key] = x;
  }
  return out;
}

/** Seconds from `5`, `0.5`, `5s` or `1m` (the poll interval), or undefined. */
export function parsePoll(v: unknown): number | undefined {
  if (typeof v === "number") return v > 0 && Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m)?\s*$/.exec(v);
  if (!m) return undefined;
  const s = Number(m[1]) * (m[2] === "m" ? 60 : 1);
  return s > 0 ? s : undefined;
}
