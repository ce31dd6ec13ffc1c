/**
 * What `metrics`, `compare` and `trace` read: one "side" of an experiment
 * (a listed run, a profile with or without overrides, or a profile at an
 * earlier git revision) as its instances, each with its key, parameters,
 * record and declared metrics read out of the store.
 *
 * @module
 */

import type { MatrixValue, MetricSpec, StepSpec } from "../spec/mod.ts";
import { UsageError } from "../spec/mod.ts";
import { computeStatus, type Project } from "../build/mod.ts";
import type { RunEntry, RunRecord, Store } from "../store/mod.ts";

/** A number read from a metric file (null: missing or not a number). */
export interface MetricValue {
  /** `<file>:<field>`, e.g. `best.json:test_acc`. */
  metric: string;
  value: number | null;
}

/** A CSV metric column: (first column, value) per row. */
export interface MetricSeries {
  metric: string;
  /** The first column's name (the x of the plot). */
  x: string;
  points: [number, number][];
}

/** One instance of a side. */
export interface SideInstance {
  id: string;
  step: string;
  matrix: Record<string, MatrixValue>;
  params: Record<string, unknown>;
  key: string | null;
  /** How it stands: ran / cached / failed / not-run (a run), or up-to-date / stale. */
  state: string;
  record: RunRecord | null;
}

/** One side of a comparison. */
export interface Side {
  label: string;
  /** What it is, for the header (`run r1 (profile default, scale=3)`). */
  describe: string;
  instances: SideInstance[];
}

/** The file a metric declaration names, as shown (`best.json`, `tables/x.csv`). */
export function metricFile(step: StepSpec, m: MetricSpec): string {
  const o = step.outputs.find((x) => x.name === m.output)!;
  return m.path ? `${o.file}/${m.path}` : o.file;
}

/** The bytes of one metric file of a record, or null when it is not in the store. */
async function metricText(store: Store, rec: RunRecord, m: MetricSpec): Promise<string | null> {
  const out = rec.outputs[m.output];
  if (!out) return null;
  let hash = out.hash;
  if (out.kind === "dir") {
    const manifest = await store.readManifest(out.hash);
    const e = m.path ? manifest?.entries[m.path] : undefined;
    if (!e) return null;
    hash = e.hash;
  }
  return await Deno.readTextFile(store.blobPath(hash)).catch(() => null);
}

function dotted(x: unknown, path: string): number | null {
  let v: unknown = x;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object") return null;
    v = (v as Record<string, unknown>)[part];
  }
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Splits simple CSV (a header row, no quoted commas) into rows of cells. */
function csvRows(text: string): string[][] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== "").map((l) =>
    l.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1"))
  );
}

/**
 * The declared metrics of one instance's record: JSON fields as values, CSV
 * columns as series (and their last row as the value).
 *
 * @example
 * ```ts ignore
 * const { values } = await readMetrics(store, step, record);
 * // [{ metric: "best.json:test_acc", value: 0.91 }]
 * ```
 */
export async function readMetrics(
  store: Store,
  step: StepSpec,
  rec: RunRecord,
): Promise<{ values: MetricValue[]; series: MetricSeries[] }> {
  const values: MetricValue[] = [];
  const series: MetricSeries[] = [];
  for (const m of step.metrics ?? []) {
    const file = metricFile(step, m);
    const text = await metricText(store, rec, m);
    if (m.format === "json") {
      let json: unknown = null;
      try {
        json = text === null ? null : JSON.parse(text);
      } catch { /* not JSON: every field reads as missing */ }
      for (const f of m.fields) values.push({ metric: `${file}:${f}`, value: dotted(json, f) });
      continue;
    }
    const rows = text === null ? [] : csvRows(text);
    const head = rows[0] ?? [];
    for (const f of m.fields) {
      const col = head.indexOf(f);
      const points: [number, number][] = [];
      for (const [i, r] of rows.slice(1).entries()) {
        const y = col < 0 ? NaN : Number(r[col]);
        const x = Number(r[0]);
        if (Number.isFinite(y)) points.push([Number.isFinite(x) ? x : i, y]);
      }
      series.push({ metric: `${file}:${f}`, x: head[0] ?? "row", points });
      values.push({ metric: `${file}:${f}`, value: points.at(-1)?.[1] ?? null });
    }
  }
  return { values, series };
}

/** A listed run as a side: its instances' keys and records. */
export async function runSide(project: Project, run: RunEntry, label?: string): Promise<Side> {
  const instances: SideInstance[] = [];
  for (const i of run.instances) {
    const record = i.key ? await project.store.readRecord(i.key) : null;
    instances.push({
      id: i.id,
      step: i.step,
      matrix: record?.matrix ?? {},
      params: record?.parts.params ?? {},
      key: i.key,
      state: i.outcome,
      record,
    });
  }
  const words = [
    ...Object.entries(run.overrides.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`),
    ...Object.entries(run.overrides.matrix).map(([k, v]) => `${k}=${v.join(",")}`),
  ];
  return {
    label: label ?? run.name ?? run.id,
    describe: `run ${run.name ? `${run.name} (${run.id})` : run.id}, profile ${run.base}${
      words.length ? ` with ${words.join(" ")}` : ""
    }${run.git ? `, commit ${run.git.commit.slice(0, 10)}${run.git.dirty ? "+" : ""}` : ""}`,
    instances,
  };
}

/**
 * A profile of a project (overrides applied) as a side: what the store holds
 * for its current keys; instances that are not up to date have no record.
 */
export async function profileSide(
  project: Project,
  profile: string,
  label: string,
  describe: string,
): Promise<Side> {
  const statuses = await computeStatus(project, profile, project.expansion(profile).instances);
  return {
    label,
    describe,
    instances: statuses.map((s) => ({
      id: s.inst.id,
      step: s.inst.step.name,
      matrix: s.inst.matrix,
      params: s.inst.params,
      key: s.key ?? null,
      state: s.upToDate ? "up-to-date" : "stale",
      record: s.upToDate ? s.record ?? null : null,
    })),
  };
}

/** The step spec of an instance of a side (by step name), or a clear error. */
export function stepOf(project: Project, name: string): StepSpec | undefined {
  return project.pipeline.spec.steps.find((s) => s.name === name);
}

/** Throws when a side has nothing to show. */
export function requireRecords(side: Side): void {
  if (!side.instances.some((i) => i.record)) {
    throw new UsageError(
      `${side.describe}: no instance has results in the store (run 'reproduce' first)`,
    );
  }
}
