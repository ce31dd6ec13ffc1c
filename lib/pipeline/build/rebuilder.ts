/**
 * The rebuilder: the one place that decides whether an instance is up to
 * date (its stored record can be used) or must run. `reproduce` (through the
 * build), `status`, `--dry-run`, `explain`, `archive` and `gc` all ask it;
 * schedulers and executors never decide.
 *
 * The contract, in the order it is applied:
 * 1. An instance whose upstream instances are not all resolved is not up to
 *    date ("upstream will rerun"); its key cannot be known yet.
 * 2. Otherwise its key is computed from its code, parameters, the output
 *    hashes of the records its upstream instances resolved to and the content
 *    of the external sources it reads (`keys/`; sources through the stat
 *    cache, see keys/source_digest.ts).
 * 3. It is up to date when a record exists under that key, every blob the
 *    record names checks out, and it was not forced.
 *
 * Two modes. `inspect` changes nothing: blobs get the cheap check (present,
 * right size) and the answer carries human reasons compared with the last
 * run under the profile. `use` is for a run that will act on the answer:
 * damaged blobs are re-hashed, quarantined and the records using them
 * dropped (so the producer reruns), and a hit is noted in the profile's index
 * (only when the index named another key: a run with nothing to do writes
 * nothing). With a `fetch` hook (`reproduce --pull`), a key with no usable
 * local record is first looked up on a remote cache; what it brings in gets
 * the same checks as a local record before it counts.
 *
 * @module
 */

import {
  diffParts,
  type GatheredHash,
  keyOf,
  type KeyParts,
  keyParts,
  type PartChange,
} from "../keys/mod.ts";
import type { Instance } from "../spec/mod.ts";
import {
  checkRecord,
  type IndexEntry,
  quickProblems,
  RECORD_FORMAT,
  type RunRecord,
} from "../store/mod.ts";
import type { Project } from "./project.ts";

/** The decision for one instance, with what it was based on. */
export interface InstanceStatus {
  inst: Instance;
  upToDate: boolean;
  /** Known when every upstream instance is up to date. */
  key?: string;
  parts?: KeyParts | Omit<KeyParts, "inputs">;
  record?: RunRecord;
  /** The last run under this profile (`inspect` mode only; null otherwise). */
  last: IndexEntry | null;
  /** What differs from the last run under this profile (`inspect` mode only). */
  changes: PartChange[];
  /** Human reasons, most important first (`inspect` mode only). */
  reasons: string[];
}

/** How the rebuilder treats the store. */
export type RebuildMode = "inspect" | "use";

/** Options of a rebuilder. */
export interface RebuilderOptions {
  mode: RebuildMode;
  /** Instance ids that must run even when a usable record exists. */
  forced?: Set<string>;
  /** Where repairs are reported (`use` mode). */
  note?: (message: string) => void;
  /**
   * `use` mode: brings a key's record and blobs into the store from elsewhere
   * (a remote cache) when the store has no usable record; true when it did.
   */
  fetch?: (key: string, inst: Instance) => Promise<boolean>;
}

/**
 * Decides, instance by instance in topological order, what is up to date
 * under one profile; remembers the records instances resolved to, so that
 * downstream keys can be computed.
 *
 * @example
 * ```ts
 * const rebuilder = new Rebuilder(project, "default", { mode: "inspect" });
 * for (const inst of project.expansion("default").instances) {
 *   const s = await rebuilder.decide(inst);
 *   console.log(inst.id, s.upToDate ? "up to date" : s.reasons.join("; "));
 * }
 * ```
 */
export class Rebuilder {
  /** The record each resolved instance (up to date, or run since) resolved to. */
  readonly records = new Map<string, RunRecord>();
  readonly #forced: Set<string>;
  #storeExists?: Promise<boolean>;

  constructor(
    readonly project: Project,
    readonly profile: string,
    readonly options: RebuilderOptions,
  ) {
    this.#forced = options.forced ?? new Set();
  }

  /** True once the instance resolved to a record (up to date, or run and recorded). */
  resolved(id: string): boolean {
    return this.records.has(id);
  }

  /** Notes the record a run of `inst` produced, so that its downstream can be decided. */
  built(inst: Instance, record: RunRecord): void {
    this.records.set(inst.id, record);
  }

  /** Key parts without inputs (known even when upstream must rerun first). */
  async partialParts(inst: Instance): Promise<Omit<KeyParts, "inputs">> {
    const sources = await this.project.sourceDigests(inst);
    const { inputs: _, ...rest } = keyParts(inst, await this.project.codeOf(inst), {}, sources);
    return rest;
  }

