/**
 * Slurm job states and how a finished job maps to the engine's `ExecResult`
 * (exit code, signal, or an error sentence for the user). Pure.
 *
 * @module
 */

import type { ExecResult } from "./executor.ts";

/** What the executor knows about a job from squeue, scontrol or sacct. */
export interface JobInfo {
  id: string;
  /** Base state, e.g. `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`. */
  state: string;
  /** Why it is pending, or why it ended (`Priority`, `Resources`, `NonZeroExitCode`, ...). */
  reason?: string;
  /** Node(s) it runs or ran on. */
  nodes?: string;
  /** The batch script's exit code and terminating signal (`ExitCode=code:signal`). */
  exitCode?: number;
  signal?: number;
}

/** States of a job that has not finished (its processes may still run or write). */
const ACTIVE = new Set([
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "STOPPED",
  "REQUEUED",
  "REQUEUE_FED",
  "REQUEUE_HOLD",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
  "RESV_DEL_HOLD",
  "POWER_UP_NODE",
]);

/** The base state of a state string (`CANCELLED by 0` -> `CANCELLED`, `RUNNING+` -> `RUNNING`). */
export function baseState(s: string): string {
  return s.trim().split(/[\s+]/)[0].toUpperCase();
}

/** Whether a job in this state may still run or write. */
export function isActive(state: string): boolean {
  return ACTIVE.has(baseState(state));
}

/** Whether a job in this state is waiting to start. */
export function isQueued(state: string): boolean {
  return ["PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "POWER_UP_NODE"].includes(
    baseState(state),
  );
}

const SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  24: "SIGXCPU",
  25: "SIGXFSZ",
};

/** A signal name from its number (`SIG<n>` when unknown). */
export function signalName(n: number): string {
  return SIGNALS[n] ?? `SIG${n}`;
}

/** What the outcome needs besides the job's own state. */
export interface OutcomeContext {
  /** The engine asked for the cancellation (Ctrl-C, `cancel()`). */
  cancelledByUs: boolean;
  /** A `pipeline-slurm:` line the batch script wrote (a node could not see a shared path). */
  scriptError?: string;
  /** The limits as submitted (for messages). */
  time?: string;
  memory?: string;
}

/** How a finished job ended, as the engine reports a step's end. */
export function jobOutcome(job: JobInfo, ctx: OutcomeContext): ExecResult {
  const state = baseState(job.state);
  const sig = job.signal ? signalName(job.signal) : null;
  const label = `Slurm job ${job.id}`;
  const resume = "a rerun resumes from the step's checkpoint";
  if (ctx.scriptError) return { code: job.exitCode ?? null, signal: null, error: ctx.scriptError };
  switch (state) {
    case "COMPLETED":
      return { code: job.exitCode ?? 0, signal: null };
    case "FAILED":
      if (sig) return { code: null, signal: sig };
      if (job.exitCode) return { code: job.exitCode, signal: null };
      return {
        code: null,
        signal: null,
        error: `${label} failed before the step ran (${job.reason ?? "no reason given"})`,
      };
    case "CANCELLED":
      if (ctx.cancelledByUs) return { code: null, signal: sig ?? "SIGTERM" };
      return {
        code: null,
        signal: sig,
        cause: "cancelled",
        error: `${label} was cancelled (scancel, or an administrator); ${resume}`,
      };
    case "TIMEOUT":
      return {
        code: null,
        signal: sig,
        cause: "timeout",
        error: `${label} reached its time limit${
          ctx.time ? ` (${ctx.time})` : ""
        }; raise the step's resources.time (or --slurm-time); ${resume}`,
      };
    case "OUT_OF_MEMORY":
      return {
        code: null,
        signal: sig,
        cause: "out_of_memory",
        error: `${label} ran out of memory${
          ctx.memory ? ` (${ctx.memory})` : ""
        }; raise the step's resources.memory`,
      };
    case "NODE_FAIL":
    case "BOOT_FAIL":
      return {
        code: null,
        signal: sig,
        cause: "node_fail",
        error: `${label} failed: its node failed (${state}); ${resume}`,
      };
    case "PREEMPTED":
      return {
        code: null,
        signal: sig,
        cause: "preempted",
        error: `${label} was preempted; ${resume}`,
      };
    case "DEADLINE":
      return { code: null, signal: sig, error: `${label} missed its deadline (--deadline)` };
    default:
      return {
        code: job.exitCode ?? null,
        signal: sig,
        error: `${label} ended in state ${state}${job.reason ? ` (${job.reason})` : ""}`,
      };
  }
}

/** Parses `ExitCode=3:0` style `code:signal` (also sacct's). */
export function parseExitCode(s: string | undefined): { exitCode?: number; signal?: number } {
  const m = /^(\d+):(\d+)$/.exec(s ?? "");
  return m ? { exitCode: Number(m[1]), signal: Number(m[2]) } : {};
}
