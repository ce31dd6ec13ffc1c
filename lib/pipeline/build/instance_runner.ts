/**
 * The instance runner: one instance run as a transaction, in named phases —
 * `stage` (attempt directory, context file), `launch` (the step process
 * through an executor), `checkOutputs` (every declared output, as declared),
 * `checkUnchanged` (inputs, code and sources as when it started), `storeOutputs`
 * (blobs into the store) and `record` (the run record written last, the index
 * updated, the checkpoint removed). A failed, killed or interrupted run
 * leaves nothing that looks valid (its checkpoint stays, so the next attempt
 * resumes).
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";
import {
  canonicalJson,
  type CodeInfo,
  digestSource,
  hashFile,
  type KeyParts,
} from "../keys/mod.ts";
import type { Project } from "./project.ts";
import { applyProfile, costConstants, type Instance, instanceCost } from "../spec/mod.ts";
import {
  describeResources,
  type ExecHandle,
  type ExecRequest,
  type ExecResult,
  type Executor,
  interpolate,
  nextAttempt,
  resourcesAt,
  retryPolicy,
  type Rung,
  stepArgs,
} from "../exec/mod.ts";
import type { FailureCause, Resources } from "../spec/mod.ts";
import { type JobFile, writeJob } from "./jobs.ts";
import {
  type AttemptRecord,
  isDiskFull,
  isIoError,
  type OutputEntry,
  RECORD_FORMAT,
  removeAll,
  type ResourceUsage,
  type RunRecord,
  storeIoError,
} from "../store/mod.ts";
import {
  type ContextFile,
  type InputValue,
  PROGRESS_PREFIX,
  RESOURCES_PREFIX,
  type StepUsage,
  type UpstreamRecord,
} from "../../step/mod.ts";

/** Everything needed to run one instance. */
export interface RunRequest {
  project: Project;
  executor: Executor;
  profile: string;
  inst: Instance;
  key: string;
  parts: KeyParts;
  code: CodeInfo;
  inputs: {
    values: Record<string, InputValue>;
    files: { path: string; hash: string }[];
    grants: string[];
    /** What produced the inputs, transitively (informational: not part of the key). */
    upstream?: UpstreamRecord[];
  };
  /** Cores granted (min of the step's cores and --jobs). */
  cores: number;
  /** A job an earlier engine submitted for this key, to follow instead of submitting anew. */
  adopt?: JobFile;
  onLine?: (line: string) => void;
  onProgress?: (fraction: number, message: string) => void;
}

/** How a run ended. */
export interface RunResult {
  ok: boolean;
  cancelled: boolean;
  record?: RunRecord;
  /** Why it failed, for the user. */
  error?: string;
  seconds: number;
  logPath: string;
}

/** A started run. */
export interface RunHandle {
  result: Promise<RunResult>;
  cancel(): void;
}

/** The permissions of an instance (also shown by `explain`). */
export function instanceGrants(
  req: Pick<RunRequest, "project" | "inst" | "code" | "inputs">,
  paths: { contextFile: string; outDir: string; scratch: string; checkpoint: string },
): { read: string[]; write: string[]; net: string[]; env: string[] } {
  const { inst, project } = req;
  const dir = project.pipeline.spec.dir;
  const expand = (xs: string[]) =>
    xs.map((x) => interpolate(x, inst.params)).filter((x): x is string => x !== null);
  const extraRead = expand(inst.step.permissions.read).map((
    p,
  ) => (isAbsolute(p) ? p : resolve(dir, p)));
  return {
    read: [
      ...req.code.readPaths,
      ...req.inputs.grants,
      paths.contextFile,
      paths.checkpoint,
      paths.scratch,
      paths.outDir,
      ...extraRead,
    ],
    write: [paths.outDir, paths.checkpoint, paths.scratch],
    net: expand(inst.step.permissions.net),
    env: expand(inst.step.permissions.env),
  };
}

/** The attempt's paths: staging (removed afterwards) and the key's checkpoint (kept on failure). */
interface Stage {
  outDir: string;
  scratch: string;
  contextFile: string;
  checkpoint: string;
  /** Declared output name -> where the step writes it. */
  outputs: Record<string, string>;
  /** The step's `::resources::` report, once it wrote one. */
  usage?: ResourceUsage;
}

/** A failed phase: why, for the user. */
class PhaseFailure extends Error {}

