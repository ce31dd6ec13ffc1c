/**
 * The CLI's commands: each takes parsed options and returns an exit code.
 *
 * @module
 */

import { join } from "node:path";
import { relPosix } from "../../files/mod.ts";
import { intOption, type ParsedArgs } from "./cli_args.ts";
import { type DagFormat, instanceGraph, renderGraph, stepGraph } from "./dag_render.ts";
import { closest, forcedIds, parseMemory, selectInstances, UsageError } from "../spec/mod.ts";
import { Display, formatBytes } from "./display.ts";
import {
  build,
  computeStatus,
  liveSet,
  openProject,
  type Project,
  publishAll,
  readJobs,
  recoverJobs,
} from "../build/mod.ts";
import {
  acquireLock,
  collectGarbage,
  describeHolder,
  type HeldLock,
  StoreIoError,
  verifyPublished,
  verifyStore,
} from "../store/mod.ts";
import { chooseExecutor, createExecutor, defaultJobs } from "../exec/mod.ts";
import { estimateLines, explainLines, statusLines, statusSummary } from "./status_report.ts";
import { pullHook } from "./remote_command.ts";
import { checkRunName, recordRun } from "./run_history.ts";

/** Exit code after an interruption (SIGINT/SIGTERM). */
export const EXIT_INTERRUPTED = 130;

/** How commands talk to the outside world. */
export interface CommandEnv {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Set by commands that take the lock, so an emergency exit can release it. */
  lock?: HeldLock;
}

function fileOf(a: ParsedArgs): string {
  return (a.values.file as string | undefined) ?? "pipeline.yaml";
}

async function open(a: ParsedArgs): Promise<Project> {
  return await openProject(fileOf(a), a.values.store as string | undefined);
}

/**
 * The profile a command works on: `--profile` plus any `--set`/`--set-matrix`
 * overrides (an experiment profile; see docs/experiments.md).
 */
export function profileOf(engine: Project, a: ParsedArgs): string {
  return engine.experiment(
    a.values.profile as string | undefined,
    a.values.set as string[] | undefined,
    a.values["set-matrix"] as string[] | undefined,
  );
}

/** Takes the store lock for `command` (waiting unless --no-wait); the caller releases it. */
export async function lockStore(
  engine: Project,
  a: ParsedArgs,
  env: CommandEnv,
  command: string,
): Promise<HeldLock> {
  await engine.store.init();
  const lock = await acquireLock(engine.store.lockFile, {
    command,
    wait: !a.values["no-wait"],
    signal: env.signal,
    onWait: (h) => env.err(`waiting for the store lock held by ${describeHolder(h)}`),
    onStale: (h) => env.err(`note: took over a stale lock left by ${describeHolder(h)}`),
  });
  env.lock = lock;
  return lock;
}

