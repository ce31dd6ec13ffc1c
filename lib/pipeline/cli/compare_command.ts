/**
 * `metrics [RUN]` and `compare [A] [B] [--rev REV]`: the declared metrics of
 * a run per instance, and two experiments side by side (the parameters that
 * differ, the metrics with absolute and relative change, optional figures).
 *
 * @module
 */

import { join, relative, resolve } from "node:path";
import { relPosix } from "../../files/mod.ts";
import type { ParsedArgs } from "./cli_args.ts";
import { type CommandEnv, profileOf } from "./commands.ts";
import { openProject, type Project } from "../build/mod.ts";
import { listRuns } from "../store/mod.ts";
import { UsageError } from "../spec/mod.ts";
import {
  profileSide,
  readMetrics,
  requireRecords,
  runSide,
  type Side,
  type SideInstance,
  stepOf,
} from "./experiment_data.ts";
import { runByRef } from "./run_history.ts";
import { markdownTable, table } from "./table.ts";
import { axisFigure, type Figure, seriesFigure, type SeriesRow, writeFigures } from "./plots.ts";

function fileOf(a: ParsedArgs): string {
  return (a.values.file as string | undefined) ?? "pipeline.yaml";
}

function fmt(x: unknown): string {
  if (x === null || x === undefined) return "-";
  if (typeof x === "number") {
    return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
  }
  return typeof x === "string" ? x : JSON.stringify(x);
}

/** `metrics [RUN] [--json]`: the declared metrics of a run's instances (default: the newest run). */
export async function cmdMetrics(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length > 1) throw new UsageError("metrics takes at most one run");
  const project = await openProject(fileOf(a), a.values.store as string | undefined);
  const runs = await listRuns(project.store);
  if (!runs.length) throw new UsageError("no runs yet (run 'reproduce' first)");
  const run = a.positionals.length ? runByRef(runs, a.positionals[0]) : runs[0];
  const side = await runSide(project, run);
  const rows: { instance: string; metric: string; value: number | null }[] = [];
  for (const i of side.instances) {
    const step = stepOf(project, i.step);
    if (!i.record || !step?.metrics) continue;
    for (const v of (await readMetrics(project.store, step, i.record)).values) {
      rows.push({ instance: i.id, metric: v.metric, value: v.value });
    }
  }
  if (a.values.json) {
    env.out(JSON.stringify({ run: run.id, name: run.name, metrics: rows }, null, 2));
    return 0;
  }
  env.out(side.describe);
  if (!rows.length) {
    env.out("no metrics (declare them with 'metrics:' on a step in pipeline.yaml)");
    return 0;
  }
  for (
    const l of table(
      ["instance", "metric", "value"],
      rows.map((r) => [r.instance, r.metric, fmt(r.value)]),
      [2],
    )
  ) {
    env.out(l);
  }
  return 0;
}

/** A parameter that differs between the sides for one instance. */
export interface ParamDiff {
  instance: string;
  param: string;
  a: unknown;
  b: unknown;
}

/** One metric of one instance on both sides. */
export interface MetricDiff {
  instance: string;
  metric: string;
  a: number | null;
  b: number | null;
  change: number | null;
  relative: number | null;
}

/** The comparison of two sides. */
export interface Comparison {
  a: { label: string; describe: string };
  b: { label: string; describe: string };
  params: ParamDiff[];
  metrics: MetricDiff[];
  onlyA: string[];
  onlyB: string[];
}

const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);

