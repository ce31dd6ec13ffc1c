/**
 * `trace [RUN]`: what each instance of a run used (peak memory, CPU user and
 * system seconds, wall time, cores, host), as a table, TSV or JSON; a
 * per-step cost table checked against the steps' declared `resources`; and
 * with `--html DIR` a page with a timeline of the instances. The trace is
 * kept out of the study's report on purpose: wall-clock data would make the
 * report's cache key (and bytes) change on every run.
 *
 * @module
 */

import { resolve } from "node:path";
import { relPosix } from "../../files/mod.ts";
import type { ParsedArgs } from "./cli_args.ts";
import type { CommandEnv } from "./commands.ts";
import { openProject } from "../build/mod.ts";
import { listRuns } from "../store/mod.ts";
import { UsageError } from "../spec/mod.ts";
import { runSide, stepOf } from "./experiment_data.ts";
import { runByRef } from "./run_history.ts";
import { table, tsv } from "./table.ts";
import { htmlTable, timelineFigure, writeFigures } from "./plots.ts";

/** One row of a trace. */
export interface TraceRow {
  instance: string;
  step: string;
  /** ran / cached / failed / not-run; a cached row shows the run that made the result. */
  status: string;
  host: string | null;
  cores: number | null;
  start: string | null;
  end: string | null;
  wall_s: number | null;
  cpu_user_s: number | null;
  cpu_sys_s: number | null;
  peak_rss_mib: number | null;
  declared_memory_mib: number | null;
  key: string | null;
}

/** Per-step totals, and whether the step used more memory than it declared. */
export interface StepCost {
  step: string;
  instances: number;
  wall_s: number;
  cpu_s: number;
  peak_rss_mib: number | null;
  declared_memory_mib: number | null;
  over_memory: boolean;
}

const num = (x: number | null, digits = 1) => (x === null ? "-" : x.toFixed(digits));

/** Per-step totals of trace rows. */
export function stepCosts(rows: TraceRow[]): StepCost[] {
  const by = new Map<string, TraceRow[]>();
  for (const r of rows) by.set(r.step, [...(by.get(r.step) ?? []), r]);
  return [...by].map(([step, rs]) => {
    const peaks = rs.map((r) => r.peak_rss_mib).filter((x): x is number => x !== null);
    const peak = peaks.length ? Math.max(...peaks) : null;
    const declared = rs[0].declared_memory_mib;
    return {
      step,
      instances: rs.length,
      wall_s: rs.reduce((a, r) => a + (r.wall_s ?? 0), 0),
      cpu_s: rs.reduce((a, r) => a + (r.cpu_user_s ?? 0) + (r.cpu_sys_s ?? 0), 0),
      peak_rss_mib: peak,
      declared_memory_mib: declared,
      over_memory: peak !== null && declared !== null && peak > declared,
    };
  });
}

/** `trace [RUN] [--tsv | --json] [--html DIR]` */
export async function cmdTrace(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length > 1) throw new UsageError("trace takes at most one run");
  const project = await openProject(
    (a.values.file as string | undefined) ?? "pipeline.yaml",
    a.values.store as string | undefined,
  );
  const runs = await listRuns(project.store);
  if (!runs.length) throw new UsageError("no runs yet (run 'reproduce' first)");
  const run = a.positionals.length ? runByRef(runs, a.positionals[0]) : runs[0];
  const side = await runSide(project, run);
  const rows: TraceRow[] = side.instances.map((i) => {
    const r = i.record;
    const u = r?.usage;
    return {
      instance: i.id,
      step: i.step,
      status: i.state,
      host: u?.host ?? r?.host ?? null,
      cores: r?.cores ?? null,
      start: r?.started ?? null,
      end: r?.ended ?? null,
      wall_s: r ? Math.round(r.seconds * 1000) / 1000 : null,
      cpu_user_s: u?.cpu_user_s ?? null,
      cpu_sys_s: u?.cpu_sys_s ?? null,
      peak_rss_mib: u?.max_rss_mib ?? null,
      declared_memory_mib: stepOf(project, i.step)?.resources.memoryMb ?? null,
      key: i.key,
    };
  });
  const costs = stepCosts(rows);
  const head = [
    "instance",
    "step",
    "status",
    "host",
    "cores",
    "start",
    "wall_s",
    "cpu_user_s",
    "cpu_sys_s",
    "%cpu",
    "peak_rss_mib",
    "memory_mib",
  ];
  const cells = rows.map((r) => [
    r.instance,
    r.step,
    r.status,
    r.host ?? "-",
    r.cores === null ? "-" : String(r.cores),
    r.start ?? "-",
    num(r.wall_s, 2),
    num(r.cpu_user_s, 2),
    num(r.cpu_sys_s, 2),
    r.wall_s && r.cpu_user_s !== null
      ? `${(100 * (r.cpu_user_s + (r.cpu_sys_s ?? 0)) / r.wall_s).toFixed(0)}%`
      : "-",
    num(r.peak_rss_mib),
    num(r.declared_memory_mib, 0),
  ]);
  if (a.values.json) env.out(JSON.stringify({ run: run.id, rows, steps: costs }, null, 2));
  else if (a.values.tsv) { for (const l of tsv(head, cells)) env.out(l); }
  else {
    env.out(side.describe);
    for (const l of table(head, cells, [4, 6, 7, 8, 9, 10, 11])) env.out(l);
    env.out("");
    env.out("per step:");
    for (const l of costTable(costs)) env.out(l);
    env.out(
      "(cached rows show the run that made the result; memory_mib: declared resources.memory)",
    );
  }
  for (const c of costs.filter((c) => c.over_memory)) {
    env.err(
      `warning: step '${c.step}' peaked at ${num(c.peak_rss_mib)} MiB, more than its declared ` +
        `memory of ${c.declared_memory_mib} MiB (raise 'resources.memory' in pipeline.yaml)`,
    );
  }
  const html = a.values.html as string | undefined;
  if (html !== undefined) {
    const ran = rows.filter((r) => r.status === "ran" && r.start && r.end);
    const bars = (ran.length ? ran : rows.filter((r) => r.start && r.end)).map((r) => ({
      instance: r.instance,
      step: r.step,
      start: r.start!,
      end: r.end!,
    }));
    const dir = resolve(html);
    const [ch, ...cr] = costTableCells(costs);
    await writeFigures(
      dir,
      `trace of run ${run.name ?? run.id}`,
      bars.length ? [timelineFigure(bars)] : [],
      `<p>${side.describe}</p><h2>per step</h2>${htmlTable(ch, cr)}<h2>instances</h2>${
        htmlTable(head, cells)
      }`,
    );
    (a.values.json || a.values.tsv ? env.err : env.out)(
      `wrote the timeline and cost tables to ${relPosix(Deno.cwd(), dir)}/index.html`,
    );
  }
  return 0;
}

function costTableCells(costs: StepCost[]): string[][] {
  return [
    ["step", "instances", "wall_s", "cpu_s", "peak_rss_mib", "memory_mib", "check"],
    ...costs.map((c) => [
      c.step,
      String(c.instances),
      c.wall_s.toFixed(2),
      c.cpu_s.toFixed(2),
      num(c.peak_rss_mib),
      num(c.declared_memory_mib, 0),
      c.over_memory ? "OVER declared memory" : c.declared_memory_mib === null ? "-" : "ok",
    ]),
  ];
}

function costTable(costs: StepCost[]): string[] {
  const [h, ...r] = costTableCells(costs);
  return table(h, r, [1, 2, 3, 4, 5]);
}