/** `reproduce` */
export async function cmdReproduce(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length) throw new UsageError(`unexpected argument '${a.positionals[0]}'`);
  const engine = await open(a);
  const profile = profileOf(engine, a);
  const exp = engine.expansion(profile);
  const selected = selectInstances(exp, a.values.only as string[] | undefined);
  const forced = forcedIds(exp, a.values.force as string[] | undefined);
  const choice = chooseExecutor(a.values, engine.pipeline.spec.executor);
  const jobs = intOption(a.values.jobs, "jobs", defaultJobs(choice));
  let memoryMb: number | undefined;
  if (a.values.memory !== undefined) {
    if (choice.name !== "local") {
      throw new UsageError(
        "--memory is the local executor's budget (Slurm gives each job its own)",
      );
    }
    memoryMb = parseMemory(a.values.memory);
    if (memoryMb === undefined) {
      throw new UsageError(`--memory: bad size '${a.values.memory}' (write e.g. 16G or 512M)`);
    }
  }

  if (a.values["dry-run"]) {
    const statuses = await computeStatus(engine, profile, selected, forced);
    for (const l of statusLines(statuses, true)) env.out(l);
    const n = statuses.filter((s) => !s.upToDate).length;
    env.out(
      `dry run (profile ${profile}): ${n} would run, ${
        statuses.length - n
      } up to date; nothing was run`,
    );
    return 0;
  }

  const runName = a.values.name as string | undefined;
  await checkRunName(engine, runName);
  if (a.values.remote !== undefined && !a.values.pull) {
    throw new UsageError("--remote is for --pull (reproduce --pull --remote R)");
  }
  // The remote is checked before the lock: one that does not answer leaves the store untouched.
  const pull = a.values.pull ? await pullHook(engine, a, (m) => env.err(`note: ${m}`)) : undefined;
  const lock = await lockStore(engine, a, env, `reproduce --profile ${profile}`);
  const display = Display.forStdout();
  const started = new Date();
  try {
    const executor = createExecutor(choice, {
      storeRoot: engine.store.root,
      note: (m) => display.print(`note: ${m}`),
    });
    // Jobs a killed engine left: adopted when they still work for this run, else cancelled.
    const adopted = await recoverJobs(
      engine,
      executor,
      profile,
      selected,
      forced,
      (m) => display.print(`note: ${m}`),
    ).catch((e) => {
      executor.close?.();
      throw e;
    });
    // We hold the lock, so no other run owns anything in tmp/ but the adopted jobs (and
    // jobs of another executor, which this one cannot check).
    const inFlight = (await readJobs(engine.store)).filter((j) =>
      adopted.has(j.key) || j.executor !== executor.name
    );
    await engine.store.cleanTmp(new Set(inFlight.map((j) => j.attemptDir)));
    const summary = await build(engine, executor, display, {
      adopted,
      profile,
      instances: selected,
      forced,
      jobs,
      memoryMb,
      keepGoing: Boolean(a.values["keep-going"]),
      signal: env.signal,
      ...(pull ? { fetch: pull.fetch } : {}),
    }).finally(() => executor.close?.());
    let publishError: string | undefined;
    if (!summary.interrupted) {
      await publishAll(engine, profile, summary.records, display).catch((e) => {
        if (!(e instanceof StoreIoError)) throw e;
        publishError = e.message;
      });
    }
    display.close();
    if (publishError) {
      env.err(`error: ${publishError}; the results are in the store, nothing was half-published`);
    }
    if (pull) env.out(pull.summary());
    const run = await recordRun(engine, {
      name: runName,
      profile,
      started,
      summary,
      failed: summary.failed.length > 0 || publishError !== undefined,
    });
    const parts = [
      `ran ${summary.ran.length}`,
      `cached ${summary.cached.length}`,
      `failed ${summary.failed.length}`,
    ];
    if (summary.notRun.length) parts.push(`not run ${summary.notRun.length}`);
    env.out(
      `${summary.interrupted ? "interrupted: " : ""}${parts.join(", ")} (profile ${profile})`,
    );
    env.out(
      `run ${run.id}${run.name ? ` (${run.name})` : ""} recorded; see 'runs', 'metrics', 'trace'`,
    );
    if (summary.interrupted) return EXIT_INTERRUPTED;
    if (publishError) return 1;
    const open = engine.pipeline.spec.open;
    if (!summary.failed.length && open) {
      const path = join(engine.store.out, profile, open);
      if (await Deno.stat(path).then(() => true, () => false)) {
        env.out(`open: ${relPosix(Deno.cwd(), path)}`);
      }
    }
    return summary.failed.length ? 1 : 0;
  } finally {
    display.close();
    lock.release();
    await pull?.close();
  }
}

/** `status` */
export async function cmdStatus(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length) throw new UsageError(`unexpected argument '${a.positionals[0]}'`);
  const engine = await open(a);
  const profile = profileOf(engine, a);
  if (a.values.estimate) {
    const exp = engine.expansion(profile);
    for (const l of estimateLines(engine.pipeline.spec, exp.params, exp.instances)) env.out(l);
    return 0;
  }
  const statuses = await computeStatus(engine, profile, engine.expansion(profile).instances);
  for (const l of statusLines(statuses)) env.out(l);
  // Jobs submitted and not settled: running now (an engine follows them), or left by a
  // killed engine (the next reproduce adopts them).
  for (const j of await readJobs(engine.store)) {
    env.out(
      `${j.executor} job ${j.job}: ${j.id} (attempt ${j.attempt}, submitted ${j.submitted}); ` +
        `followed by the running reproduce, else adopted by the next one`,
    );
  }
  env.out(statusSummary(statuses, profile));
  return 0;
}

/** `explain <instance>` */
export async function cmdExplain(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length !== 1) {
    throw new UsageError("explain takes exactly one instance id (or step name)");
  }
  const engine = await open(a);
  const profile = profileOf(engine, a);
  const exp = engine.expansion(profile);
  const name = a.positionals[0];
  let inst = exp.byId.get(name);
  if (!inst) {
    const list = exp.byStep.get(name);
    if (list && list.length === 1) inst = list[0];
    else if (list) {
      throw new UsageError(
        `step '${name}' has ${list.length} instances; name one: ${
          list.map((i) => i.id).join(", ")
        }`,
      );
    } else {
      const c = closest(name, exp.byId.keys());
      throw new UsageError(
        `no instance '${name}' under profile '${profile}'` + (c ? ` (did you mean '${c}'?)` : ""),
      );
    }
  }
  // Status of the instance and its upstream closure (its key needs theirs).
  const chain = selectInstances(exp, [inst.id]);
  const statuses = await computeStatus(engine, profile, chain);
  const s = statuses.find((x) => x.inst.id === inst.id)!;
  for (const l of explainLines(engine, profile, s)) env.out(l);
  return 0;
}

