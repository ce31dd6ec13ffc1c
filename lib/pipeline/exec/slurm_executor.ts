/**
 * The Slurm executor: each instance's command is submitted with `sbatch` as
 * one job (the same `deno run <least privilege> <module> <context.json>` as
 * locally, with its cores, memory and time limit), followed with `squeue` /
 * `scontrol show job` (sacct only when the controller has forgotten it),
 * its output copied into the instance's log, its end mapped to the step's
 * result; `cancel()` is `scancel`. Staging, hashing, publication and the
 * record stay in the engine, which is why the store must be on a file system
 * the submit host and every node share (docs/slurm.md).
 *
 * One poller looks at all of a run's jobs with a single squeue call per
 * interval, so a wide DAG costs the controller one query, not one per job.
 *
 * @module
 */

import type { ExecHandle, ExecRequest, ExecResult, Executor } from "./executor.ts";
import { SlurmClient } from "./slurm_client.ts";
import { JobLog } from "./slurm_log.ts";
import { jobComment, type JobPlan, type JobSettings, planJob, slurmTime } from "./slurm_script.ts";
import { isActive, isQueued, type JobInfo, jobOutcome } from "./slurm_state.ts";
import { PROGRESS_PREFIX } from "../../step/mod.ts";

/** Settings of the Slurm executor. */
export interface SlurmExecutorOptions extends JobSettings {
  /** Seconds between looks at the queue. */
  pollSeconds: number;
  /** Messages for the user (e.g. stale jobs cancelled, a store that does not look shared). */
  note?: (message: string) => void;
  /** The Slurm tools (tests may point it elsewhere). */
  client?: SlurmClient;
  /** At most this many sbatch calls at once. */
  maxSubmitting?: number;
}

/** One instance's job as the executor follows it. */
interface Job {
  req: ExecRequest;
  plan?: JobPlan;
  log?: JobLog;
  /** The Slurm job id, once submitted. */
  id?: string;
  cancelled: boolean;
  settled: boolean;
  lastState?: string;
  lastReason?: string;
  /** Consecutive looks in which no Slurm command knew the job. */
  misses: number;
  lastScancel: number;
  resolve: (r: ExecResult) => void;
}

/** Looks the controller gets to find a job again before it counts as vanished. */
const MISSES_BEFORE_VANISHED = 3;
/** A cancelled job still listed as active gets another scancel after this long. */
const RESCANCEL_MS = 10_000;
/** How long the first submission waits for a killed engine's leftover jobs to end. */
const STALE_WAIT_MS = 120_000;

/** File system types that are local to one machine (a note, not an error: it may be exported). */
const LOCAL_FS =
  /^(ext2\/ext3|ext4|xfs|btrfs|tmpfs|ramfs|overlayfs|overlay|zfs|f2fs|vfat|msdos|devtmpfs)$/;

/** Runs each command as a Slurm batch job. */
export class SlurmExecutor implements Executor {
  readonly name = "slurm";
  /** `--jobs` counts jobs in the queue; each job gets all the cores its step declares. */
  readonly jobsCount = "jobs" as const;
  readonly #client: SlurmClient;
  readonly #opts: SlurmExecutorOptions;
  readonly #active = new Map<string, Job>();
  #ready: Promise<string | undefined> | undefined;
  #submitting = 0;
  #submitQueue: (() => void)[] = [];
  #polling = false;
  #wake: (() => void) | undefined;
  #sleepTimer: ReturnType<typeof setTimeout> | undefined;
  #toCancel = new Set<string>();
  #cancelScheduled = false;
  #unloadHooked = false;
  #troubleNoted = 0;
  // A second Ctrl-C exits the engine at once: its jobs must not outlive it.
  readonly #onUnload = () => this.#client.cancelSync([...this.#active.keys()]);

  constructor(opts: SlurmExecutorOptions) {
    this.#opts = opts;
    this.#client = opts.client ?? new SlurmClient();
  }

