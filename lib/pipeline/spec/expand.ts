/**
 * Expansion: a profile applied to the pipeline, each step turned into its
 * instances (the cartesian product of its axes), and each input resolved to
 * the upstream instances it reads.
 *
 * @module
 */

import type { Pos } from "./diagnostics.ts";
import { isAbsolute, resolve } from "node:path";
import { interpolate } from "./interpolate.ts";
import type {
  InputSpec,
  MatrixValue,
  PipelineSpec,
  SourceSpec,
  SourceUse,
  StepSpec,
} from "./schema.ts";

/** One runnable unit: a step with fixed matrix values. */
export interface Instance {
  /** `step` or `step[a=1,b=x]` (the axes of idAxes, in the order the step lists them). */
  id: string;
  /**
   * The axes named in the id: the step's axes, less those declared `in_id: when_varied` that
   * the step takes only one value of under this profile.
   */
  idAxes: string[];
  step: StepSpec;
  matrix: Record<string, MatrixValue>;
  /** Declared parameters (profile applied) plus the matrix values. */
  params: Record<string, unknown>;
  inputs: ResolvedInput[];
  /** Inputs bound to declared sources, used or not (absent: the step reads none). */
  sources?: ResolvedSource[];
}

/**
 * A source input of one instance. `path` is the absolute path it resolved to,
 * or null when the source is not used by this instance: its `when` does not
 * match, or its path refers to a null or empty parameter.
 */
export interface ResolvedSource {
  use: SourceUse;
  source: SourceSpec;
  path: string | null;
}

/** An input bound to upstream instances. */
export interface ResolvedInput {
  spec: InputSpec;
  /** True when the input is a list (fan-in), false when it is one path. */
  gather: boolean;
  upstream: Instance[];
}

/** The instances of a pipeline under one profile. */
export interface Expansion {
  profile: string;
  params: Record<string, unknown>;
  axes: Map<string, MatrixValue[]>;
  /** All instances, steps in topological order, each step's instances in expansion order. */
  instances: Instance[];
  byId: Map<string, Instance>;
  byStep: Map<string, Instance[]>;
  /** Inputs that resolve to nothing under this profile. */
  problems: { pos: Pos; message: string }[];
}

/** Formats a matrix value as it appears in an instance id. */
export function formatValue(v: MatrixValue): string {
  return typeof v === "string" ? v : String(v);
}

/** The instance id for a step and its matrix values. */
export function instanceId(
  step: string,
  axes: string[],
  matrix: Record<string, MatrixValue>,
): string {
  if (axes.length === 0) return step;
  return `${step}[${axes.map((a) => `${a}=${formatValue(matrix[a])}`).join(",")}]`;
}

/** The `a=1,b=x` part of an instance id ("" for a step without matrix). */
export function matrixLabel(axes: string[], matrix: Record<string, MatrixValue>): string {
  return axes.map((a) => `${a}=${formatValue(matrix[a])}`).join(",");
}

/** A file-name-safe form of an instance id (reversible, readable for plain ids). */
export function escapeId(id: string): string {
  return id.replace(/[^A-Za-z0-9._=,[\]+-]/g, (c) => {
    const bytes = new TextEncoder().encode(c);
    return [...bytes].map((b) => "%" + b.toString(16).toUpperCase().padStart(2, "0")).join("");
  });
}

/**
 * `escapeId` with commas escaped too, for paths a step is granted: Deno's
 * `--allow-read=a,b` lists cannot hold a path with a comma in it.
 */
export function escapeIdForGrant(id: string): string {
  return escapeId(id).replaceAll(",", "%2C");
}

/** Parameter values and axis values under a profile. */
export function applyProfile(spec: PipelineSpec, profile: string): {
  params: Record<string, unknown>;
  axes: Map<string, MatrixValue[]>;
} {
  const p = spec.profiles.get(profile);
  if (!p) throw new Error(`unknown profile '${profile}'`);
  const params = { ...spec.params, ...p.params };
  const axes = new Map<string, MatrixValue[]>();
  for (const a of spec.axes) axes.set(a.name, p.matrix[a.name] ?? a.values);
  return { params, axes };
}

/** The values a step takes on each of its axes under the given axis values. */
export function stepAxisValues(
  step: StepSpec,
  axes: Map<string, MatrixValue[]>,
): [string, MatrixValue[]][] {
  return step.matrix.map((u) => {
    const all = axes.get(u.axis) ?? [];
    if (u.mode === "all") return [u.axis, all];
    if (u.mode === "first") return [u.axis, all.slice(0, 1)];
    return [u.axis, all.filter((v) => u.values.includes(v))];
  });
}

/** How many instances one step has under a profile, and the axis sizes that make it. */
export interface StepCount {
  step: StepSpec;
  count: number;
  axes: [string, number][];
}

/**
 * Counts the instances of every step under `profile` without creating them
 * (the product of the sizes of the axes each step uses), so a matrix too
 * large to expand can be refused first.
 */
