/**
 * The run history on the command line: the entry `reproduce` writes, and
 * `runs` (list newest first, `--json`, `--drop NAME`).
 *
 * @module
 */

import type { ParsedArgs } from "./cli_args.ts";
import type { CommandEnv } from "./commands.ts";
import { type BuildSummary, openProject, type Project } from "../build/mod.ts";
import {
  dropRun,
  findRun,
  type InstanceOutcome,
  listRuns,
  newRunId,
  type RunEntry,
  writeRun,
} from "../store/mod.ts";
import { UsageError } from "../spec/mod.ts";
import { table } from "./table.ts";

/** The git commit of the directory's work tree and whether it has changes; null outside git. */
export async function gitState(dir: string): Promise<RunEntry["git"]> {
  const git = async (...args: string[]) => {
    try {
      const r = await new Deno.Command("git", { args, cwd: dir, stdout: "piped", stderr: "null" })
        .output();
      return r.code === 0 ? new TextDecoder().decode(r.stdout) : null;
    } catch {
      return null; // no git installed
    }
  };
  const commit = (await git("rev-parse", "HEAD"))?.trim();
  if (!commit) return null;
  // Only tracked and untracked-not-ignored files count: the store is ignored.
  const status = await git("status", "--porcelain", "--untracked-files=normal", ".");
  return { commit, dirty: (status ?? "").trim() !== "" };
}

/** Checks a `--name` before anything runs: a plain word, not taken by a listed run. */
export async function checkRunName(project: Project, name: string | undefined): Promise<void> {
  if (name === undefined) return;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new UsageError(`--name '${name}' must be letters, digits and ._- (starting with one)`);
  }
  const taken = (await listRuns(project.store)).find((r) => r.name === name || r.id === name);
  if (taken) {
    throw new UsageError(
      `a run named '${name}' is listed (${taken.id}); drop it first with 'runs --drop ${name}'`,
    );
  }
}

/** Writes the history entry of one `reproduce`. */
export async function recordRun(
  project: Project,
  opts: {
    name: string | undefined;
    profile: string;
    started: Date;
    summary: BuildSummary;
    failed: boolean;
  },
): Promise<RunEntry> {
  const ended = new Date();
  const s = opts.summary;
  const outcome = new Map<string, InstanceOutcome>();
  for (const id of s.ran) outcome.set(id, "ran");
  for (const id of s.cached) outcome.set(id, "cached");
  for (const id of s.failed) outcome.set(id, "failed");
  const exp = project.experiments.get(opts.profile);
  const run: RunEntry = {
    format: 1,
    id: newRunId(opts.started),
    name: opts.name ?? null,
    started: opts.started.toISOString(),
    ended: ended.toISOString(),
    seconds: Math.round((ended.getTime() - opts.started.getTime()) / 10) / 100,
    profile: opts.profile,
    base: exp?.base ?? opts.profile,
    overrides: exp?.overrides ?? { params: {}, matrix: {} },
    git: await gitState(project.pipeline.spec.dir),
    counts: {
      ran: s.ran.length,
      cached: s.cached.length,
      failed: s.failed.length,
      not_run: s.notRun.length,
    },
    outcome: s.interrupted ? "interrupted" : opts.failed ? "failed" : "ok",
    instances: project.expansion(opts.profile).instances
      .filter((i) => outcome.has(i.id) || s.notRun.includes(i.id))
      .map((i) => ({
        id: i.id,
        step: i.step.name,
        key: s.records.get(i.id)?.key ?? null,
        outcome: outcome.get(i.id) ?? "not-run",
      })),
  };
  await writeRun(project.store, run);
  return run;
}

/** `--set`-style words of a run's overrides. */
export function runOverrides(r: RunEntry): string {
  const words = [
    ...Object.entries(r.overrides.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`),
    ...Object.entries(r.overrides.matrix).map(([k, v]) => `${k}=${v.join(",")}`),
  ];
  return words.join(" ");
}

/** A run by name or id, or a usage error listing what there is. */
export function runByRef(runs: RunEntry[], ref: string): RunEntry {
  const r = findRun(runs, ref);
  if (!r) {
    throw new UsageError(
      `no run '${ref}'` +
        (runs.length ? ` (runs: ${runs.slice(0, 8).map((x) => x.name ?? x.id).join(", ")})` : ""),
    );
  }
  return r;
}

/** `runs [--json] [--drop NAME]` */
export async function cmdRuns(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length) throw new UsageError(`unexpected argument '${a.positionals[0]}'`);
  const project = await openProject(
    (a.values.file as string | undefined) ?? "pipeline.yaml",
    a.values.store as string | undefined,
  );
  const runs = await listRuns(project.store);
  const drop = a.values.drop as string[] | undefined;
  if (drop?.length) {
    for (const ref of drop) {
      const r = runByRef(runs, ref);
      await dropRun(project.store, r);
      env.out(`dropped run ${r.name ?? r.id}; 'gc' may now free what only it kept`);
    }
    return 0;
  }
  if (a.values.json) {
    env.out(JSON.stringify(runs, null, 2));
    return 0;
  }
  if (!runs.length) {
    env.out("no runs yet (every 'reproduce' adds one)");
    return 0;
  }
  const rows = runs.map((r) => [
    r.id,
    r.name ?? "",
    r.started.replace("T", " ").replace(/\.\d+Z$/, "Z"),
    r.base,
    runOverrides(r),
    r.git ? r.git.commit.slice(0, 10) + (r.git.dirty ? "+" : "") : "",
    String(r.counts.ran),
    String(r.counts.cached),
    String(r.counts.failed),
    `${r.seconds.toFixed(1)} s`,
    r.outcome,
  ]);
  const head = [
    "id",
    "name",
    "started",
    "profile",
    "overrides",
    "commit",
    "ran",
    "cached",
    "failed",
    "wall",
    "outcome",
  ];
  for (const l of table(head, rows, [6, 7, 8, 9])) env.out(l);
  env.out("(commit+ : the work tree had uncommitted changes)");
  return 0;
}