/** The paths of an attempt directory (also of an adopted job's, which exists already). */
function stagePaths(req: RunRequest, attempt: string): Stage {
  const st: Stage = {
    outDir: join(attempt, "out"),
    scratch: join(attempt, "scratch"),
    contextFile: join(attempt, "context.json"),
    checkpoint: req.project.store.checkpointDir(req.key),
    outputs: {},
  };
  for (const o of req.inst.step.outputs) st.outputs[o.name] = join(st.outDir, o.file);
  return st;
}

/** Phase 1: the attempt directory, the checkpoint directory and the context file. */
async function stage(req: RunRequest, attempt: string): Promise<Stage> {
  const { inst } = req;
  const st = stagePaths(req, attempt);
  await Deno.mkdir(st.outDir);
  await Deno.mkdir(st.scratch);
  await Deno.mkdir(st.checkpoint, { recursive: true });
  const context: ContextFile = {
    protocol: 1,
    id: inst.id,
    step: inst.step.name,
    matrix: inst.matrix,
    params: inst.params,
    inputs: req.inputs.values,
    outputs: st.outputs,
    checkpoint_dir: st.checkpoint,
    scratch_dir: st.scratch,
    cores: req.cores,
    upstream: req.inputs.upstream ?? [],
  };
  await Deno.writeTextFile(st.contextFile, JSON.stringify(context, null, 2) + "\n");
  return st;
}

/** How one attempt is launched. */
interface LaunchOptions {
  resources: Resources;
  appendLog: boolean;
  /** Follow this job (submitted by an earlier engine) instead of starting one. */
  adoptJob?: string;
  onSubmitted?: (jobId: string) => Promise<void>;
}

/** The instance's cost-model estimate for the executor ({} without one or when it fails). */
function estimateOf(req: RunRequest): { estimateSeconds?: number } {
  try {
    const spec = req.project.pipeline.spec;
    const s = instanceCost(req.inst, costConstants(spec), applyProfile(spec, req.profile).params);
    return s === undefined ? {} : { estimateSeconds: s };
  } catch {
    return {}; // an estimate is advice; `status --estimate` shows why it fails
  }
}

/** Phase 2: the step process, with least privilege, through the executor. */
function launch(req: RunRequest, st: Stage, logPath: string, o: LaunchOptions): ExecHandle {
  const { project, inst } = req;
  const grants = instanceGrants(req, st);
  const args = stepArgs({
    module: resolve(project.pipeline.spec.dir, inst.step.module),
    contextFile: st.contextFile,
    config: project.code.config,
    grants,
    unstable: inst.step.unstable,
  });
  const execReq: ExecRequest = {
    id: inst.id,
    command: [Deno.execPath(), ...args],
    env: { NO_COLOR: "1" },
    cwd: project.pipeline.spec.dir,
    logPath,
    resources: o.resources,
    ...estimateOf(req),
    group: inst.step.name,
    appendLog: o.appendLog,
    onSubmitted: o.onSubmitted,
    onLine: (stream, line) => {
      if (stream === "stderr" && line.startsWith(PROGRESS_PREFIX)) {
        const m = /^\S+\s+(\S+)\s?(.*)$/.exec(line);
        const f = m ? Number(m[1]) : NaN;
        if (Number.isFinite(f)) req.onProgress?.(f, m![2] ?? "");
        return;
      }
      if (stream === "stderr" && line.startsWith(RESOURCES_PREFIX)) {
        st.usage = parseUsage(line.slice(RESOURCES_PREFIX.length)) ?? st.usage;
        return;
      }
      if (stream === "stdout") req.onLine?.(line);
    },
  };
  if (o.adoptJob !== undefined && req.executor.adopt) {
    return req.executor.adopt(execReq, o.adoptJob);
  }
  return req.executor.start(execReq);
}

/** A `::resources::` report as the record keeps it; undefined when malformed. */
export function parseUsage(json: string): ResourceUsage | undefined {
  try {
    const u = JSON.parse(json) as StepUsage;
    if (![u.max_rss_kib, u.cpu_user_s, u.cpu_sys_s].every((x) => Number.isFinite(x))) return;
    return {
      max_rss_mib: Math.round(u.max_rss_kib / 1024 * 10) / 10,
      cpu_user_s: Math.round(u.cpu_user_s * 1000) / 1000,
      cpu_sys_s: Math.round(u.cpu_sys_s * 1000) / 1000,
      host: typeof u.host === "string" ? u.host : Deno.hostname(),
    };
  } catch {
    return undefined;
  }
}