  start(req: ExecRequest): ExecHandle {
    let resolve!: (r: ExecResult) => void;
    const result = new Promise<ExecResult>((r) => (resolve = r));
    const job: Job = {
      req,
      cancelled: false,
      settled: false,
      misses: 0,
      lastScancel: 0,
      resolve: (r) => {
        if (job.settled) return;
        job.settled = true;
        resolve(r);
      },
    };
    this.#launch(job).catch((e) => {
      job.log?.close();
      if (job.id) this.#active.delete(job.id);
      job.resolve({ code: null, signal: null, error: `slurm executor: ${(e as Error).message}` });
    });
    return { result, cancel: () => this.#cancel(job) };
  }

  /** Stops following (nothing is active after a run) and drops the exit hook. */
  close(): void {
    if (this.#unloadHooked) globalThis.removeEventListener("unload", this.#onUnload);
    this.#unloadHooked = false;
    if (this.#sleepTimer !== undefined) clearTimeout(this.#sleepTimer);
    this.#wake?.();
  }

  #note(message: string): void {
    this.#opts.note?.(message);
  }

  #progress(job: Job, message: string): void {
    job.req.onLine?.("stderr", `${PROGRESS_PREFIX} 0 ${message}`);
  }

  async #launch(job: Job): Promise<void> {
    const problem = await (this.#ready ??= this.#preflight());
    if (problem) {
      job.resolve({ code: null, signal: null, error: problem });
      return;
    }
    if (job.cancelled) {
      job.resolve({ code: null, signal: null, error: "cancelled before it was submitted" });
      return;
    }
    const plan = planJob(job.req, this.#opts);
    job.plan = plan;
    await Deno.writeTextFile(plan.scriptFile, plan.script, { mode: 0o755 });
    const log = new JobLog(
      job.req.logPath,
      { stdout: plan.stdoutFile, stderr: plan.stderrFile },
      job.req.onLine,
    );
    job.log = log;
    await log.open();

    await this.#submitSlot();
    let id: string;
    try {
      if (job.cancelled) {
        log.close();
        job.resolve({ code: null, signal: null, error: "cancelled before it was submitted" });
        return;
      }
      id = await this.#client.submit(plan.args, plan.scriptFile);
    } catch (e) {
      log.note(`slurm: ${(e as Error).message}`);
      log.close();
      job.resolve({ code: null, signal: null, error: (e as Error).message });
      return;
    } finally {
      this.#releaseSubmitSlot();
    }
    job.id = id;
    this.#active.set(id, job);
    if (!this.#unloadHooked) {
      globalThis.addEventListener("unload", this.#onUnload);
      this.#unloadHooked = true;
    }
    log.note(`slurm: job ${id} submitted: sbatch ${plan.args.join(" ")} ${plan.scriptFile}`);
    job.req.onLine?.("stdout", `slurm: job ${id} submitted`);
    this.#progress(job, `queued (Slurm job ${id})`);
    if (job.cancelled) this.#scancel(job);
    this.#ensurePolling();
  }

  /** Waits for one of the `maxSubmitting` sbatch slots. */
  async #submitSlot(): Promise<void> {
    const max = this.#opts.maxSubmitting ?? 4;
    if (this.#submitting < max) {
      this.#submitting++;
      return;
    }
    await new Promise<void>((r) => this.#submitQueue.push(r));
  }

  #releaseSubmitSlot(): void {
    const next = this.#submitQueue.shift();
    if (next) next(); // the slot passes on
    else this.#submitting--;
  }

  #cancel(job: Job): void {
    if (job.cancelled) return;
    job.cancelled = true;
    // Not yet submitted: #launch sees the flag before (or right after) sbatch.
    if (job.id && !job.settled) this.#scancel(job);
  }

  /** Cancels jobs in batches: many cancels in one tick become one scancel call. */
  #scancel(job: Job): void {
    if (!job.id) return;
    job.lastScancel = Date.now();
    this.#toCancel.add(job.id);
    if (this.#cancelScheduled) return;
    this.#cancelScheduled = true;
    setTimeout(async () => {
      const ids = [...this.#toCancel];
      this.#toCancel.clear();
      this.#cancelScheduled = false;
      const err = await this.#client.cancel(ids);
      if (err) this.#note(`${err} (retrying)`);
      this.#wake?.();
    }, 0);
  }

  #ensurePolling(): void {
    if (this.#polling) return;
    this.#polling = true;
    (async () => {
      try {
        while (this.#active.size > 0) {
          await this.#sleep(this.#opts.pollSeconds * 1000);
          await this.#pollOnce();
        }
      } finally {
        this.#polling = false;
        // A job submitted while the loop was ending still needs following.
        if (this.#active.size > 0) this.#ensurePolling();
      }
    })();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      this.#wake = () => {
        if (this.#sleepTimer !== undefined) clearTimeout(this.#sleepTimer);
        this.#sleepTimer = undefined;
        this.#wake = undefined;
        r();
      };
      this.#sleepTimer = setTimeout(() => this.#wake?.(), ms);
    });
  }

  async #pollOnce(): Promise<void> {
    const ids = [...this.#active.keys()];
    let queue: Map<string, JobInfo>;
    try {
      queue = await this.#client.queue(ids);
    } catch (e) {
      // The controller may be restarting: keep the jobs and look again later.
      const now = Date.now();
      if (now - this.#troubleNoted > 300_000) {
        this.#troubleNoted = now;
        this.#note(`${(e as Error).message}; retrying every ${this.#opts.pollSeconds} s`);
      }
      for (const id of ids) await this.#active.get(id)?.log?.pump();
      return;
    }
    for (const id of ids) {
      const job = this.#active.get(id);
      if (!job) continue;
      await job.log!.pump();
      const listed = queue.get(id);
      if (listed && isActive(listed.state)) {
        job.misses = 0;
        this.#observe(job, listed);
        continue;
      }
      // Finished (or no longer listed): scontrol has the exit code, sacct the older jobs.
      let info: JobInfo | null = null;
      try {
        info = await this.#client.showJob(id);
      } catch {
        continue; // look again next time
      }
      if (info && isActive(info.state)) {
        this.#observe(job, info);
        continue;
      }
      info ??= (await this.#client.accounting(id)) ?? listed ?? null;
      if (!info && ++job.misses < MISSES_BEFORE_VANISHED) continue;
      await this.#settle(job, info);
    }
  }

  /** Notes state changes (queued -> running) in the log and the live display. */
  #observe(job: Job, info: JobInfo): void {
    if (job.cancelled && Date.now() - job.lastScancel > RESCANCEL_MS) this.#scancel(job);
    if (info.state === job.lastState && info.reason === job.lastReason) return;
    const changed = info.state !== job.lastState;
    job.lastState = info.state;
    job.lastReason = info.reason;
    if (isQueued(info.state)) {
      this.#progress(job, `queued (Slurm job ${job.id}${info.reason ? `: ${info.reason}` : ""})`);
    } else if (info.state === "RUNNING" && changed) {
      job.log!.note(`slurm: job ${job.id} running on ${info.nodes ?? "?"}`);
      this.#progress(job, `running on ${info.nodes ?? "?"} (Slurm job ${job.id})`);
    } else if (changed) {
      job.log!.note(`slurm: job ${job.id} ${info.state}`);
    }
  }

  async #settle(job: Job, info: JobInfo | null): Promise<void> {
    const log = job.log!;
    const plan = job.plan!;
    await log.finish();
    let result: ExecResult;
    if (!info) {
      result = {
        code: null,
        signal: null,
        error: `Slurm job ${job.id} left the queue without a final state ` +
          `(the controller forgot it and there is no accounting); a rerun resumes from the step's checkpoint`,
      };
    } else {
      const r = job.req.resources;
      result = jobOutcome(info, {
        cancelledByUs: job.cancelled,
        scriptError: log.scriptError,
        time: r.timeSeconds ?? this.#opts.timeSeconds
          ? `--time=${slurmTime((r.timeSeconds ?? this.#opts.timeSeconds)!)}`
          : undefined,
        memory: r.memoryMb !== undefined ? `--mem=${Math.ceil(r.memoryMb)}M` : undefined,
      });
      // A job that ran but whose output files never showed up here wrote them somewhere else.
      if (!log.anyOutputSeen && info.state !== "CANCELLED") {
        result = {
          code: result.code,
          signal: result.signal,
          error:
            `Slurm job ${job.id} ended (${info.state}) but its output files never appeared in ` +
            `${
              plan.stdoutFile.replace(/\/[^/]*$/, "")
            }: the store must be on a file system shared ` +
            `by the submit host and every compute node (--store DIR or PIPELINE_STORE=DIR; see docs/slurm.md)`,
        };
      }
      const exit = info.exitCode !== undefined
        ? `, exit code ${info.exitCode}:${info.signal ?? 0}`
        : "";
      log.note(
        `slurm: job ${job.id} ${info.state}${info.nodes ? ` on ${info.nodes}` : ""}${exit}`,
      );
    }
    log.close();
    this.#active.delete(job.id!);
    job.resolve(result);
  }

  /** Once per run: the tools answer, a killed engine's leftover jobs are gone, the store looks shared. */
  async #preflight(): Promise<string | undefined> {
    const c = this.#client;
    const v = await c.run("sbatch", ["--version"]);
    if (v.code !== 0) {
      return `cannot run sbatch (${
        v.stderr.trim() || `exit ${v.code}`
      }): is Slurm's client installed and on PATH (and SLURM_CONF set, if the cluster needs it)?`;
    }
    const comment = jobComment(this.#opts.storeRoot);
    let stale: string[];
    try {
      stale = await c.activeJobsWithComment(comment);
    } catch (e) {
      return (e as Error).message;
    }
    if (stale.length) {
      // We hold the store lock, so these belong to an engine that was killed without cancelling them.
      this.#note(
        `cancelling ${stale.length} Slurm job(s) that an earlier, killed run left on this store: ${
          stale.join(" ")
        }`,
      );
      const err = await c.cancel(stale);
      if (err) this.#note(err);
      const end = Date.now() + STALE_WAIT_MS;
      while (Date.now() < end) {
        const left = await c.activeJobsWithComment(comment).catch(() => stale);
        if (left.length === 0) break;
        await new Promise((r) => setTimeout(r, Math.min(1000, this.#opts.pollSeconds * 1000)));
      }
    }
    await this.#checkSharedStore();
    return undefined;
  }

  /** A note when the store sits on a local file system while jobs may run on other hosts. */
  async #checkSharedStore(): Promise<void> {
    const root = this.#opts.storeRoot;
    const fs = await fsType(root);
    if (!LOCAL_FS.test(fs)) return;
    const here = new Set([
      "localhost",
      "127.0.0.1",
      Deno.hostname(),
      Deno.hostname().split(".")[0],
    ]);
    const remote = (await this.#client.nodeHosts(this.#opts.partition)).filter((n) =>
      !here.has(n) && !here.has(n.split(".")[0])
    );
    if (remote.length === 0) return;
    this.#note(
      `the store ${root} is on a local file system (${fs}) but jobs may run on other nodes (${
        remote.slice(0, 3).join(", ")
      }${remote.length > 3 ? ", ..." : ""}); unless it is exported to them at the same path, ` +
        `they cannot see it: put the store on a shared file system (--store DIR or PIPELINE_STORE=DIR; docs/slurm.md)`,
    );
  }
}

/** The file system type of a path (`stat -f`), or "" when unknown. */
async function fsType(path: string): Promise<string> {
  try {
    const out = await new Deno.Command("stat", {
      args: ["-f", "-c", "%T", path],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.code === 0 ? new TextDecoder().decode(out.stdout).trim() : "";
  } catch {
    return "";
  }
}
