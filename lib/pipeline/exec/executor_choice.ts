/**
 * Which executor `reproduce` uses and with what settings: the command-line
 * flags (`--executor`, `--slurm-*`) over the pipeline's `executor:` section,
 * over the defaults. Also the flags' specs and help, for `cli_args.ts`.
 *
 * @module
 */

import {
  EXECUTOR_NAMES,
  type ExecutorName,
  type ExecutorSpec,
  parseDuration,
  parsePoll,
  sbatchFlagProblem,
  UsageError,
} from "../spec/mod.ts";
import type { Executor } from "./executor.ts";
import { LocalExecutor } from "./local_executor.ts";
import { SlurmExecutor } from "./slurm_executor.ts";

/** Seconds between looks at the Slurm queue when nothing says otherwise. */
export const DEFAULT_POLL_SECONDS = 3;
/** Default `--jobs` with Slurm: jobs in the queue at once. */
export const DEFAULT_SLURM_JOBS = 100;

/** `reproduce` options that choose and configure the executor. */
export const EXECUTOR_OPTIONS = {
  executor: { type: "string" },
  "slurm-partition": { type: "string" },
  "slurm-account": { type: "string" },
  "slurm-time": { type: "string" },
  "slurm-flag": { type: "string", multiple: true },
  "slurm-deno": { type: "string" },
  "slurm-poll": { type: "string" },
} as const;

/** Their lines in `reproduce --help`. */
export const EXECUTOR_HELP =
  `      --executor E  local (default) or slurm; overrides executor.name in pipeline.yaml
      --slurm-partition P   partition of every job        (these override pipeline.yaml's
      --slurm-account A     account of every job           executor: section; docs/slurm.md)
      --slurm-time T        time limit of steps without resources.time (30m, 2h, 1-00:00:00)
      --slurm-flag F        an extra sbatch flag, e.g. --slurm-flag --qos=long (repeatable)
      --slurm-deno PATH     the deno executable on the compute nodes (default: this one)
      --slurm-poll S        seconds between looks at the queue (default ${DEFAULT_POLL_SECONDS})`;

/** Flags whose value may start with a dash (`--slurm-flag --qos=x`). */
const DASH_VALUE_FLAGS = ["--slurm-flag"];

/**
 * Rewrites `--slurm-flag --qos=x` as `--slurm-flag=--qos=x`: an argument
 * parser would otherwise take `--qos=x` for an option of its own.
 */
export function joinDashValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (DASH_VALUE_FLAGS.includes(args[i]) && i + 1 < args.length) {
      out.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

/** The executor chosen for a run, with its settings. */
export interface ExecutorChoice {
  name: ExecutorName;
  slurm: {
    partition?: string;
    account?: string;
    timeSeconds?: number;
    extra: string[];
    deno?: string;
    pollSeconds: number;
    array?: { max: number; throttle?: number };
  };
}

/** Combines the command-line flags with the pipeline's `executor:` section. Throws UsageError. */
export function chooseExecutor(
  values: Record<string, unknown>,
  spec: ExecutorSpec | undefined,
): ExecutorChoice {
  const flag = (k: string) => values[k] as string | undefined;
  const name = flag("executor") ?? spec?.name ?? "local";
  if (!(EXECUTOR_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`--executor must be one of ${EXECUTOR_NAMES.join(", ")}, got '${name}'`);
  }
  const slurmFlags = Object.keys(EXECUTOR_OPTIONS).filter((k) =>
    k.startsWith("slurm-") && values[k] !== undefined
  );
  if (name !== "slurm" && slurmFlags.length) {
    throw new UsageError(
      `--${slurmFlags[0]} applies to the Slurm executor: add --executor slurm ` +
        `(or executor: { name: slurm } in pipeline.yaml)`,
    );
  }
  let timeSeconds = spec?.timeSeconds;
  if (flag("slurm-time") !== undefined) {
    timeSeconds = parseDuration(flag("slurm-time"));
    if (timeSeconds === undefined) {
      throw new UsageError(
        `--slurm-time: bad duration '${
          flag("slurm-time")
        }' (write e.g. 30m, 2h, 1d, HH:MM:SS, D-HH:MM:SS)`,
      );
    }
  }
  let pollSeconds = spec?.pollSeconds ?? DEFAULT_POLL_SECONDS;
  if (flag("slurm-poll") !== undefined) {
    const p = parsePoll(flag("slurm-poll"));
    if (p === undefined) {
      throw new UsageError(`--slurm-poll: bad interval '${flag("slurm-poll")}' (seconds, e.g. 5)`);
    }
    pollSeconds = p;
  }
  const extraFlags = (values["slurm-flag"] as string[] | undefined) ?? [];
  for (const f of extraFlags) {
    const problem = sbatchFlagProblem(f);
    if (problem) throw new UsageError(`--slurm-flag: ${problem}`);
  }
  const deno = flag("slurm-deno") ?? spec?.deno;
  if (deno !== undefined && deno.includes("/") && !deno.startsWith("/")) {
    throw new UsageError(`--slurm-deno must be an absolute path (or a name on the nodes' PATH)`);
  }
  for (const k of ["slurm-partition", "slurm-account"]) {
    const v = flag(k);
    if (v !== undefined && (v === "" || /\s/.test(v))) {
      throw new UsageError(`--${k} must be a non-empty name without white space`);
    }
  }
  return {
    name: name as ExecutorName,
    slurm: {
      partition: flag("slurm-partition") ?? spec?.partition,
      account: flag("slurm-account") ?? spec?.account,
      timeSeconds,
      // The file's flags first, the command line's after them (later flags win in sbatch).
      extra: [...(spec?.extra ?? []), ...extraFlags],
      deno,
      pollSeconds,
      ...(spec?.array ? { array: spec.array } : {}),
    },
  };
}

/** The default of `--jobs`: local cores, or jobs in the Slurm queue. */
export function defaultJobs(choice: ExecutorChoice): number {
  return choice.name === "slurm" ? DEFAULT_SLURM_JOBS : navigator.hardwareConcurrency || 1;
}

/** Builds the chosen executor. `note` receives messages for the user. */
export function createExecutor(
  choice: ExecutorChoice,
  ctx: { storeRoot: string; note: (message: string) => void },
): Executor {
  if (choice.name === "local") return new LocalExecutor(3000);
  return new SlurmExecutor({ ...choice.slurm, storeRoot: ctx.storeRoot, note: ctx.note });
}
