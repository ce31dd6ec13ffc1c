/**
 * Status without side effects: for each instance of a profile, whether it is
 * up to date or would run, and why (compared with the index of that profile).
 * Used by `status`, `reproduce --dry-run` and `explain`.
 *
 * @module
 */

import { diffParts, type KeyParts, type PartChange } from "./cache_key.ts";
import type { Engine } from "./engine.ts";
import type { Instance } from "./expand.ts";
import { quickProblems } from "./integrity.ts";
import type { IndexEntry, RunRecord } from "./record.ts";

/** The state of one instance. */
export interface InstanceStatus {
  inst: Instance;
  upToDate: boolean;
  /** Known when every upstream instance is up to date. */
  key?: string;
  parts?: KeyParts | Omit<KeyParts, "inputs">;
  record?: RunRecord;
  last: IndexEntry | null;
  /** What differs from the last run under this profile. */
  changes: PartChange[];
  /** Human reasons, most important first. */
  reasons: string[];
}

/** Computes the status of `instances` (in topological order) under `profile`. */
export async function computeStatus(
  engine: Engine,
  profile: string,
  instances: Instance[],
  forced: Set<string> = new Set(),
): Promise<InstanceStatus[]> {
  const out: InstanceStatus[] = [];
  const byId = new Map<string, InstanceStatus>();
  const records = new Map<string, RunRecord>();
  const storeExists = await engine.store.exists();
  for (const inst of instances) {
    const last = storeExists ? await engine.store.readIndex(profile, inst.id) : null;
    const ups = [...new Set(inst.inputs.flatMap((i) => i.upstream))];
    const stale = ups.filter((u) => !(byId.get(u.id)?.upToDate ?? false));
    let st: InstanceStatus;
    if (stale.length > 0) {
      const parts = await engine.partialParts(inst);
      const changes = last ? diffParts(last.parts, parts) : [];
      const reasons = [
        ...(last ? [] : ["never run"]),
        ...(forced.has(inst.id) ? ["forced"] : []),
        ...changes.map((c) => c.text),
        `upstream will rerun (${upstreamList(stale.map((u) => u.id))})`,
      ];
      st = { inst, upToDate: false, parts, last, changes, reasons };
    } else {
      const { key, parts } = await engine.keyFor(inst, records);
      const record = storeExists ? await engine.store.readRecord(key) : null;
      const problems = record ? await quickProblems(engine.store, record) : [];
      const changes = last && last.key !== key ? diffParts(last.parts, parts) : [];
      if (record && problems.length === 0 && !forced.has(inst.id)) {
        records.set(inst.id, record);
        const reasons = last && last.key !== key
          ? ["up to date (cached from an earlier run)"]
          : ["up to date"];
        st = { inst, upToDate: true, key, parts, record, last, changes, reasons };
      } else {
        const reasons: string[] = [];
        if (forced.has(inst.id)) reasons.push("forced");
        if (record && problems.length) {
          reasons.push(`stored outputs damaged: ${problems.join("; ")}`);
        }
        if (!last) reasons.push("never run");
        reasons.push(...changes.map((c) => c.text));
        if (reasons.length === 0) {
          reasons.push(
            last?.key === key ? "outputs no longer in the store" : "no run with these inputs yet",
          );
        }
        st = {
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
    out.push(st);
    byId.set(inst.id, st);
  }
  return out;
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
