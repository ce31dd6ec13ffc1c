/**
 * The study's data model, shared by the tables and the charts: the fan-in
 * inputs of those steps gathered into a run per (P, d, seed) with whichever
 * artifacts exist for it.
 * Only `best` is required (it defines the runs); every other artifact is
 * optional, and what is absent is recorded so the outputs can say so.
 *
 * @module
 */

import { type GatheredInput, StepError } from "../step/mod.ts";
import {
  type Best,
  type DensityRow,
  type Hessian,
  type HistoryRow,
  type Landscape,
  readBest,
  readDensity,
  readHessian,
  readHistory,
  readLandscape,
} from "../artifacts/mod.ts";

/** The artifact kinds a study may gather. */
export type ArtifactName = "best" | "metrics" | "hessian" | "density" | "landscape";

/** The artifact kinds, in the order they are reported. */
export const ARTIFACT_NAMES: readonly ArtifactName[] = [
  "best",
  "metrics",
  "hessian",
  "density",
  "landscape",
];

/** Gathered lists by artifact; `undefined` when the step was not given that input. */
export type StudyInputs = Partial<Record<ArtifactName, GatheredInput[] | undefined>>;

/** Everything known about one (P, d, seed). */
export interface Run {
  P: number;
  d: number;
  seed: number;
  /** How the QNN outputs were aggregated (the `aggregate` axis); absent means "mean". */
  aggregate?: string;
  best?: Best;
  /** `history.csv` rows (or `metrics.csv`'s, read as its history). */
  metrics?: HistoryRow[];
  hessian?: Hessian;
  density?: DensityRow[];
  landscape?: Landscape;
}

/** The gathered study. */
export interface Study {
  /** Runs sorted by P, then d, then seed order. */
  runs: Run[];
  /** Distinct P values, ascending. */
  Ps: number[];
  /** Distinct depths, ascending. */
  ds: number[];
  /** Seeds in profile order (the `seeds` option, else order of first appearance). */
  seeds: number[];
  /** The seed of the single-seed tables and figures. */
  firstSeed: number;
  /** Whether each artifact kind was given with at least one instance. */
  available: Record<ArtifactName, boolean>;
  /** Human-readable remarks about missing or partial inputs. */
  notes: string[];
  /**
   * Every aggregation present ("mean" first when present); `runs` holds the
   * first one's runs only, so every table and figure is about one model.
   */
  aggregates: string[];
  /** The runs of each aggregation, sorted as `runs` (the variant comparison). */
  byAggregate: Record<string, Run[]>;
}

/** The aggregation of the paper's model, and of every run whose matrix has no `aggregate`. */
export const PAPER_AGGREGATE = "mean";

/** Options for `loadStudy`. */
export interface LoadOptions {
  /** The profile's seed list; its first entry present in the inputs is the "first seed". */
  seeds?: readonly number[];
  /** Artifact kinds that must be present (default: only `best`). */
  required?: readonly ArtifactName[];
}

const READERS: Record<ArtifactName, (path: string) => Promise<unknown>> = {
  best: readBest,
  metrics: readHistory,
  hessian: readHessian,
  density: readDensity,
  landscape: readLandscape,
};

function key(P: number, d: number, seed: number): string {
  return `${P}|${d}|${seed}`;
}

/** A matrix value as a number, or null when absent. */
function matrixNumber(g: GatheredInput, name: string): number | null {
  const v = g.matrix?.[name];
  if (v === undefined) return null;
  const n = Number(v);
  if (!Number.isFinite(n)) {
    throw new StepError(`${g.id}: matrix value ${name}=${JSON.stringify(v)} is not a number`);
  }
  return n;
}

/** Identifies a gathered item from its matrix, cross-checked with the file's own P, d, seed. */
function identify(
  g: GatheredInput,
  name: ArtifactName,
  content: unknown,
): { P: number; d: number; seed: number; aggregate: string } {
  const fromFile = (content !== null && typeof content === "object" && !Array.isArray(content))
    ? content as Record<string, unknown>
    : {};
  const out: Record<string, number> = {};
  for (const axis of ["P", "d", "seed"]) {
    const m = matrixNumber(g, axis);
    const f = typeof fromFile[axis] === "number" ? fromFile[axis] as number : null;
    if (m !== null && f !== null && m !== f) {
      throw new StepError(
        `${g.id}: ${name} at ${g.path} says ${axis}=${f} but its instance has ${axis}=${m}`,
      );
    }
    const v = m ?? f;
    if (v === null) {
      throw new StepError(`${g.id}: cannot tell ${axis} of ${name} (${g.path}): not in its matrix`);
    }
    out[axis] = v;
  }
  const a = g.matrix?.aggregate;
  return {
    ...out as { P: number; d: number; seed: number },
    aggregate: a == null ? PAPER_AGGREGATE : String(a),
  };
}

