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
import { join } from "node:path";
import {
  type ArraySettings,
  jobComment,
  type JobPlan,
  type JobSettings,
  planArray,
  planJob,
  slurmTime,
} from "./slurm_script.ts";
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
  /** Instances of one step with equal flags that start together go out as one job array. */
  array?: ArraySettings;
}

/** Instances waiting to go out as one array. */
interface ArrayGroup {
  name: string;
  items: { job: Job; plan: JobPlan; resolve: (id: string) => void; reject: (e: Error) => void }[];
  timer?: ReturnType<typeof setTimeout>;
  opened: number;
}

/**
 * How long a possible array waits for one more instance: the scheduler launches a
 * ready set one instance after the other, each after a short preparation. Each
 * arrival restarts the wait, up to ARRAY_MAX_WAIT_MS after the first.
 */
const ARRAY_WINDOW_MS = 500;
const ARRAY_MAX_WAIT_MS = 5000;
/** sbatch flags that differ between the instances of one array. */
const PER_INSTANCE_FLAG = /^--(job-name|output|error)=/;

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
  readonly #groups = new Map<string, ArrayGroup>();
  /** Jobs an earlier engine left that this run adopts (never cancelled as stale). */
  #kept = new Set<string>();
  // A second Ctrl-C exits the engine at once: its jobs must not outlive it.
  readonly #onUnload = () => this.#client.cancelSync([...this.#active.keys()]);

  constructor(opts: SlurmExecutorOptions) {
    this.#opts = opts;
    this.#client = opts.client ?? new SlurmClient();
  }

  start(req: ExecRequest): ExecHandle {
    const job = this.#newJob(req);
    this.#launch(job).catch((e) => this.#crashed(job, e));
    return { result: job.result, cancel: () => this.#cancel(job) };
  }

  /** Follows a job an earlier engine submitted (its staging directory is `req`'s). */
  adopt(req: ExecRequest, jobId: string): ExecHandle {
    const job = this.#newJob(req);
    this.#follow(job, jobId).catch((e) => this.#crashed(job, e));
    return { result: job.result, cancel: () => this.#cancel(job) };
  }

  async reconcile(keep: Set<string>): Promise<Set<string>> {
    const kept = new Set<string>();
    if (keep.size) {
      // Trouble with the controller stops the run: staging of live jobs must not be removed blindly.
      const q = await this.#client.queue([...keep]);
      for (const id of keep) {
        if (q.has(id) || await this.#client.showJob(id)) kept.add(id);
      }
    }
    this.#kept = kept;
    const problem = await (this.#ready ??= this.#preflight());
    if (problem) throw new Error(problem);
    return kept;
  }

  #crashed(job: Job & { result: Promise<ExecResult> }, e: unknown): void {
    job.log?.close();
    if (job.id) this.#active.delete(job.id);
    job.resolve({ code: null, signal: null, error: `slurm executor: ${(e as Error).message}` });
  }

  #newJob(req: ExecRequest): Job & { result: Promise<ExecResult> } {
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
        resolve({ ...r, ...(job.id ? { jobId: job.id } : {}) });
      },
    };
    return Object.assign(job, { result });
  }

  /** Follows an existing job: its log copied again from the start, its end as for our own. */
  async #follow(job: Job, id: string): Promise<void> {
    const problem = await (this.#ready ??= this.#preflight());
    if (problem) {
      job.resolve({ code: null, signal: null, error: problem });
      return;
    }
    const plan = planJob(job.req, this.#opts);
    job.plan = plan;
    const log = new JobLog(
      job.req.logPath,
      { stdout: plan.stdoutFile, stderr: plan.stderrFile },
      job.req.onLine,
    );
    job.log = log;
    await log.open(job.req.appendLog);
    this.#track(job, id);
    log.note(`slurm: job ${id} adopted: submitted by an earlier engine, followed again`);
    job.req.onLine?.("stdout", `slurm: job ${id} adopted`);
    this.#progress(job, `following Slurm job ${id}`);
    if (job.cancelled) this.#scancel(job);
    this.#ensurePolling();
  }

  #track(job: Job, id: string): void {
    job.id = id;
    this.#active.set(id, job);
    if (!this.#unloadHooked) {
      globalThis.addEventListener("unload", this.#onUnload);
      this.#unloadHooked = true;
    }
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
    await log.open(job.req.appendLog);

    let id: string;
    try {
      if (job.cancelled) {
        log.close();
        job.resolve({ code: null, signal: null, error: "cancelled before it was submitted" });
        return;
      }
      id = this.#opts.array && job.req.group
        ? await this.#submitGrouped(job, plan, job.req.group)
        : await this.#submit(plan.args, plan.scriptFile);
    } catch (e) {
      log.note(`slurm: ${(e as Error).message}`);
      log.close();
      job.resolve({ code: null, signal: null, error: (e as Error).message });
      return;
    }
    this.#track(job, id);
    try {
      // Written down before anything else, so a restarted engine can adopt it.
      await job.req.onSubmitted?.(id);
    } catch (e) {
      job.cancelled = true;
      this.#scancel(job);
      log.note(`slurm: job ${id} cancelled: it could not be written down: ${(e as Error).message}`);
    }
    log.note(`slurm: job ${id} submitted: sbatch ${plan.args.join(" ")} ${plan.scriptFile}`);
    const limit = job.req.resources.timeSeconds ?? this.#opts.timeSeconds;
    const est = job.req.estimateSeconds;
    if (limit === undefined && est !== undefined) {
      // Twice the estimated wall time on the granted cores, in whole 5 minutes: a margin for a
      // slower node, so a plan can set resources.time with some confidence.
      const wall = est / Math.max(1, job.req.resources.cores);
      const suggest = Math.max(300, Math.ceil((2 * wall) / 300) * 300);
      log.note(
        `slurm: note: no time limit declared for ${job.req.id}; its cost model estimates ` +
          `${Math.round(est)} CPU s (${Math.round(wall)} s on ${job.req.resources.cores} cores): ` +
          `consider resources.time: ${slurmTime(suggest)}`,
      );
    }
    job.req.onLine?.("stdout", `slurm: job ${id} submitted`);
    this.#progress(job, `queued (Slurm job ${id})`);
    if (job.cancelled) this.#scancel(job);
    this.#ensurePolling();
  }

  /** One sbatch call, within the `maxSubmitting` slots. */
  async #submit(args: string[], scriptFile: string): Promise<string> {
    await this.#submitSlot();
    try {
      return await this.#client.submit(args, scriptFile);
    } finally {
      this.#releaseSubmitSlot();
    }
  }

  /** Joins (or opens) the array group of this step and flags; resolves to the element's job id. */
  #submitGrouped(job: Job, plan: JobPlan, name: string): Promise<string> {
    const key = [name, ...plan.args.filter((x) => !PER_INSTANCE_FLAG.test(x))].join("\0");
    return new Promise((resolve, reject) => {
      let g = this.#groups.get(key);
      if (!g) {
        g = { name, items: [], opened: Date.now() };
        this.#groups.set(key, g);
      }
      g.items.push({ job, plan, resolve, reject });
      clearTimeout(g.timer);
      const left = ARRAY_MAX_WAIT_MS - (Date.now() - g.opened);
      g.timer = setTimeout(() => this.#flush(key), Math.max(0, Math.min(ARRAY_WINDOW_MS, left)));
      if (g.items.length >= this.#opts.array!.max) {
        clearTimeout(g.timer);
        this.#flush(key);
      }
    });
  }

  /** Submits a group: alone as a plain job, else as one array (elements `<id>_<i>`). */
  async #flush(key: string): Promise<void> {
    const g = this.#groups.get(key);
    if (!g) return;
    this.#groups.delete(key);
    const items = g.items.filter((it) => {
      if (!it.job.cancelled) return true;
      it.reject(new Error("cancelled before it was submitted"));
      return false;
    });
    if (items.length === 0) return;
    try {
      if (items.length === 1) {
        items[0].resolve(await this.#submit(items[0].plan.args, items[0].plan.scriptFile));
        return;
      }
      const file = join(
        this.#opts.storeRoot,
        "tmp",
        `array-${crypto.randomUUID().slice(0, 8)}.sh`,
      );
      const arr = planArray(g.name, items.map((it) => it.plan), this.#opts.array!, file);
      await Deno.writeTextFile(file, arr.script, { mode: 0o755 });
      let id: string;
      try {
        id = await this.#submit(arr.args, file);
      } finally {
        // sbatch keeps its own copy of the script; each element's script stays in its staging.
        await Deno.remove(file).catch(() => {});
      }
      items.forEach((it, i) => {
        it.job.log?.note(`slurm: element ${i} of job array ${id}: sbatch ${arr.args.join(" ")}`);
        it.resolve(`${id}_${i}`);
      });
    } catch (e) {
      for (const it of items) it.reject(e as Error);
    }
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
    const kept = this.#kept;
    const notKept = (ids: string[]) => ids.filter((id) => !kept.has(id));
    let stale: string[];
    try {
      stale = notKept(await c.activeJobsWithComment(comment));
    } catch (e) {
      return (e as Error).message;
    }
    if (stale.length) {
      // We hold the store lock, so these belong to an engine that was killed, and no current
      // instance adopts them (their key changed, or they were never written down).
      this.#note(
        `cancelling ${stale.length} Slurm job(s) that an earlier, killed run left on this store: ${
          stale.join(" ")
        }`,
      );
      const err = await c.cancel(stale);
      if (err) this.#note(err);
      const end = Date.now() + STALE_WAIT_MS;
      while (Date.now() < end) {
        const left = notKept(await c.activeJobsWithComment(comment).catch(() => stale));
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
