/**
 * One instance run as a transaction: staging directory, context file, the
 * step process (through an executor), then, only if everything checks out,
 * outputs into the store, the run record written last, the index updated and
 * the checkpoint removed. A failed, killed or interrupted run leaves nothing
 * that looks valid (its checkpoint stays, so the next attempt resumes).
 *
 * @module
 */

import { isAbsolute, join, resolve } from "node:path";
import type { KeyParts } from "./cache_key.ts";
import type { CodeInfo } from "./code_graph.ts";
import type { Engine } from "./engine.ts";
import type { Instance } from "./expand.ts";
import type { Executor } from "./executor.ts";
import { hashFile } from "./hash.ts";
import { type OutputEntry, RECORD_FORMAT, type RunRecord } from "./record.ts";
import { interpolate, stepArgs } from "./step_command.ts";
import { removeAll } from "./store.ts";
import {
  type ContextFile,
  type InputValue,
  PROGRESS_PREFIX,
  type UpstreamRecord,
} from "../step/context.ts";

/** Everything needed to run one instance. */
export interface RunRequest {
  engine: Engine;
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
  req: Pick<RunRequest, "engine" | "inst" | "code" | "inputs">,
  paths: { contextFile: string; outDir: string; scratch: string; checkpoint: string },
): { read: string[]; write: string[]; net: string[]; env: string[] } {
  const { inst, engine } = req;
  const dir = engine.pipeline.spec.dir;
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

/** Starts one instance; the returned promise never rejects for step failures. */
export function startInstance(req: RunRequest): RunHandle {
  let cancelled = false;
  let cancelExec: (() => void) | undefined;
  const { engine, inst, key } = req;
  const store = engine.store;
  const logPath = store.logPath(req.profile, inst.id);
  const result = (async (): Promise<RunResult> => {
    const t0 = performance.now();
    const started = new Date();
    const attempt = await store.newAttemptDir(inst.id);
    const outDir = join(attempt, "out");
    const scratch = join(attempt, "scratch");
    const contextFile = join(attempt, "context.json");
    const checkpoint = store.checkpointDir(key);
    const fail = (error: string): RunResult => ({
      ok: false,
      cancelled,
      error,
      seconds: (performance.now() - t0) / 1000,
      logPath,
    });
    try {
      await Deno.mkdir(outDir);
      await Deno.mkdir(scratch);
      await Deno.mkdir(checkpoint, { recursive: true });
      const outputs: Record<string, string> = {};
      for (const o of inst.step.outputs) outputs[o.name] = join(outDir, o.file);
      const context: ContextFile = {
        protocol: 1,
        id: inst.id,
        step: inst.step.name,
        matrix: inst.matrix,
        params: inst.params,
        inputs: req.inputs.values,
        outputs,
        checkpoint_dir: checkpoint,
        scratch_dir: scratch,
        cores: req.cores,
        upstream: req.inputs.upstream ?? [],
      };
      await Deno.writeTextFile(contextFile, JSON.stringify(context, null, 2) + "\n");
      const grants = instanceGrants(req, { contextFile, outDir, scratch, checkpoint });
      const args = stepArgs({
        module: resolve(engine.pipeline.spec.dir, inst.step.module),
        contextFile,
        config: engine.code.config,
        grants,
      });
      if (cancelled) return fail("interrupted before it started");
      const handle = req.executor.start({
        id: inst.id,
        command: [Deno.execPath(), ...args],
        env: { NO_COLOR: "1" },
        cwd: engine.pipeline.spec.dir,
        logPath,
        resources: { ...inst.step.resources, cores: req.cores },
        onLine: (stream, line) => {
          if (stream === "stderr" && line.startsWith(PROGRESS_PREFIX)) {
            const m = /^\S+\s+(\S+)\s?(.*)$/.exec(line);
            const f = m ? Number(m[1]) : NaN;
            if (Number.isFinite(f)) req.onProgress?.(f, m![2] ?? "");
            return;
          }
          if (stream === "stdout") req.onLine?.(line);
        },
      });
      cancelExec = handle.cancel;
      if (cancelled) handle.cancel();
      const res = await handle.result;
      if (cancelled) return fail("interrupted");
      if (res.error) return fail(res.error);
      if (res.code !== 0) {
        return fail(res.signal ? `killed by ${res.signal}` : `exited with code ${res.code}`);
      }

      // Every declared output must exist, as the kind declared.
      const missing: string[] = [];
      for (const o of inst.step.outputs) {
        try {
          const st = await Deno.lstat(outputs[o.name]);
          if (o.kind === "dir" ? !st.isDirectory : !st.isFile) {
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
      if (missing.length) return fail(`exited 0 but declared output ${missing.join(", ")}`);

      // Inputs or code that changed while the step ran make the result unattributable.
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
        return fail(
          `inputs or code changed while the step ran (${
            changed.join(", ")
          }); the result is not recorded`,
        );
      }

      const stored: Record<string, OutputEntry> = {};
      for (const o of inst.step.outputs) {
        try {
          const d = o.kind === "dir"
            ? await store.putTree(outputs[o.name])
            : await store.putFile(outputs[o.name], { move: true });
          stored[o.name] = { hash: d.hash, size: d.size, kind: o.kind, file: o.file };
        } catch (e) {
          return fail(`output '${o.name}': ${(e as Error).message}`);
        }
      }
      const log = await store.putFile(logPath, { move: false }).catch(() => null);
      const ended = new Date();
      const record: RunRecord = {
        format: RECORD_FORMAT,
        key,
        step: inst.step.name,
        id: inst.id,
        matrix: inst.matrix,
        profile: req.profile,
        parts: req.parts,
        outputs: stored,
        started: started.toISOString(),
        ended: ended.toISOString(),
        seconds: (performance.now() - t0) / 1000,
        host: Deno.hostname(),
        deno: Deno.version.deno,
        executor: req.executor.name,
        cores: req.cores,
        log,
      };
      await store.writeRecord(record);
      await store.writeIndex({
        format: RECORD_FORMAT,
        id: inst.id,
        step: inst.step.name,
        profile: req.profile,
        key,
        parts: req.parts,
        time: ended.toISOString(),
      });
      await removeAll(checkpoint);
      return { ok: true, cancelled: false, record, seconds: record.seconds, logPath };
    } catch (e) {
      return fail(`engine error: ${(e as Error).stack ?? e}`);
    } finally {
      await removeAll(attempt).catch(() => {});
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
    const lines = (await Deno.readTextFile(path)).split("\n");
    if (lines.at(-1) === "") lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  }
}
