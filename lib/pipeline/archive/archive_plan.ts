/**
 * What an archive holds: which outputs of which steps (pipeline.yaml's
 * `archive:`/`publish:` or `--steps`), the proof that every instance they
 * come from is up to date, and where each file goes in the bundle
 * (`<publish name or step>/[<matrix label>/]<output file>`, the layout of
 * `artifacts/out/<profile>/`).
 *
 * @module
 */

import {
  closest,
  type Instance,
  matrixLabel,
  selectInstances,
  type StepSpec,
  UsageError,
} from "../spec/mod.ts";
import { computeStatus, type InstanceStatus, type Project } from "../build/mod.ts";
import type { OutputEntry, RunRecord } from "../store/mod.ts";

/** One file to copy into the bundle. */
export interface PlannedFile {
  /** Relative POSIX path in the bundle. */
  path: string;
  hash: string;
  size: number;
  /** For people: which output (and file of a directory output) of which instance. */
  description: string;
}

/** One archived output of one instance. */
export interface PlannedOutput {
  name: string;
  entry: OutputEntry;
  /** The file, or the directory of a directory output (no trailing slash). */
  path: string;
  files: PlannedFile[];
}

/** One instance the archive depends on (archived or upstream of something archived). */
export interface PlannedInstance {
  inst: Instance;
  record: RunRecord;
  /** The archived outputs (empty for an instance that is only upstream). */
  archived: PlannedOutput[];
}

/** The whole archive. */
export interface ArchivePlan {
  profile: string;
  /** In expansion order (each instance after the ones it reads). */
  instances: PlannedInstance[];
  files: PlannedFile[];
}

/** Archiving was refused because instances are not up to date. */
export class StaleError extends Error {
  constructor(readonly profile: string, readonly stale: InstanceStatus[]) {
    super(`${stale.length} instance(s) of profile '${profile}' are not up to date`);
    this.name = "StaleError";
  }
}

/** The outputs each step archives by default (pipeline.yaml's `archive:`, else `publish:`). */
export function defaultSelection(steps: StepSpec[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of steps) {
    const all = s.outputs.map((o) => o.name);
    const pick = s.archive === undefined
      ? (s.publish ? all : [])
      : s.archive === true
      ? all
      : s.archive === false
      ? []
      : s.archive;
    if (pick.length) out.set(s.name, pick);
  }
  return out;
}

/**
 * The selection named by `--steps` (`step` or `step.output`, comma-separated
 * or repeated): a bare step takes the outputs its `archive:` list names, else
 * all of them.
 */
export function stepsSelection(steps: StepSpec[], names: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const stepNames = steps.map((s) => s.name);
  for (const raw of names.flatMap((n) => n.split(",")).map((n) => n.trim()).filter(Boolean)) {
    const [stepName, output, ...rest] = raw.split(".");
    const step = steps.find((s) => s.name === stepName);
    if (!step || rest.length) {
      const c = closest(stepName, stepNames);
      throw new UsageError(
        `--steps: '${raw}' names no step` +
          (c ? ` (did you mean '${c}'?)` : ` (steps: ${stepNames.join(", ")})`),
      );
    }
    const outs = step.outputs.map((o) => o.name);
    if (output !== undefined && !outs.includes(output)) {
      throw new UsageError(
        `--steps: step '${step.name}' has no output '${output}' (outputs: ${outs.join(", ")})`,
      );
    }
    const pick = output !== undefined
      ? [output]
      : Array.isArray(step.archive)
      ? step.archive
      : outs;
    const cur = out.get(step.name) ?? [];
    out.set(step.name, [...new Set([...cur, ...pick])]);
  }
  if (out.size === 0) throw new UsageError("--steps names no step");
  return out;
}

/** A path segment made of a matrix label (`P=4,d=50,seed=1001`), safe on any file system. */
export function labelSegment(label: string): string {
  return label.replace(/[^A-Za-z0-9._=,+-]/g, (c) => {
    const b = new TextEncoder().encode(c);
    return [...b].map((x) => "%" + x.toString(16).toUpperCase().padStart(2, "0")).join("");
  });
}

/**
 * Plans the archive of `selection` under `profile`: every selected instance
 * and everything upstream of it must be up to date (else StaleError, listing
 * what is not), and every file gets its place in the bundle.
 */
export async function planArchive(
  engine: Project,
  profile: string,
  selection: Map<string, string[]>,
): Promise<ArchivePlan> {
  const exp = engine.expansion(profile);
  const steps = engine.pipeline.spec.steps.filter((s) => selection.has(s.name));
  if (steps.length === 0) {
    throw new UsageError(
      "nothing to archive: no step publishes or sets 'archive:' in the pipeline file " +
        "(or name steps with --steps)",
    );
  }
  // One directory per step: its publish name, else its name; two steps must not share one.
  const dirOf = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const s of steps) {
    const dir = s.publish ?? s.name;
    const other = owner.get(dir);
    if (other) {
      throw new UsageError(
        `steps '${other}' and '${s.name}' would both be archived under '${dir}/' ` +
          `(a step's directory is its publish name, else its name)`,
      );
    }
    owner.set(dir, s.name);
    dirOf.set(s.name, dir);
  }

  const roots = steps.flatMap((s) => exp.byStep.get(s.name) ?? []);
  const closure = selectInstances(exp, roots.map((i) => i.id));
  const statuses = await computeStatus(engine, profile, closure);
  const stale = statuses.filter((s) => !s.upToDate);
  if (stale.length) throw new StaleError(profile, stale);

  const files: PlannedFile[] = [];
  const instances: PlannedInstance[] = [];
  for (const st of statuses) {
    const inst = st.inst;
    const record = st.record!;
    const archived: PlannedOutput[] = [];
    const pick = selection.get(inst.step.name);
    if (pick) {
      const axes = inst.idAxes;
      const base = dirOf.get(inst.step.name)! +
        (axes.length ? `/${labelSegment(matrixLabel(axes, inst.matrix))}` : "");
      // As published: a step whose only output is a directory holds its content directly.
      const flatten = inst.step.outputs.length === 1 && inst.step.outputs[0].kind === "dir";
      for (const o of inst.step.outputs) {
        if (!pick.includes(o.name)) continue;
        const entry = record.outputs[o.name];
        const what = `output '${o.name}' of ${inst.id}`;
        if (entry.kind === "file") {
          const f = { path: `${base}/${o.file}`, hash: entry.hash, size: entry.size };
          archived.push({
            name: o.name,
            entry,
            path: f.path,
            files: [{ ...f, description: `The ${what}.` }],
          });
          continue;
        }
        const manifest = await engine.store.readManifest(entry.hash);
        if (!manifest) {
          throw new Error(`the tree manifest of ${what} is unreadable; run verify, then reproduce`);
        }
        const dir = flatten ? base : `${base}/${o.file}`;
        const list = Object.entries(manifest.entries).sort(([a], [b]) => (a < b ? -1 : 1)).map((
          [rel, e],
        ) => ({
          path: `${dir}/${rel}`,
          hash: e.hash,
          size: e.size,
          description: `File '${rel}' of the directory ${what}.`,
        }));
        archived.push({ name: o.name, entry, path: dir, files: list });
      }
    }
    for (const a of archived) files.push(...a.files);
    instances.push({ inst, record, archived });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { profile, instances, files };
}