/** Compares two sides: differing parameters per instance, and every metric side by side. */
export async function compareSides(
  projA: Project,
  a: Side,
  projB: Project,
  b: Side,
): Promise<Comparison> {
  const pairs = pairInstances(a.instances, b.instances);
  const params: ParamDiff[] = [];
  const metrics: MetricDiff[] = [];
  for (const ia of a.instances) {
    const ib = pairs.get(ia);
    if (!ib) continue;
    const names = [...new Set([...Object.keys(ia.params), ...Object.keys(ib.params)])].sort();
    for (const p of names) {
      if (!same(ia.params[p], ib.params[p])) {
        params.push({ instance: ia.id, param: p, a: ia.params[p], b: ib.params[p] });
      }
    }
    const ma = await metricsOf(projA, ia);
    const mb = await metricsOf(projB, ib);
    for (const metric of [...new Set([...ma.keys(), ...mb.keys()])]) {
      const va = ma.get(metric) ?? null;
      const vb = mb.get(metric) ?? null;
      const change = va !== null && vb !== null ? vb - va : null;
      const rel = change !== null && va !== 0 ? change / Math.abs(va!) : null;
      metrics.push({ instance: ia.id, metric, a: va, b: vb, change, relative: rel });
    }
  }
  return {
    a: { label: a.label, describe: a.describe },
    b: { label: b.label, describe: b.describe },
    params,
    metrics,
    onlyA: a.instances.filter((i) => !pairs.has(i)).map((i) => i.id),
    onlyB: b.instances.filter((i) => ![...pairs.values()].includes(i)).map((i) => i.id),
  };
}

/**
 * The instance of B each instance of A compares with: the same step and matrix values (an axis
 * declared `in_id: when_varied` is in the matrix, not always in the id: `train[P=4]` of one run is
 * `train[P=4,aggregate=mean]` of a run that swept it), else the same id (records made before an
 * axis was added).
 */
export function pairInstances(
  a: SideInstance[],
  b: SideInstance[],
): Map<SideInstance, SideInstance> {
  const identity = (i: SideInstance) =>
    JSON.stringify([i.step, Object.entries(i.matrix).sort(([x], [y]) => x < y ? -1 : 1)]);
  const byIdentity = new Map(b.map((i) => [identity(i), i]));
  const byId = new Map(b.map((i) => [i.id, i]));
  const out = new Map<SideInstance, SideInstance>();
  const taken = new Set<SideInstance>();
  for (
    const pass of [
      (i: SideInstance) => byIdentity.get(identity(i)),
      (i: SideInstance) => byId.get(i.id),
    ]
  ) {
    for (const ia of a) {
      if (out.has(ia)) continue;
      const ib = pass(ia);
      if (ib && !taken.has(ib)) {
        out.set(ia, ib);
        taken.add(ib);
      }
    }
  }
  return out;
}

async function metricsOf(project: Project, i: SideInstance): Promise<Map<string, number | null>> {
  const step = stepOf(project, i.step);
  const out = new Map<string, number | null>();
  if (!i.record || !step?.metrics) return out;
  for (const v of (await readMetrics(project.store, step, i.record)).values) {
    out.set(v.metric, v.value);
  }
  return out;
}

