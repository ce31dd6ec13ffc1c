/**
 * The instance runner: one instance run as a transaction, in named phases —
 * `stage` (attempt directory, context file), `launch` (the step process
 * through an executor), `checkOutputs` (every declared output, as declared),
 * `checkUnchanged` (inputs and code as when it started), `storeOutputs`
 * (blobs into the store) and `record` (the run record written last, the index
 * updated, the checkpoint removed). A failed, killed or interrupted run
 * leaves nothing that looks valid (its checkpoint stays, so the next attempt
 * resumes).
 *
 * @module
 */

import { isAbsolute, join, resolve } from "node:path";
import { type CodeInfo, hashFile, type KeyParts } from "../keys/mod.ts";
import type { Project } from "./project.ts";
import type { Instance } from "../spec/mod.ts";
import {
  type ExecHandle,
  type ExecResult,
  type Executor,
  interpolate,
  stepArgs,
} from "../exec/mod.ts";
import {
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

/** Phase 1: the attempt directory, the checkpoint directory and the context file. */
async function stage(req: RunRequest, attempt: string): Promise<Stage> {
  const { project, inst, key } = req;
  const store = project.store;
  const st: Stage = {
    outDir: join(attempt, "out"),
    scratch: join(attempt, "scratch"),
    contextFile: join(attempt, "context.json"),
    checkpoint: store.checkpointDir(key),
    outputs: {},
  };
  await Deno.mkdir(st.outDir);
  await Deno.mkdir(st.scratch);
  await Deno.mkdir(st.checkpoint, { recursive: true });
  for (const o of inst.step.outputs) st.outputs[o.name] = join(st.outDir, o.file);
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

/** Phase 2: the step process, with least privilege, through the executor. */
function launch(req: RunRequest, st: Stage, logPath: string): ExecHandle {
  const { project, inst } = req;
  const grants = instanceGrants(req, st);
  const args = stepArgs({
    module: resolve(project.pipeline.spec.dir, inst.step.module),
    contextFile: st.contextFile,
    config: project.code.config,
    grants,
  });
  return req.executor.start({
    id: inst.id,
    command: [Deno.execPath(), ...args],
    env: { NO_COLOR: "1" },
    cwd: project.pipeline.spec.dir,
    logPath,
    resources: { ...inst.step.resources, cores: req.cores },
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
  });
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

/** Phase 4: inputs or code that changed while the step ran make the result unattributable. */
async function checkUnchanged(req: RunRequest): Promise<void> {
  const changed: string[] = [];
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
      `inputs or code changed while the step ran (${
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
    const started = new Date();
    const seconds = () => (performance.now() - t0) / 1000;
    const fail = (error: string): RunResult => ({
      ok: false,
      cancelled,
      error,
      seconds: seconds(),
      logPath,
    });
    let attempt: string | undefined;
    try {
      attempt = await req.project.store.newAttemptDir(req.inst.id);
      const st = await stage(req, attempt);
      if (cancelled) return fail("interrupted before it started");
      const handle = launch(req, st, logPath);
      cancelExec = handle.cancel;
      if (cancelled) handle.cancel();
      const res = await handle.result;
      if (cancelled) return fail("interrupted");
      const problem = exitProblem(res);
      if (problem) return fail(problem);
      await checkOutputs(req.inst, st);
      await checkUnchanged(req);
      const outputs = await storeOutputs(req, st);
      const rec = await record(req, st, outputs, logPath, started, seconds);
      return { ok: true, cancelled: false, record: rec, seconds: rec.seconds, logPath };
    } catch (e) {
      if (e instanceof PhaseFailure) return fail(e.message);
      // An operating-system failure (a full disk) is one line, not a stack trace.
      if (isIoError(e) || isDiskFull(e)) {
        return fail(
          (await storeIoError(e, `running ${req.inst.id}`, req.project.store.root)).message,
        );
      }
      return fail(`engine error: ${(e as Error).stack ?? e}`);
    } finally {
      if (attempt) await removeAll(attempt).catch(() => {});
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
