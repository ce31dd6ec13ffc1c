/**
 * How an instance's command is run. The engine builds the command, the
 * environment and the paths; an executor only runs it somewhere and reports
 * how it ended. Staging, hashing, recording and publishing stay in the
 * engine, so a cluster executor (Slurm: the same command through `sbatch`,
 * with the store on a shared file system) only has to implement `start`.
 *
 * @module
 */

import type { FailureCause, Resources } from "../spec/mod.ts";

/** One command to run for one instance. */
export interface ExecRequest {
  /** The instance id (for job names and messages). */
  id: string;
  /** Program and arguments, e.g. `["/usr/bin/deno", "run", ..., "context.json"]`. */
  command: string[];
  /** Variables added to the inherited environment. */
  env: Record<string, string>;
  /** Working directory (the pipeline directory). */
  cwd: string;
  /** Where stdout and stderr go, line by line, interleaved as they come (truncated first). */
  logPath: string;
  /** What the instance may use; `cores` is what it was granted. */
  resources: Resources;
  /** The instance's estimated CPU seconds from its step's cost model, if it has one. */
  estimateSeconds?: number;
  /** Called for each complete output line, as it comes (without the newline). */
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
  /** Instances of the same group (the step) may be submitted together, e.g. as a job array. */
  group?: string;
  /** Append to the log instead of truncating it (a retry's log follows its earlier attempts). */
  appendLog?: boolean;
  /**
   * A cluster executor calls this as soon as the job has an id, and waits
   * for it, so the engine can write down the job before anything else happens.
   */
  onSubmitted?: (jobId: string) => Promise<void>;
}

/** How a command ended. */
export interface ExecResult {
  /** Exit code (null when ended by a signal or never started). */
  code: number | null;
  /** The terminating signal, if any. */
  signal: string | null;
  /** Why it could not run or was stopped by the executor (e.g. a time limit). */
  error?: string;
  /** What ended it, for the retry decision (undefined: success, or not worth a retry). */
  cause?: FailureCause;
  /** The cluster job that ran it, if any. */
  jobId?: string;
}

/** A started command. */
export interface ExecHandle {
  /** Settles when the command has ended and its output is fully in the log. */
  readonly result: Promise<ExecResult>;
  /** Asks the command to stop (SIGTERM, then SIGKILL after a grace period). Idempotent. */
  cancel(): void;
}

/** Something that runs commands. */
export interface Executor {
  /** Recorded in run records (e.g. `local`, `slurm`). */
  readonly name: string;
  /** Starts a command; never throws (failures to start are reported through `result`). */
  start(req: ExecRequest): ExecHandle;
  /**
   * What `--jobs` counts: `cores` (the default; an instance takes min(cores, jobs) slots and is
   * granted that many cores) or `jobs` (a cluster queue: one slot per instance, which is granted
   * every core it declares).
   */
  readonly jobsCount?: "cores" | "jobs";
  /**
   * Follows a job an earlier engine submitted for the same attempt (same
   * staging directory) instead of submitting a new one.
   */
  adopt?(req: ExecRequest, jobId: string): ExecHandle;
  /**
   * Before the run: of the jobs an earlier engine left, those in `keep` that
   * the cluster still knows are kept for `adopt` (returned); every other job
   * of this store still queued or running is cancelled and waited for.
   */
  reconcile?(keep: Set<string>): Promise<Set<string>>;
  /** Releases what the executor holds after a run (e.g. an exit hook). */
  close?(): void;
}