/** `dag` */
export async function cmdDag(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length) throw new UsageError(`unexpected argument '${a.positionals[0]}'`);
  const format = (a.values.format as string | undefined) ?? "mermaid";
  if (format !== "mermaid" && format !== "dot") {
    throw new UsageError(`--format must be mermaid or dot, got '${format}'`);
  }
  const engine = await open(a);
  const profile = profileOf(engine, a);
  const g = a.values.instances
    ? instanceGraph(engine.expansion(profile))
    : stepGraph(engine.pipeline.order);
  env.out(renderGraph(g, format as DagFormat).trimEnd());
  return 0;
}

/** `verify` */
export async function cmdVerify(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length) throw new UsageError(`unexpected argument '${a.positionals[0]}'`);
  // `verify --archive <bundle>` is cmdVerifyArchive (archive_command.ts); cli.ts dispatches it.
  const engine = await open(a);
  const jobs = intOption(a.values.jobs, "jobs", navigator.hardwareConcurrency || 1);
  const lock = await lockStore(engine, a, env, "verify");
  try {
    const r = await verifyStore(engine.store, { jobs, signal: env.signal });
    const rel = (p: string) => relPosix(Deno.cwd(), p);
    for (const p of r.problems) {
      const users = p.users.length
        ? p.users.map((u) => `${u.id} (record ${u.key.slice(0, 12)})`).join(", ")
        : "no record";
      if (p.state === "corrupt") {
        env.out(`CORRUPT ${rel(p.path)}`);
        env.out(`  used by: ${users}`);
        env.out(
          `  moved to ${
            p.quarantined ? rel(p.quarantined) : "quarantine"
          }; records dropped (they rerun next time)`,
        );
      } else {
        env.out(`MISSING ${rel(p.path)}`);
        env.out(`  used by: ${users}; records dropped`);
      }
    }
    for (const t of r.trees) {
      env.out(`DAMAGED TREE ${rel(engine.store.treePath(t))} (removed; rebuilt on next use)`);
    }
    for (const g of r.garbage) {
      env.out(
        `GARBAGE ${rel(g.path)} is not a run record (moved to ${
          g.quarantined ? rel(g.quarantined) : "quarantine"
        })`,
      );
    }
    const published = await verifyPublished(engine.store);
    for (const p of published) {
      env.out(
        `PUBLISHED ${rel(p.path)} differs from its result (${
          p.restored ? "restored" : "its blob is gone too; the next reproduce republishes it"
        })`,
      );
    }
    const bad = r.problems.length + r.trees.length + r.garbage.length + published.length;
    env.out(
      `verified ${r.blobs} blob(s), ${formatBytes(r.bytes)}: ${
        bad === 0 ? "all good" : `${bad} problem(s)`
      }`,
    );
    return bad ? 1 : 0;
  } finally {
    lock.release();
  }
}

/** `gc` */
export async function cmdGc(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length) throw new UsageError(`unexpected argument '${a.positionals[0]}'`);
  const engine = await open(a);
  const dryRun = Boolean(a.values["dry-run"]);
  const lock = dryRun ? null : await lockStore(engine, a, env, "gc");
  try {
    if (!(await engine.store.exists())) {
      env.out("the store is empty; nothing to collect");
      return 0;
    }
    const r = await collectGarbage(engine.store, await liveSet(engine), {
      dryRun,
      ignoreRuns: Boolean(a.values["no-runs"]),
    });
    const verb = dryRun ? "would free" : "freed";
    const line = (what: string, f: { count: number; bytes: number }) =>
      env.out(`  ${what.padEnd(12)} ${String(f.count).padStart(6)}  ${formatBytes(f.bytes)}`);
    env.out(`${verb}:`);
    line("blobs", r.blobs);
    line("records", r.records);
    line("trees", r.trees);
    line("checkpoints", r.checkpoints);
    line("tmp", r.tmp);
    const total = r.blobs.bytes + r.records.bytes + r.trees.bytes + r.checkpoints.bytes +
      r.tmp.bytes;
    env.out(
      `${verb} ${formatBytes(total)}; kept ${r.kept.blobs} blob(s), ${r.kept.records} record(s), ` +
        `${r.kept.trees} tree(s), ${r.kept.checkpoints} checkpoint(s)`,
    );
    return 0;
  } finally {
    lock?.release();
  }
}
