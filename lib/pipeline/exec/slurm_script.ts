/**
 * What the Slurm executor submits for one instance: a batch script that
 * checks the node can see the shared paths and then runs exactly the step's
 * command (`deno run <least privilege> <module> <context.json>`), and the
 * sbatch flags for its resources. Pure: no processes, no files.
 *
 * @module
 */

import { dirname, join } from "node:path";
import type { ExecRequest } from "./executor.ts";

/** Settings that apply to every job of a run. */
export interface JobSettings {
  /** The store root; every job carries it in its comment (see `jobComment`). */
  storeRoot: string;
  partition?: string;
  account?: string;
  /** Time limit of instances that declare none (seconds). */
  timeSeconds?: number;
  /** Extra sbatch flags, after the executor's own (so they win). */
  extra: string[];
  /** The deno executable on the nodes; default: the command's own (this engine's deno). */
  deno?: string;
}

/** One job ready to submit. */
export interface JobPlan {
  /** sbatch arguments, without the script path. */
  args: string[];
  /** The batch script's text. */
  script: string;
  /** Where the script is written (the attempt's staging directory, on the store). */
  scriptFile: string;
  /** The job's stdout and stderr files (in the staging directory). */
  stdoutFile: string;
  stderrFile: string;
}

/** The exit code of the batch script when the node cannot see what it needs. */
export const SCRIPT_CHECK_EXIT = 97;
/** Lines the batch script writes to stderr when a check fails start with this. */
export const SCRIPT_ERROR_PREFIX = "pipeline-slurm: ";

/** The comment every job of a store carries, so a later run can find jobs a killed engine left. */
export function jobComment(storeRoot: string): string {
  return `pipeline-store:${storeRoot}`;
}

/** A Slurm time limit (`D-HH:MM:SS`) from seconds, rounded up to whole seconds. */
export function slurmTime(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d}-${pad(h)}:${pad(m)}:${pad(s % 60)}`;
}

/** A word quoted for bash. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,+@%-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** A path for sbatch's --output/--error, where `%` starts a pattern (`%j`, ...). */
function slurmFilename(path: string): string {
  // With a backslash in the name Slurm takes it literally, patterns and all.
  return path.includes("\\") ? path : path.replaceAll("%", "%%");
}

/** A job name from an instance id (Slurm job names are free text; white space would confuse tools). */
export function jobName(id: string): string {
  return id.replace(/\s+/g, "_");
}

/** The context file of a step command (its last argument). */
export function contextFileOf(command: string[]): string {
  const ctx = command.at(-1);
  if (!ctx || !ctx.endsWith(".json")) {
    throw new Error(`the step command does not end with its context file: ${command.join(" ")}`);
  }
  return ctx;
}

/** The batch script and sbatch flags for one instance's command. */
export function planJob(req: ExecRequest, s: JobSettings): JobPlan {
  const contextFile = contextFileOf(req.command);
  const attempt = dirname(contextFile);
  const stdoutFile = join(attempt, "slurm.out");
  const stderrFile = join(attempt, "slurm.err");
  const scriptFile = join(attempt, "slurm-job.sh");
  const r = req.resources;
  const args = [
    "--parsable",
    `--job-name=${jobName(req.id)}`,
    `--comment=${jobComment(s.storeRoot)}`,
    `--output=${slurmFilename(stdoutFile)}`,
    `--error=${slurmFilename(stderrFile)}`,
    `--chdir=${req.cwd}`,
    "--nodes=1",
    "--ntasks=1",
    `--cpus-per-task=${r.cores}`,
  ];
  if (r.memoryMb !== undefined) args.push(`--mem=${Math.ceil(r.memoryMb)}M`);
  const time = r.timeSeconds ?? s.timeSeconds;
  if (time !== undefined) args.push(`--time=${slurmTime(time)}`);
  if (s.partition) args.push(`--partition=${s.partition}`);
  if (s.account) args.push(`--account=${s.account}`);
  // A requeued job would run again into the same, partly written staging directory.
  args.push("--no-requeue", "--export=ALL", ...s.extra);

  const deno = s.deno ?? req.command[0];
  const q = shellQuote;
  const fail = (msg: string) =>
    `{ echo "${SCRIPT_ERROR_PREFIX}${msg}" >&2; exit ${SCRIPT_CHECK_EXIT}; }`;
  const env = Object.entries(req.env).map(([k, v]) => `export ${k}=${q(v)}`);
  const script = [
    "#!/bin/bash",
    `# Slurm job of pipeline instance ${req.id}, written by lib/pipeline/exec/slurm_executor.ts.`,
    "# Submitted as:",
    `#   sbatch ${args.map(q).join(" ")} ${q(scriptFile)}`,
    "# It runs the step's command exactly as the local executor does, after checking that",
    "# this node sees the store (context file), the pipeline directory and deno.",
    "set -u",
    `ctx=${q(contextFile)}`,
    "# A file just created on the submit host can take a moment to show on an NFS client.",
    'for _ in $(seq 1 "${PIPELINE_SLURM_CONTEXT_WAIT:-30}"); do [ -r "$ctx" ] && break; sleep 1; done',
    `[ -r "$ctx" ] || ${
      fail(
        "the context file $ctx is not visible on node $(hostname): the store must be on a file system shared by the submit host and every compute node (--store DIR or PIPELINE_STORE=DIR; see docs/slurm.md)",
      )
    }`,
    `cd ${q(req.cwd)} || ${
      fail(
        `the pipeline directory ${req.cwd} is not accessible on node $(hostname): the project must be on a shared file system too`,
      )
    }`,
    `deno=${q(deno)}`,
    `command -v "$deno" >/dev/null 2>&1 || ${
      fail(
        "no deno at $deno on node $(hostname) (set --slurm-deno PATH or executor.deno in pipeline.yaml)",
      )
    }`,
    ...env,
    `exec "$deno" ${req.command.slice(1).map(q).join(" ")}`,
    "",
  ].join("\n");
  return { args, script, scriptFile, stdoutFile, stderrFile };
}

