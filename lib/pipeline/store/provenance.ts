/**
 * Provenance of an instance's inputs: the upstream instances that produced
 * them, transitively, each with its cache key, a hash of its code and its npm
 * packages. The engine hands this to steps (`ContextFile.upstream`) and the
 * archive describes the same chain; it never enters a cache key.
 *
 * @module
 */

import { canonicalJson, sha256Hex } from "../keys/mod.ts";
import type { Instance } from "../spec/mod.ts";
import type { RunRecord } from "./record.ts";
import type { UpstreamRecord } from "../../step/mod.ts";

/** One hash for a whole code key part (relative path -> file hash): SHA-256 of its canonical JSON. */
export function codeHash(code: Record<string, string>): string {
  return sha256Hex(canonicalJson(code));
}

/**
 * The instances upstream of `inst`, transitively, each after everything it
 * reads (a depth-first post-order over the inputs in declared order, so the
 * order is the same on every run).
 */
export function upstreamClosure(inst: Instance): Instance[] {
  const out: Instance[] = [];
  const seen = new Set<string>();
  const visit = (i: Instance) => {
    for (const inp of i.inputs) {
      for (const u of inp.upstream) {
        if (seen.has(u.id)) continue;
        seen.add(u.id);
        visit(u);
        out.push(u);
      }
    }
  };
  visit(inst);
  return out;
}

/** The provenance record of one resolved instance. */
export function upstreamRecord(rec: RunRecord): UpstreamRecord {
  return {
    id: rec.id,
    step: rec.step,
    key: rec.key,
    code: codeHash(rec.parts.code),
    npm: [...rec.parts.npm],
  };
}

/**
 * What produced the inputs of `inst`, transitively: one record per upstream
 * instance, given the records they resolved to (every one must be resolved).
 */
export function upstreamProvenance(
  inst: Instance,
  records: Map<string, RunRecord>,
): UpstreamRecord[] {
  return upstreamClosure(inst).map((u) => {
    const rec = records.get(u.id);
    if (!rec) throw new Error(`internal: ${u.id} is not resolved before ${inst.id}`);
    return upstreamRecord(rec);
  });
}