function pct(x: number | null): string {
  return x === null ? "-" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}%`;
}

function signed(x: number | null): string {
  return x === null ? "-" : `${x >= 0 ? "+" : ""}${fmt(x)}`;
}

/** The comparison as terminal lines, or Markdown. */
export function comparisonLines(c: Comparison, markdown: boolean): string[] {
  const out: string[] = [];
  const t = markdown ? markdownTable : (h: string[], r: string[][]) => table(h, r);
  out.push(
    markdown ? `**A** (${c.a.label}): ${c.a.describe}` : `A (${c.a.label}): ${c.a.describe}`,
  );
  out.push(
    markdown ? `\n**B** (${c.b.label}): ${c.b.describe}` : `B (${c.b.label}): ${c.b.describe}`,
  );
  out.push("", markdown ? "### Parameters that differ" : "parameters that differ:");
  if (c.params.length) {
    out.push(
      ...t(
        ["instance", "parameter", "A", "B"],
        c.params.map((p) => [p.instance, p.param, fmt(p.a), fmt(p.b)]),
      ),
    );
  } else out.push("  (none)");
  out.push("", markdown ? "### Metrics" : "metrics:");
  if (c.metrics.length) {
    out.push(
      ...t(
        ["instance", "metric", "A", "B", "change", "change %"],
        c.metrics.map((
          m,
        ) => [m.instance, m.metric, fmt(m.a), fmt(m.b), signed(m.change), pct(m.relative)]),
      ),
    );
  } else out.push("  (no metrics declared, or no results on either side)");
  if (c.onlyA.length) out.push("", `only in A: ${c.onlyA.join(", ")}`);
  if (c.onlyB.length) out.push("", `only in B: ${c.onlyB.join(", ")}`);
  return out;
}

/**
 * A side named on the command line: a listed run (name or id), else a
 * profile (with this command's --set/--set-matrix when `withOverrides`).
 */
async function namedSide(project: Project, ref: string): Promise<Side> {
  const runs = await listRuns(project.store);
  const run = runs.find((r) => r.name === ref || r.id === ref) ??
    (runs.filter((r) => r.id.startsWith(ref)).length === 1
      ? runs.find((r) => r.id.startsWith(ref))
      : undefined);
  if (run) return await runSide(project, run);
  if (project.pipeline.spec.profiles.has(ref)) {
    return await profileSide(project, ref, ref, `profile ${ref}`);
  }
  throw new UsageError(
    `'${ref}' is neither a listed run nor a profile (runs: ${
      runs.slice(0, 6).map((r) => r.name ?? r.id).join(", ") || "none"
    }; profiles: ${project.profiles.join(", ")})`,
  );
}

/** The current work tree's profile with this command's overrides, as a side. */
async function currentSide(project: Project, a: ParsedArgs, label = "current"): Promise<Side> {
  const profile = profileOf(project, a);
  const exp = project.experiments.get(profile);
  const words = exp
    ? ` with ${
      [
        ...Object.entries(exp.overrides.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`),
        ...Object.entries(exp.overrides.matrix).map(([k, v]) => `${k}=${v.join(",")}`),
      ].join(" ")
    }`
    : "";
  return await profileSide(
    project,
    profile,
    label,
    `work tree, profile ${exp?.base ?? profile}${words}`,
  );
}

async function git(
  dir: string,
  args: string[],
  stdout: "piped" | "null" = "piped",
): Promise<string> {
  const r = await new Deno.Command("git", { args, cwd: dir, stdout, stderr: "piped" }).output();
  if (r.code !== 0) {
    throw new UsageError(`git ${args.join(" ")}: ${new TextDecoder().decode(r.stderr).trim()}`);
  }
  return new TextDecoder().decode(r.stdout);
}

/**
 * The project as it was at git revision `rev`: its files exported with
 * `git archive` into a temporary directory, opened against the same store,
 * so its keys (and results) are those that revision's code and parameters
 * give. Files git does not track (built kernels) are not there.
 */
async function revisionProject(
  project: Project,
  rev: string,
): Promise<{ project: Project; commit: string; cleanup: () => Promise<void> }> {
  const dir = project.pipeline.spec.dir;
  const top = (await git(dir, ["rev-parse", "--show-toplevel"])).trim();
  const commit = (await git(dir, ["rev-parse", "--verify", `${rev}^{commit}`])).trim();
  const tmp = await Deno.makeTempDir({ prefix: "pipeline-rev-" });
  const cleanup = () => Deno.remove(tmp, { recursive: true }).catch(() => {});
  try {
    const tar = join(tmp, ".export.tar");
    await git(top, ["archive", "--format=tar", "-o", tar, commit]);
    const x = await new Deno.Command("tar", { args: ["-xf", tar, "-C", tmp], stderr: "piped" })
      .output();
    if (x.code !== 0) throw new Error(`tar: ${new TextDecoder().decode(x.stderr)}`);
    await Deno.remove(tar);
    const file = join(tmp, relative(resolve(top), project.pipeline.spec.file));
    const p = await openProject(file, project.store.root);
    return { project: p, commit, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** `compare [A] [B] [--rev REV] [--profile P] [--set ...] [--json|--md] [--plots DIR]` */
export async function cmdCompare(a: ParsedArgs, env: CommandEnv): Promise<number> {
  const project = await openProject(fileOf(a), a.values.store as string | undefined);
  const rev = a.values.rev as string | undefined;
  const pos = a.positionals;
  if (pos.length > (rev ? 1 : 2)) {
    throw new UsageError("compare takes at most two sides (one with --rev)");
  }
  let projA = project;
  let sideA: Side;
  let sideB: Side;
  let cleanup: (() => Promise<void>) | undefined;
  try {
    if (rev) {
      const r = await revisionProject(project, rev);
      cleanup = r.cleanup;
      projA = r.project;
      const profile = profileOf(projA, a);
      sideA = await profileSide(
        projA,
        profile,
        rev,
        `revision ${rev} (${r.commit.slice(0, 10)}), profile ${profile}`,
      );
      sideB = pos.length ? await namedSide(project, pos[0]) : await currentSide(project, a);
    } else if (pos.length === 2) {
      sideA = await namedSide(project, pos[0]);
      sideB = await namedSide(project, pos[1]);
    } else if (pos.length === 1) {
      sideA = await namedSide(project, pos[0]);
      sideB = await currentSide(project, a);
    } else if (a.values.set || a.values["set-matrix"]) {
      const base = project.profile(a.values.profile as string | undefined);
      sideA = await profileSide(project, base, base, `profile ${base}`);
      sideB = await currentSide(project, a, "overrides");
    } else {
      const runs = await listRuns(project.store);
      if (runs.length < 2) throw new UsageError("compare needs two sides (or two listed runs)");
      sideA = await runSide(project, runs[1]);
      sideB = await runSide(project, runs[0]);
    }
    if (sideA.label === sideB.label) {
      sideA.label = `A:${sideA.label}`;
      sideB.label = `B:${sideB.label}`;
    }
    requireRecords(sideA);
    requireRecords(sideB);
    const c = await compareSides(projA, sideA, project, sideB);
    if (a.values.json) env.out(JSON.stringify(c, null, 2));
    else for (const l of comparisonLines(c, Boolean(a.values.md))) env.out(l);
    const plots = a.values.plots as string | undefined;
    if (plots !== undefined) {
      const figures = await comparisonFigures([[projA, sideA], [project, sideB]]);
      const dir = resolve(plots);
      await writeFigures(dir, `${sideA.label} vs ${sideB.label}`, figures);
      (a.values.json ? env.err : env.out)(
        `wrote ${figures.length} figure(s) (SVG, PNG, Vega-Lite) and index.html to ${
          relPosix(Deno.cwd(), dir)
        }/`,
      );
    }
    return 0;
  } finally {
    await cleanup?.();
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/**
 * The comparison's figures: every CSV metric series (one line per instance
 * and side), and every JSON metric of a step with a numeric matrix axis
 * against that axis (e.g. a maximum eigenvalue against P).
 */
export async function comparisonFigures(sides: [Project, Side][]): Promise<Figure[]> {
  const series = new Map<string, { x: string; rows: SeriesRow[] }>();
  const byAxis = new Map<
    string,
    { axis: string; rows: { side: string; group: string; x: number; y: number }[] }
  >();
  for (const [project, side] of sides) {
    for (const i of side.instances) {
      const step = stepOf(project, i.step);
      if (!i.record || !step?.metrics) continue;
      const m = await readMetrics(project.store, step, i.record);
      for (const s of m.series) {
        const e = series.get(s.metric) ?? { x: s.x, rows: [] };
        for (const [x, y] of s.points) e.rows.push({ side: side.label, instance: i.id, x, y });
        series.set(s.metric, e);
      }
      const axis = step.matrix.map((u) => u.axis).find((ax) => typeof i.matrix[ax] === "number");
      if (!axis) continue;
      const others = Object.entries(i.matrix).filter(([k]) => k !== axis).map(([k, v]) =>
        `${k}=${v}`
      );
      for (const v of m.values) {
        if (v.value === null || m.series.some((s) => s.metric === v.metric)) continue;
        const key = `${v.metric}@${axis}`;
        const e = byAxis.get(key) ?? { axis, rows: [] };
        e.rows.push({
          side: side.label,
          group: `${side.label} ${others.join(",")}`,
          x: i.matrix[axis] as number,
          y: v.value,
        });
        byAxis.set(key, e);
      }
    }
  }
  const figs: Figure[] = [];
  for (const [metric, e] of series) figs.push(seriesFigure(safeName(metric), metric, e.x, e.rows));
  for (const [key, e] of byAxis) {
    // One point per side is no curve: only axes with several values are drawn.
    if (new Set(e.rows.map((r) => r.x)).size < 2) continue;
    figs.push(axisFigure(safeName(key), key.split("@")[0], e.axis, e.rows));
  }
  return figs;
}