/** Reads every gathered artifact and assembles the study. */
export async function loadStudy(inputs: StudyInputs, opts: LoadOptions = {}): Promise<Study> {
  const required = opts.required ?? ["best"];
  const available = {} as Record<ArtifactName, boolean>;
  const notes: string[] = [];
  for (const name of ARTIFACT_NAMES) {
    const list = inputs[name];
    available[name] = Array.isArray(list) && list.length > 0;
    if (!available[name] && required.includes(name)) {
      throw new StepError(
        `input '${name}' is required but ${list === undefined ? "was not given" : "is empty"}`,
      );
    }
  }
  const runs = new Map<string, Run>();
  const seedOrder: number[] = [];
  for (const name of ARTIFACT_NAMES) {
    const list = inputs[name] ?? [];
    const contents = await Promise.all(list.map((g) => READERS[name](g.path)));
    list.forEach((g, i) => {
      const { P, d, seed, aggregate } = identify(g, name, contents[i]);
      if (!seedOrder.includes(seed)) seedOrder.push(seed);
      const k = `${key(P, d, seed)}|${aggregate}`;
      let run = runs.get(k);
      if (!run) {
        run = { P, d, seed, aggregate };
        runs.set(k, run);
      }
      if (run[name] !== undefined) {
        throw new StepError(`${g.id}: a second ${name} for P=${P} d=${d} seed=${seed}`);
      }
      (run as unknown as Record<string, unknown>)[name] = contents[i];
    });
  }
  // Runs known only from secondary artifacts have no best.json: say so.
  for (const run of runs.values()) {
    if (!run.best) {
      notes.push(
        `P=${run.P} d=${run.d} seed=${run.seed} has analyses but no best.json; ` +
          `it appears only where those analyses are used.`,
      );
    }
  }
  const seeds = [
    ...(opts.seeds ?? []).filter((s) => seedOrder.includes(s)),
    ...seedOrder.filter((s) => !(opts.seeds ?? []).includes(s)),
  ];
  const firstSeed = seeds[0];
  const seedRank = new Map(seeds.map((s, i) => [s, i]));
  const all = [...runs.values()].sort((a, b) =>
    a.P - b.P || a.d - b.d || seedRank.get(a.seed)! - seedRank.get(b.seed)!
  );
  const seen = [...new Set(all.map((r) => r.aggregate ?? PAPER_AGGREGATE))];
  const aggregates = seen.includes(PAPER_AGGREGATE)
    ? [PAPER_AGGREGATE, ...seen.filter((a) => a !== PAPER_AGGREGATE)]
    : seen;
  const byAggregate: Record<string, Run[]> = {};
  for (const a of aggregates) {
    byAggregate[a] = all.filter((r) => (r.aggregate ?? PAPER_AGGREGATE) === a);
  }
  const sorted = byAggregate[aggregates[0]] ?? [];
  const Ps = [...new Set(sorted.map((r) => r.P))].sort((a, b) => a - b);
  const ds = [...new Set(sorted.map((r) => r.d))].sort((a, b) => a - b);
  // Only the kinds this step consumes (the keys it passed) are worth a note when absent.
  for (const name of ARTIFACT_NAMES.filter((n) => n in inputs)) {
    if (!available[name]) {
      notes.push(`No '${name}' input: everything built from it is left out.`);
      continue;
    }
    const missing = sorted.filter((r) => r.best && r[name] === undefined);
    if (missing.length > 0) {
      notes.push(
        `'${name}' is missing for ${missing.length} of ${
          sorted.filter((r) => r.best).length
        } runs: ` + missing.map((r) => `P=${r.P} d=${r.d} seed=${r.seed}`).join(", ") + ".",
      );
    }
  }
  if (aggregates.length > 1) {
    notes.push(
      `Aggregations ${aggregates.join(", ")}: the tables and figures show ${aggregates[0]}; ` +
        `the table 'aggregate_variant' compares them.`,
    );
  } else if (aggregates.length === 1 && aggregates[0] !== PAPER_AGGREGATE) {
    notes.push(
      `Every run aggregates the QNN outputs by '${aggregates[0]}', not the paper's mean: the ` +
        `paper's values beside them are for another model.`,
    );
  }
  return { runs: sorted, Ps, ds, seeds, firstSeed, available, notes, aggregates, byAggregate };
}

/** The run of (P, d, seed), if any. */
export function findRun(study: Study, P: number, d: number, seed: number): Run | undefined {
  return study.runs.find((r) => r.P === P && r.d === d && r.seed === seed);
}

/** All runs of configuration (P, d), in seed order. */
export function runsOf(study: Study, P: number, d: number): Run[] {
  return study.runs.filter((r) => r.P === P && r.d === d);
}

/** The configurations (P, d) present, sorted by P then d. */
export function configurations(study: Study): { P: number; d: number }[] {
  const out: { P: number; d: number }[] = [];
  for (const r of study.runs) {
    if (!out.some((c) => c.P === r.P && c.d === r.d)) out.push({ P: r.P, d: r.d });
  }
  return out;
}