/** How the process ended, as a failure message (undefined: it succeeded). */
function exitProblem(res: ExecResult): string | undefined {
  if (res.error) return res.error;
  if (res.code !== 0) {
    return res.signal ? `killed by ${res.signal}` : `exited with code ${res.code}`;
  }
  return undefined;
}

/** What ended a failed attempt, for the retry decision. */
function causeOf(res: ExecResult): FailureCause | undefined {
  if (res.cause) return res.cause;
  // An error without a cause is the engine's or the executor's (sbatch refused it): no retry.
  if (res.error) return undefined;
  return "fail";
}

/** Phase 3: every declared output exists, as the kind declared. */
async function checkOutputs(inst: Instance, st: Stage): Promise<void> {
  const missing: string[] = [];
  for (const o of inst.step.outputs) {
    try {
      const s = await Deno.lstat(st.outputs[o.name]);
      if (o.kind === "dir" ? !s.isDirectory : !s.isFile) {
        missing.push(
          `'${o.name}' (${o.file}${o.kind === "dir" ? "/" : ""}) is not a ${
            o.kind === "dir" ? "directory" : "regular file"
          }`,
        );
      }
    } catch {
      missing.push(`'${o.name}' (${o.file}${o.kind === "dir" ? "/" : ""}) was not written`);
    }
  }
  if (missing.length) {
    throw new PhaseFailure(`exited 0 but declared output ${missing.join(", ")}`);
  }
}

/**
 * Phase 4: inputs, code or sources that changed while the step ran make the
 * result unattributable. Sources are re-listed and re-hashed in full: the
 * stat cache is never trusted here.
 */
async function checkUnchanged(req: RunRequest): Promise<void> {
  const changed: string[] = [];
  for (const s of req.project.usedSources(req.inst)) {
    const was = req.parts.sources?.[s.use.name];
    const now = await digestSource(s.path, s.source.glob, null).catch(() => null);
    if (!was || !now || canonicalJson(was) !== canonicalJson(now)) changed.push(s.path);
  }
  for (const f of req.inputs.files) {
    const d = await hashFile(f.path).catch(() => null);
    if (!d || d.hash !== f.hash) changed.push(f.path);
  }
  for (const [rel, abs] of Object.entries(req.code.absolute)) {
    const d = await hashFile(abs).then((x) => x.hash, () => "missing");
    if (d !== req.parts.code[rel]) changed.push(rel);
  }
  if (changed.length) {
    throw new PhaseFailure(
      `inputs, code or sources changed while the step ran (${
        changed.join(", ")
      }); the result is not recorded`,
    );
  }
}

/** Phase 5: the outputs into the store, as blobs and trees. */
async function storeOutputs(req: RunRequest, st: Stage): Promise<Record<string, OutputEntry>> {
  const store = req.project.store;
  const stored: Record<string, OutputEntry> = {};
  for (const o of req.inst.step.outputs) {
    try {
      const d = o.kind === "dir"
        ? await store.putTree(st.outputs[o.name])
        : await store.putFile(st.outputs[o.name], { move: true });
      stored[o.name] = { hash: d.hash, size: d.size, kind: o.kind, file: o.file };
    } catch (e) {
      const err = await storeIoError(
        e,
        `storing output '${o.name}'`,
        store.blobs,
        await treeSize(st.outputs[o.name]),
      );
      throw new PhaseFailure(err.message);
    }
  }
  return stored;
}

