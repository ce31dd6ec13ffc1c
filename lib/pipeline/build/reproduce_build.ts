/**
 * `reproduce`'s build: the scheduler over one profile's instances, with the
 * rebuilder deciding what is up to date, the instance runner running the
 * rest through an executor, and the publishing steps' outputs published when
 * all their instances resolved.
 *
 * @module
 */

import { relPosix } from "../../files/mod.ts";
import type { Executor } from "../exec/mod.ts";
import type { KeyParts } from "../keys/mod.ts";
import type { Instance } from "../spec/mod.ts";
import { publishStep, type RunRecord } from "../store/mod.ts";
import { logTail, type RunResult, startInstance } from "./instance_runner.ts";
import type { Project } from "./project.ts";
import { Rebuilder, upstreamOf } from "./rebuilder.ts";
import { runScheduler } from "./scheduler.ts";
import type { JobFile } from "./jobs.ts";

/** Where a build reports what it does (the CLI's live display implements it). */
export interface BuildObserver {
  print(text: string): void;
  started(id: string): void;
  progress(id: string, fraction: number, message: string): void;
  stepLine(id: string, line: string): void;
  finished(id: string, ok: boolean, seconds: number, detail?: string[]): void;
}

/** Options of one build. */
export interface BuildOptions {
  profile: string;
  /** Instances to resolve, in topological order (upstream closure already included). */
  instances: Instance[];
  forced: Set<string>;
  jobs: number;
  /** Local runs: megabytes the running instances may declare together (`--memory`). */
  memoryMb?: number;
  keepGoing: boolean;
  signal: AbortSignal;
  /** Looks a missing key up elsewhere (a remote cache) before running it; see `RebuilderOptions`. */
  fetch?: (key: string, inst: Instance) => Promise<boolean>;
  /** Jobs an earlier engine left, by key, to follow instead of submitting (see `recoverJobs`). */
  adopted?: Map<string, JobFile>;
}

/** What happened. */
export interface BuildSummary {
  ran: string[];
  cached: string[];
  failed: string[];
  /** Not run because an upstream instance failed (or the run stopped early). */
  notRun: string[];
  interrupted: boolean;
  records: Map<string, RunRecord>;
}

/**
 * Brings `opts.instances` up to date, running what is not cached.
 *
 * @example
 * ```ts
 * const summary = await build(project, new LocalExecutor(), display, {
 *   profile: "smoke",
 *   instances: project.expansion("smoke").instances,
 *   forced: new Set(),
 *   jobs: 2,
 *   keepGoing: false,
 *   signal: new AbortController().signal,
 * });
 * ```
 */
export async function build(
  project: Project,
  executor: Executor,
  observer: BuildObserver,
  opts: BuildOptions,
): Promise<BuildSummary> {
  // A missing source is a usage problem: report it before anything runs.
  await project.checkSources(opts.instances);
  const rebuilder = new Rebuilder(project, opts.profile, {
    mode: "use",
    forced: opts.forced,
    note: (m) => observer.print(`note: ${m}`),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const byId = new Map(opts.instances.map((i) => [i.id, i]));
  // A cluster queue counts jobs, each granted all its cores; locally slots are cores.
  const perJob = executor.jobsCount === "jobs";

  const s = await runScheduler<RunResult>({
    tasks: opts.instances.map((i) => ({ id: i.id, deps: upstreamOf(i).map((u) => u.id) })),
    slots: opts.jobs,
    memory: opts.memoryMb,
    keepGoing: opts.keepGoing,
    signal: opts.signal,
  }, {
    async resolve(id) {
      const inst = byId.get(id)!;
      const decision = await rebuilder.decide(inst);
      if (decision.upToDate) return { kind: "done" };
      // `use` mode always knows the full key of an instance whose upstream is resolved.
      const key = decision.key!;
      const parts = decision.parts as KeyParts;
      const slots = perJob ? 1 : Math.min(inst.step.resources.cores, opts.jobs);
      const cores = perJob ? inst.step.resources.cores : slots;
      return {
        kind: "run",
        slots,
        memory: inst.step.resources.memoryMb,
        // Two instances with the same key would share a checkpoint: run one, reuse its record.
        share: key,
        async prepare() {
          const inputs = await project.inputValues(inst, rebuilder.records);
          const code = await project.codeOf(inst);
          return () => {
            observer.started(id);
            const adopt = opts.adopted?.get(key);
            opts.adopted?.delete(key);
            return startInstance({
              project,
              executor,
              profile: opts.profile,
              inst,
              key,
              parts,
              code,
              inputs,
              cores,
              adopt,
              onLine: (line) => observer.stepLine(id, line),
              onProgress: (f, m) => observer.progress(id, f, m),
            });
          };
        },
      };
    },
    async finished(id, res) {
      const inst = byId.get(id)!;
      if (res.ok && res.record) {
        rebuilder.built(inst, res.record);
        observer.finished(id, true, res.seconds);
        return;
      }
      const tail = res.cancelled ? [] : await logTail(res.logPath, 20);
      const detail = res.cancelled ? ["  interrupted"] : [
        `  ${res.error}`,
        ...(tail.length
          ? [`  --- last ${tail.length} log lines ---`, ...tail.map((l) => `  ${l}`)]
          : []),
        `  log: ${relPosix(Deno.cwd(), res.logPath)}`,
      ];
      observer.finished(id, false, res.seconds, detail);
    },
    errored(id, error) {
      observer.finished(id, false, 0, [`  ${error.message}`]);
    },
  });
  return {
    ran: s.ran,
    cached: s.done,
    failed: s.failed,
    notRun: s.notRun,
    interrupted: s.interrupted,
    records: rebuilder.records,
  };
}

/** Publishes every publishing step whose instances (under the profile) all resolved in this run. */
export async function publishAll(
  project: Project,
  profile: string,
  records: Map<string, RunRecord>,
  observer: Pick<BuildObserver, "print">,
): Promise<void> {
  const exp = project.expansion(profile);
  for (const step of project.pipeline.order) {
    if (!step.publish) continue;
    const insts = exp.byStep.get(step.name) ?? [];
    if (!insts.some((i) => records.has(i.id))) continue;
    const missing = insts.filter((i) => !records.has(i.id));
    if (missing.length) {
      observer.print(
        `note: not publishing '${step.publish}': ${missing.length} instance(s) of '${step.name}' are not up to date`,
      );
      continue;
    }
    const r = await publishStep(project.store, profile, step.publish, insts, records);
    const where = relPosix(Deno.cwd(), r.path);
    if (r.repaired.length) {
      observer.print(
        `repaired ${r.repaired.length} published file(s) that no longer matched their results: ${
          r.repaired.map((f) => `${where}/${f}`).join(", ")
        }`,
      );
    } else if (r.changed) observer.print(`published ${step.name} -> ${where}/`);
  }
}