/** Array settings: at most `max` elements per array, at most `throttle` running at once. */
export interface ArraySettings {
  max: number;
  throttle?: number;
}

/**
 * One job array for several instances planned alone (`planJob`): element `i`
 * runs element `i`'s batch script with its output in that element's staging
 * directory, so each instance is followed, logged and published on its own.
 * The flags are the first element's (all are equal but for names and files).
 */
export function planArray(
  name: string,
  elements: JobPlan[],
  a: ArraySettings,
  scriptFile: string,
): { args: string[]; script: string; scriptFile: string } {
  const perInstance = /^--(job-name|output|error)=/;
  const q = shellQuote;
  const range = `0-${elements.length - 1}${a.throttle ? `%${a.throttle}` : ""}`;
  const args = [
    "--parsable",
    `--job-name=${jobName(name)}`,
    `--array=${range}`,
    // Each element writes into its own staging directory (see the script).
    "--output=/dev/null",
    "--error=/dev/null",
    ...elements[0].args.filter((x) => x !== "--parsable" && !perInstance.test(x)),
  ];
  const script = [
    "#!/bin/bash",
    `# Slurm job array of ${elements.length} instances of step ${name}, written by`,
    "# lib/pipeline/exec/slurm_executor.ts. Element i runs the batch script of instance i.",
    'case "${SLURM_ARRAY_TASK_ID:-}" in',
    ...elements.map((e, i) =>
      `  ${i}) exec bash ${q(e.scriptFile)} >${q(e.stdoutFile)} 2>${q(e.stderrFile)} ;;`
    ),
    `  *) echo "${SCRIPT_ERROR_PREFIX}no element $SLURM_ARRAY_TASK_ID in this array" >&2; exit ${SCRIPT_CHECK_EXIT} ;;`,
    "esac",
    "",
  ].join("\n");
  return { args, script, scriptFile };
}