/** Phase 6: the log stored, the run record written last, the index updated, the checkpoint removed. */
async function record(
  req: RunRequest,
  st: Stage,
  outputs: Record<string, OutputEntry>,
  logPath: string,
  started: Date,
  seconds: () => number,
  attempts: AttemptRecord[],
): Promise<RunRecord> {
  const { project, inst, key } = req;
  const store = project.store;
  const log = await store.putFile(logPath, { move: false }).catch(() => null);
  const ended = new Date();
  const rec: RunRecord = {
    format: RECORD_FORMAT,
    key,
    step: inst.step.name,
    id: inst.id,
    matrix: inst.matrix,
    profile: req.profile,
    parts: req.parts,
    outputs,
    started: started.toISOString(),
    ended: ended.toISOString(),
    seconds: seconds(),
    host: Deno.hostname(),
    deno: Deno.version.deno,
    executor: req.executor.name,
    cores: req.cores,
    log,
    ...(st.usage ? { usage: st.usage } : {}),
  };
  // Only runs that needed more than one attempt (or were adopted) say so: others stay as before.
  if (attempts.length > 1 || attempts.some((a) => a.adopted)) rec.attempts = attempts;
  await store.writeRecord(rec);
  await store.writeIndex({
    format: RECORD_FORMAT,
    id: inst.id,
    step: inst.step.name,
    profile: req.profile,
    key,
    parts: req.parts,
    time: ended.toISOString(),
  });
  await removeAll(st.checkpoint);
  return rec;
}

/**
 * Starts one instance; the returned promise never rejects for step failures.
 *
 * @example
 * ```ts
 * const run = startInstance({ project, executor, profile, inst, key, parts, code, inputs, cores: 1 });
 * const res = await run.result; // res.ok, res.record, res.error
 * ```
 */
export function startInstance(req: RunRequest): RunHandle {
  let cancelled = false;
  let cancelExec: (() => void) | undefined;
  const logPath = req.project.store.logPath(req.profile, req.inst.id);
  const result = (async (): Promise<RunResult> => {
    const t0 = performance.now();
    const started = req.adopt ? new Date(req.adopt.started) : new Date();
    const seconds = () =>
      req.adopt ? (Date.now() - started.getTime()) / 1000 : (performance.now() - t0) / 1000;
    const fail = (error: string): RunResult => ({
      ok: false,
      cancelled,
      error,
      seconds: seconds(),
      logPath,
    });
    const step = req.inst.step;
    const policy = retryPolicy(step.retries, step.resources);
    const attempts: AttemptRecord[] = [...(req.adopt?.attempts ?? [])];
    let rung: Rung = req.adopt?.rung ?? { memory: 0, time: 0 };
    let n = req.adopt?.attempt ?? 1;
    let adopt = req.adopt;
    let why = "";
    while (true) {
      const resources = { ...resourcesAt(step.resources, rung), cores: req.cores };
      const a = await attemptOnce(req, {
        n,
        of: policy.count + 1,
        rung,
        resources,
        adopt,
        why,
        attempts,
        started,
        seconds,
        logPath,
        isCancelled: () => cancelled,
        setCancel: (c) => (cancelExec = c),
      });
      if (a.ok) return a.ok;
      if (cancelled) {
        return fail(a.error === "interrupted before it started" ? a.error : "interrupted");
      }
      const d = nextAttempt(policy, step.resources, n, rung, a.cause);
      if (!d.retry) {
        return fail(policy.count > 0 && a.cause ? `${a.error} (not retried: ${d.why})` : a.error);
      }
      why = d.why;
      req.onLine?.(
        `attempt ${n + 1} of ${policy.count + 1}: ${d.why} (${describeResources(d.resources)})`,
      );
      rung = d.rung;
      n++;
      adopt = undefined;
    }
  })();
  return {
    result,
    cancel(): void {
      cancelled = true;
      cancelExec?.();
    },
  };
}

/** One attempt's settings (see `attemptOnce`). */
interface AttemptPlan {
  n: number;
  of: number;
  rung: Rung;
  resources: Resources;
  adopt?: JobFile;
  /** Why this attempt happens (empty for the first). */
  why: string;
  /** The attempts so far; this one is appended. */
  attempts: AttemptRecord[];
  started: Date;
  seconds: () => number;
  logPath: string;
  isCancelled: () => boolean;
  setCancel: (cancel: () => void) => void;
}

/** One attempt, from staging to the record; a failure says why and, if known, its cause. */
async function attemptOnce(
  req: RunRequest,
  p: AttemptPlan,
): Promise<
  { ok: RunResult; error?: never; cause?: never } | {
    ok?: never;
    error: string;
    cause?: FailureCause;
  }