  /** The full key of an instance whose upstream instances are all resolved. */
  async keyFor(inst: Instance): Promise<{ key: string; parts: KeyParts }> {
    const inputs: Record<string, string | GatheredHash[]> = {};
    for (const inp of inst.inputs) {
      const hashes = inp.upstream.map((u) => {
        const rec = this.records.get(u.id);
        if (!rec) throw new Error(`internal: ${u.id} is not resolved before ${inst.id}`);
        return { id: u.id, hash: rec.outputs[inp.spec.output].hash };
      });
      inputs[inp.spec.name] = inp.gather ? hashes : hashes[0].hash;
    }
    const sources = await this.project.sourceDigests(inst);
    const parts = keyParts(inst, await this.project.codeOf(inst), inputs, sources);
    return { key: keyOf(parts), parts };
  }

  /** Decides whether `inst` is up to date; a hit is remembered for its downstream. */
  async decide(inst: Instance): Promise<InstanceStatus> {
    const status = this.options.mode === "use" ? await this.#use(inst) : await this.#inspect(inst);
    if (status.upToDate && status.record) this.records.set(inst.id, status.record);
    return status;
  }

  #exists(): Promise<boolean> {
    this.#storeExists ??= this.project.store.exists();
    return this.#storeExists;
  }

  async #use(inst: Instance): Promise<InstanceStatus> {
    const store = this.project.store;
    const stale = upstreamOf(inst).filter((u) => !this.records.has(u.id));
    if (stale.length) {
      throw new Error(`internal: ${inst.id} decided before ${stale.map((u) => u.id).join(", ")}`);
    }
    const { key, parts } = await this.keyFor(inst);
    const base = { inst, key, parts, last: null, changes: [], reasons: [] };
    if (this.#forced.has(inst.id)) return { ...base, upToDate: false, reasons: ["forced"] };
    const usable = async () => {
      const r = await store.readRecord(key);
      return r && (await checkRecord(store, r, this.options.note)).length === 0 ? r : null;
    };
    let rec = await usable();
    if (!rec && this.options.fetch && (await this.options.fetch(key, inst))) rec = await usable();
    if (!rec) return { ...base, upToDate: false };
    // A no-op run writes nothing: the index is rewritten only when it names another key.
    const last = await store.readIndex(this.profile, inst.id);
    if (last?.key === key && last.format === RECORD_FORMAT) {
      return { ...base, upToDate: true, record: rec };
    }
    await store.writeIndex({
      format: RECORD_FORMAT,
      id: inst.id,
      step: inst.step.name,
      profile: this.profile,
      key,
      parts,
      time: new Date().toISOString(),
    });
    return { ...base, upToDate: true, record: rec };
  }

  async #inspect(inst: Instance): Promise<InstanceStatus> {
    const store = this.project.store;
    const storeExists = await this.#exists();
    const forced = this.#forced.has(inst.id);
    const last = storeExists ? await store.readIndex(this.profile, inst.id) : null;
    const stale = upstreamOf(inst).filter((u) => !this.records.has(u.id));
    if (stale.length > 0) {
      const parts = await this.partialParts(inst);
      const roots = this.project.sourceRoots(inst);
      const changes = last ? diffParts(last.parts, parts, roots) : [];
      const reasons = [
        ...(last ? [] : ["never run"]),
        ...(forced ? ["forced"] : []),
        ...changes.map((c) => c.text),
        `upstream will rerun (${upstreamList(stale.map((u) => u.id))})`,
      ];
      return { inst, upToDate: false, parts, last, changes, reasons };
    }
    const { key, parts } = await this.keyFor(inst);
    const record = storeExists ? await store.readRecord(key) : null;
    const problems = record ? await quickProblems(store, record) : [];
    const changes = last && last.key !== key
      ? diffParts(last.parts, parts, this.project.sourceRoots(inst))
      : [];
    if (record && problems.length === 0 && !forced) {
      const reasons = last && last.key !== key
        ? ["up to date (cached from an earlier run)"]
        : ["up to date"];
      return { inst, upToDate: true, key, parts, record, last, changes, reasons };
    }
    const reasons: string[] = [];
    if (forced) reasons.push("forced");
    if (record && problems.length) reasons.push(`stored outputs damaged: ${problems.join("; ")}`);
    if (!last) reasons.push("never run");
    reasons.push(...changes.map((c) => c.text));
    if (reasons.length === 0) {
      reasons.push(
        last?.key === key ? "outputs no longer in the store" : "no run with these inputs yet",
      );
    }
    return {
      inst,
      upToDate: false,
      key,
      parts,
      record: record ?? undefined,
      last,
      changes,
      reasons,
    };
  }
}

/** The distinct upstream instances of `inst`. */
export function upstreamOf(inst: Instance): Instance[] {
  return [...new Set(inst.inputs.flatMap((i) => i.upstream))];
}

/** A few instance ids by name; many as counts per step (`60 x train, 12 x landscape`). */
function upstreamList(ids: string[]): string {
  if (ids.length <= 4) return ids.join(", ");
  const counts = new Map<string, number>();
  for (const id of ids) {
    const step = id.replace(/\[.*$/, "");
    counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  return [...counts].map(([step, n]) => (n === 1 ? step : `${n} x ${step}`)).join(", ");
}