export function countInstances(
  spec: PipelineSpec,
  profile: string,
): { total: number; steps: StepCount[] } {
  const { axes } = applyProfile(spec, profile);
  const steps = spec.steps.map((step): StepCount => {
    const sizes = stepAxisValues(step, axes).map(([a, vs]): [string, number] => [a, vs.length]);
    return { step, count: sizes.reduce((n, [, k]) => n * k, 1), axes: sizes };
  });
  return { total: steps.reduce((n, s) => n + s.count, 0), steps };
}

function cartesian(axes: [string, MatrixValue[]][]): Record<string, MatrixValue>[] {
  let out: Record<string, MatrixValue>[] = [{}];
  for (const [name, values] of axes) {
    const next: Record<string, MatrixValue>[] = [];
    for (const partial of out) for (const v of values) next.push({ ...partial, [name]: v });
    out = next;
  }
  return out;
}

/** A map key for the values of `axes` (JSON keeps 1 and "1" apart, as `===` does). */
function sharedKey(axes: string[], matrix: Record<string, MatrixValue>): string {
  return JSON.stringify(axes.map((a) => matrix[a]));
}

/** Expands the pipeline under `profile`; `order` is the steps in topological order. */
export function expand(spec: PipelineSpec, profile: string, order: StepSpec[]): Expansion {
  const { params, axes } = applyProfile(spec, profile);
  const instances: Instance[] = [];
  const byId = new Map<string, Instance>();
  const byStep = new Map<string, Instance[]>();
  const problems: { pos: Pos; message: string }[] = [];
  const axesOf = new Map(order.map((s) => [s.name, s.matrix.map((u) => u.axis)]));
  const quiet = new Set(spec.axes.filter((a) => a.inId === "when_varied").map((a) => a.name));
  for (const step of order) {
    const stepAxes = axesOf.get(step.name)!;
    const values = stepAxisValues(step, axes);
    const idAxes = values.filter(([a, vs]) => !quiet.has(a) || vs.length > 1).map(([a]) => a);
    // Upstream instances by their values on the shared axes: a scan per
    // instance would cost instances x upstream instances, hours for
    // matrices near the instance limit.
    const lookups = step.inputs.map((inp) => {
      const upAxes = axesOf.get(inp.step) ?? [];
      const shared = upAxes.filter((a) => stepAxes.includes(a));
      const index = new Map<string, Instance[]>();
      for (const u of byStep.get(inp.step) ?? []) {
        const k = sharedKey(shared, u.matrix);
        const l = index.get(k);
        if (l) l.push(u);
        else index.set(k, [u]);
      }
      return { shared, gather: shared.length < upAxes.length, index };
    });
    const list: Instance[] = [];
    for (const matrix of cartesian(values)) {
      const id = instanceId(step.name, idAxes, matrix);
      const ps: Record<string, unknown> = {};
      for (const k of step.params) ps[k] = params[k];
      Object.assign(ps, matrix);
      const inst: Instance = { id, idAxes, step, matrix, params: ps, inputs: [] };
      if (step.sources?.length) {
        inst.sources = step.sources.map((use) =>
          resolveSource(spec, spec.sources!.get(use.source)!, use, { ...params, ...matrix })
        );
      }
      for (const [i, inp] of step.inputs.entries()) {
        const { shared, gather, index } = lookups[i];
        const matching = index.get(sharedKey(shared, matrix)) ?? [];
        if (matching.length === 0) {
          const cond = shared.length
            ? ` with ${shared.map((a) => `${a}=${formatValue(matrix[a])}`).join(",")}`
            : "";
          problems.push({
            pos: inp.pos,
            message:
              `input '${inp.name}' of ${id} matches no instance of step '${inp.step}'${cond} under profile '${profile}'`,
          });
        }
        inst.inputs.push({ spec: inp, gather, upstream: matching });
      }
      list.push(inst);
      instances.push(inst);
      byId.set(id, inst);
    }
    byStep.set(step.name, list);
  }
  return { profile, params, axes, instances, byId, byStep, problems };
}

/** Where a source lies for an instance whose profile parameters and matrix values are `values`. */
export function resolveSource(
  spec: PipelineSpec,
  source: SourceSpec,
  use: SourceUse,
  values: Record<string, unknown>,
): ResolvedSource {
  const used = Object.entries(source.when ?? {}).every(([k, v]) =>
    stableJson(values[k]) === stableJson(v)
  );
  const p = used ? interpolate(source.path, values) : null;
  const path = p === null || p === "" ? null : isAbsolute(p) ? resolve(p) : resolve(spec.dir, p);
  return { use, source, path };
}

/** JSON with object keys sorted, so equal values compare equal as text. */
function stableJson(v: unknown): string {
  if (v === undefined) return "undefined";
  return JSON.stringify(
    v,
    (_, x) =>
      x && typeof x === "object" && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
        : x,
  );
}