> {
  const store = req.project.store;
  const t0 = new Date();
  const attemptRec = (outcome: string, error?: string, job?: string): AttemptRecord => ({
    attempt: p.n,
    started: t0.toISOString(),
    ended: new Date().toISOString(),
    seconds: (Date.now() - t0.getTime()) / 1000,
    outcome,
    ...(error ? { error } : {}),
    ...(job ? { job } : {}),
    resources: {
      cores: p.resources.cores,
      ...(p.resources.memoryMb !== undefined ? { memoryMb: p.resources.memoryMb } : {}),
      ...(p.resources.timeSeconds !== undefined ? { timeSeconds: p.resources.timeSeconds } : {}),
    },
    ...(p.adopt ? { adopted: true } : {}),
  });
  let attempt: string | undefined;
  let jobId = p.adopt?.job;
  let jobFile = false;
  try {
    let st: Stage;
    if (p.adopt) {
      attempt = p.adopt.attemptDir;
      st = stagePaths(req, attempt);
      jobFile = true;
    } else {
      attempt = await store.newAttemptDir(req.inst.id);
      st = await stage(req, attempt);
    }
    if (p.isCancelled()) return { error: "interrupted before it started" };
    // Steps that may retry (and adopted jobs) get a line per attempt in their log.
    const header = p.of > 1 || p.adopt !== undefined;
    if (header) {
      const line = `engine: attempt ${p.n} of ${p.of}${p.why ? ` (${p.why})` : ""}, ${
        describeResources(p.resources)
      }${p.adopt ? `; following Slurm job ${p.adopt.job} again after an engine restart` : ""}\n`;
      await Deno.mkdir(dirname(p.logPath), { recursive: true });
      await Deno.writeTextFile(p.logPath, line, { append: p.n > 1 });
    }
    const runAttempt = attempt;
    const handle = launch(req, st, p.logPath, {
      resources: p.resources,
      appendLog: header,
      adoptJob: p.adopt?.job,
      onSubmitted: async (id) => {
        jobId = id;
        await writeJob(store, {
          format: 1,
          key: req.key,
          id: req.inst.id,
          profile: req.profile,
          executor: req.executor.name,
          job: id,
          attemptDir: runAttempt,
          attempt: p.n,
          rung: p.rung,
          attempts: p.attempts,
          started: p.started.toISOString(),
          submitted: new Date().toISOString(),
        });
        jobFile = true;
      },
    });
    p.setCancel(handle.cancel);
    if (p.isCancelled()) handle.cancel();
    const res = await handle.result;
    jobId = res.jobId ?? jobId;
    if (p.isCancelled()) return { error: "interrupted" };
    const problem = exitProblem(res);
    if (problem) {
      const cause = causeOf(res);
      p.attempts.push(attemptRec(cause ?? "error", problem, jobId));
      return { error: problem, cause };
    }
    await checkOutputs(req.inst, st);
    await checkUnchanged(req);
    const outputs = await storeOutputs(req, st);
    p.attempts.push(attemptRec("ok", undefined, jobId));
    const rec = await record(req, st, outputs, p.logPath, p.started, p.seconds, p.attempts);
    return {
      ok: { ok: true, cancelled: false, record: rec, seconds: rec.seconds, logPath: p.logPath },
    };
  } catch (e) {
    if (e instanceof PhaseFailure) return { error: e.message };
    // An operating-system failure (a full disk) is one line, not a stack trace.
    if (isIoError(e) || isDiskFull(e)) {
      return { error: (await storeIoError(e, `running ${req.inst.id}`, store.root)).message };
    }
    return { error: `engine error: ${(e as Error).stack ?? e}` };
  } finally {
    // The job file goes first: a job file must never point at a removed attempt.
    if (jobFile) await store.dropJobFile(req.key).catch(() => {});
    if (attempt) await removeAll(attempt).catch(() => {});
  }
}

/** The last `n` lines of a log file. */
export async function logTail(path: string, n = 20): Promise<string[]> {
  try {
    // The resource report is for the trace, not for a reader of the failure.
    const lines = (await Deno.readTextFile(path)).split("\n")
      .filter((l) => !l.startsWith(RESOURCES_PREFIX));
    if (lines.at(-1) === "") lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  }
}

/** Bytes under a path (a file, or a directory's files), for a full-disk message. */
async function treeSize(path: string): Promise<number | undefined> {
  try {
    const st = await Deno.lstat(path);
    if (!st.isDirectory) return st.size;
    let n = 0;
    for await (const e of Deno.readDir(path)) n += (await treeSize(join(path, e.name))) ?? 0;
    return n;
  } catch {
    return undefined;
  }
}
