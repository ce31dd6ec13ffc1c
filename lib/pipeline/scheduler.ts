/**
 * The local scheduler of `reproduce`: resolves instances in dependency order
 * (a cached record whose blobs check out is used, anything else runs), runs
 * ready instances in parallel within `--jobs` slots, stops launching after a
 * failure unless `--keep-going`, and cancels everything on interruption.
 *
 * @module
 */

import type { Display } from "./display.ts";
import type { Engine } from "./engine.ts";
import type { Instance } from "./expand.ts";
import type { Executor } from "./executor.ts";
import { checkRecord } from "./integrity.ts";
import { publishStep } from "./publish.ts";
import { RECORD_FORMAT, type RunRecord } from "./record.ts";
import { logTail, type RunHandle, type RunResult, startInstance } from "./run_instance.ts";
import { relPosix } from "./paths.ts";

/** Options of one scheduling pass. */
export interface ScheduleOptions {
  profile: string;
  /** Instances to resolve, in topological order (upstream closure already included). */
  instances: Instance[];
  forced: Set<string>;
  jobs: number;
  keepGoing: boolean;
  signal: AbortSignal;
}

/** What happened. */
export interface ScheduleSummary {
  ran: string[];
  cached: string[];
  failed: string[];
  /** Not run because an upstream instance failed (or the run stopped early). */
  notRun: string[];
  interrupted: boolean;
  records: Map<string, RunRecord>;
}

type State = "pending" | "running" | "done" | "failed" | "blocked";

/** Resolves `instances`, running what is not cached. */
export async function schedule(
  engine: Engine,
  executor: Executor,
  display: Display,
  opts: ScheduleOptions,
): Promise<ScheduleSummary> {
  const state = new Map<string, State>(opts.instances.map((i) => [i.id, "pending"]));
  const records = new Map<string, RunRecord>();
  const running = new Map<
    string,
    { handle: RunHandle; key: string; slots: number; done: Promise<void> }
  >();
  const summary: ScheduleSummary = {
    ran: [],
    cached: [],
    failed: [],
    notRun: [],
    interrupted: false,
    records,
  };
  let free = opts.jobs;
  let stop = false;
  // Set whenever something may have become ready (a finish, a cache hit).
  let wake = true;
  const note = (m: string) => display.print(`note: ${m}`);

  const onAbort = () => {
    stop = true;
    summary.interrupted = true;
    for (const r of running.values()) r.handle.cancel();
  };
  opts.signal.addEventListener("abort", onAbort);
  if (opts.signal.aborted) onAbort();

  const finish = (inst: Instance, slots: number, res: RunResult, tail: string[]) => {
    free += slots;
    wake = true;
    running.delete(inst.id);
    if (res.ok && res.record) {
      state.set(inst.id, "done");
      records.set(inst.id, res.record);
      summary.ran.push(inst.id);
      display.finished(inst.id, true, res.seconds);
      return;
    }
    state.set(inst.id, "failed");
    summary.failed.push(inst.id);
    const detail = res.cancelled ? ["  interrupted"] : [
      `  ${res.error}`,
      ...(tail.length
        ? [`  --- last ${tail.length} log lines ---`, ...tail.map((l) => `  ${l}`)]
        : []),
      `  log: ${relPosix(Deno.cwd(), res.logPath)}`,
    ];
    display.finished(inst.id, false, res.seconds, detail);
    if (!opts.keepGoing) stop = true;
  };

  /** Resolves one pending instance from the cache, or launches it when it is ready and fits. */
  const resolveOrLaunch = async (inst: Instance): Promise<void> => {
    const ups = inst.inputs.flatMap((i) => i.upstream);
    if (ups.some((u) => ["failed", "blocked"].includes(state.get(u.id)!))) {
      state.set(inst.id, "blocked");
      wake = true;
      return;
    }
    if (!ups.every((u) => state.get(u.id) === "done")) return;
    const { key, parts } = await engine.keyFor(inst, records);
    if (!opts.forced.has(inst.id)) {
      const rec = await engine.store.readRecord(key);
      if (rec && (await checkRecord(engine.store, rec, note)).length === 0) {
        state.set(inst.id, "done");
        records.set(inst.id, rec);
        summary.cached.push(inst.id);
        await engine.store.writeIndex({
          format: RECORD_FORMAT,
          id: inst.id,
          step: inst.step.name,
          profile: opts.profile,
          key,
          parts,
          time: new Date().toISOString(),
        });
        wake = true;
        return;
      }
    }
    // Two instances with the same key would share a checkpoint: run one, reuse its record.
    if ([...running.values()].some((r) => r.key === key)) return;
    // A cluster queue counts jobs, each granted all its cores; locally slots are cores.
    const perJob = executor.jobsCount === "jobs";
    const slots = perJob ? 1 : Math.min(inst.step.resources.cores, opts.jobs);
    const cores = perJob ? inst.step.resources.cores : slots;
    if (slots > free) return;
    const inputs = await engine.inputValues(inst, records);
    const code = await engine.codeOf(inst);
    if (stop) return;
    free -= slots;
    state.set(inst.id, "running");
    display.started(inst.id);
    const handle = startInstance({
      engine,
      executor,
      profile: opts.profile,
      inst,
      key,
      parts,
      code,
      inputs,
      cores,
      onLine: (line) => display.stepLine(inst.id, line),
      onProgress: (f, m) => display.progress(inst.id, f, m),
    });
    const done = handle.result.then(async (res) => {
      finish(inst, slots, res, res.ok || res.cancelled ? [] : await logTail(res.logPath, 20));
    });
    running.set(inst.id, { handle, key, slots, done });
  };

  try {
    while (true) {
      // Launch (or resolve from the cache) everything ready, until nothing changes.
      while (wake && !stop) {
        wake = false;
        for (const inst of opts.instances) {
          if (stop) break;
          if (state.get(inst.id) !== "pending") continue;
          try {
            await resolveOrLaunch(inst);
          } catch (e) {
            state.set(inst.id, "failed");
            summary.failed.push(inst.id);
            display.finished(inst.id, false, 0, [`  ${(e as Error).message}`]);
            if (!opts.keepGoing) stop = true;
            wake = true;
          }
        }
      }
      if (running.size === 0) break;
      await Promise.race([...running.values()].map((r) => r.done));
    }
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
  }
  for (const inst of opts.instances) {
    const s = state.get(inst.id);
    if (s === "pending" || s === "blocked") summary.notRun.push(inst.id);
  }
  return summary;
}

/** Publishes every publishing step whose instances (under the profile) all resolved in this run. */
export async function publishAll(
  engine: Engine,
  profile: string,
  records: Map<string, RunRecord>,
  display: Display,
): Promise<void> {
  const exp = engine.expansion(profile);
  for (const step of engine.pipeline.order) {
    if (!step.publish) continue;
    const insts = exp.byStep.get(step.name) ?? [];
    if (!insts.some((i) => records.has(i.id))) continue;
    const missing = insts.filter((i) => !records.has(i.id));
    if (missing.length) {
      display.print(
        `note: not publishing '${step.publish}': ${missing.length} instance(s) of '${step.name}' are not up to date`,
      );
      continue;
    }
    const r = await publishStep(engine.store, profile, step.publish, insts, records);
    if (r.changed) display.print(`published ${step.name} -> ${relPosix(Deno.cwd(), r.path)}/`);
  }
}
