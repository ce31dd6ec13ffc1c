/**
 * The cache key of an instance: SHA-256 of the canonical JSON of exactly the
 * things that decide its outputs (engine salt, the runtime, declared outputs,
 * code, npm packages, parameters, input contents), and a readable diff
 * between two sets of key parts ("why does this rerun?").
 *
 * The runtime (Deno and its V8) is in the key because a new V8 may compile
 * floating point differently (fused multiply-add, relaxed SIMD), so the same
 * code and inputs need not give the same bytes. The CPU is not: a result
 * computed on one machine kind is reused on another, as build caches do.
 *
 * @module
 */

import { canonicalJson } from "./canonical_json.ts";
import { sha256Hex } from "./hash.ts";
import type { CodeInfo } from "./code_graph.ts";
import type { SourceDigest } from "./source_digest.ts";
import type { Instance } from "../spec/mod.ts";

/**
 * Bump when the record format or the meaning of a key changes: every key
 * changes with it, so old records are simply never matched again.
 */
export const ENGINE_SALT = "pipeline-engine/1";

/** One gathered upstream output, as it enters the key. */
export interface GatheredHash {
  id: string;
  hash: string;
}

/** The runtime steps run on, as it enters keys: `deno 2.9.6 (v8 15.0.245.2-rusty)`. */
export const RUNTIME = `deno ${Deno.version.deno} (v8 ${Deno.version.v8})`;

/** Everything an instance's key is computed from. */
export interface KeyParts {
  engine: { salt: string; runtime: string; outputs: Record<string, string> };
  code: Record<string, string>;
  npm: string[];
  params: Record<string, unknown>;
  inputs: Record<string, string | GatheredHash[]>;
  /**
   * Source input name -> the content of the external file or directory (not
   * its path). Absent for instances that read no source, so their keys are
   * what they were before sources existed.
   */
  sources?: Record<string, SourceDigest>;
}

/** The key parts of an instance given its code and the content hashes of its inputs. */
export function keyParts(
  inst: Instance,
  code: CodeInfo,
  inputs: Record<string, string | GatheredHash[]>,
  sources?: Record<string, SourceDigest>,
): KeyParts {
  const outputs: Record<string, string> = {};
  for (const o of inst.step.outputs) outputs[o.name] = o.kind === "dir" ? `${o.file}/` : o.file;
  return {
    engine: { salt: ENGINE_SALT, runtime: RUNTIME, outputs },
    code: { ...code.files },
    npm: [...code.npm],
    params: structuredClone(inst.params),
    inputs,
    ...(sources && Object.keys(sources).length ? { sources: structuredClone(sources) } : {}),
  };
}

/** The key: hex SHA-256 of the canonical JSON of the parts. */
export function keyOf(parts: KeyParts): string {
  return sha256Hex(canonicalJson(parts));
}

/** One reason two sets of key parts differ. */
export interface PartChange {
  part: keyof KeyParts;
  /** A human sentence, e.g. `params changed (epochs: 2 → 3)`. */
  text: string;
  /** The names involved (files, packages, params, inputs). */
  names: string[];
}

function short(v: unknown): string {
  const s = v === undefined ? "(unset)" : canonicalJson(v);
  return s.length > 40 ? s.slice(0, 37) + "..." : s;
}

function diffMaps(
  old: Record<string, unknown>,
  cur: Record<string, unknown>,
): { changed: string[]; added: string[]; removed: string[] } {
  const changed: string[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  for (const k of Object.keys(cur).sort()) {
    if (!(k in old)) added.push(k);
    else if (canonicalJson(old[k]) !== canonicalJson(cur[k])) changed.push(k);
  }
  for (const k of Object.keys(old).sort()) if (!(k in cur)) removed.push(k);
  return { changed, added, removed };
}

/**
 * Why `cur` differs from `old`, part by part (empty when the keys are equal).
 * `sourceRoots` (source input name -> where it lies now) turns a changed
 * source file into its path, e.g. `source changed: /data/mnist/train-images-idx3-ubyte`.
 */
export function diffParts(
  old: Partial<KeyParts>,
  cur: Partial<KeyParts>,
  sourceRoots: Record<string, string> = {},
): PartChange[] {
  const out: PartChange[] = [];
  if (old.engine && cur.engine && canonicalJson(old.engine) !== canonicalJson(cur.engine)) {
    const names: string[] = [];
    if (old.engine.salt !== cur.engine.salt) {
      names.push(`engine ${old.engine.salt} → ${cur.engine.salt}`);
    }
    if (old.engine.runtime !== cur.engine.runtime) {
      names.push(`runtime ${old.engine.runtime ?? "(unrecorded)"} → ${cur.engine.runtime}`);
    }
    const d = diffMaps(old.engine.outputs, cur.engine.outputs);
    names.push(...d.changed, ...d.added.map((x) => `+${x}`), ...d.removed.map((x) => `-${x}`));
    out.push({
      part: "engine",
      text: `declared outputs, engine or runtime version changed (${names.join(", ")})`,
      names,
    });
  }
  if (old.code && cur.code) {
    const d = diffMaps(old.code, cur.code);
    const names = [...d.changed, ...d.added, ...d.removed];
    if (names.length) {
      const bits = [
        ...d.changed,
        ...d.added.map((x) => `${x} (new)`),
        ...d.removed.map((x) => `${x} (no longer used)`),
      ];
      out.push({ part: "code", text: `code changed: ${bits.join(", ")}`, names });
    }
  }
  if (old.npm && cur.npm && canonicalJson(old.npm) !== canonicalJson(cur.npm)) {
    const added = cur.npm.filter((x) => !old.npm!.includes(x));
    const removed = old.npm.filter((x) => !cur.npm!.includes(x));
    const bits = [...removed.map((x) => `-${x}`), ...added.map((x) => `+${x}`)];
    out.push({
      part: "npm",
      text: `npm packages changed: ${bits.join(", ")}`,
      names: [...removed, ...added],
    });
  }
  if (old.params && cur.params) {
    const d = diffMaps(old.params, cur.params);
    const names = [...d.changed, ...d.added, ...d.removed];
    if (names.length) {
      const bits = names.map((k) => `${k}: ${short(old.params![k])} → ${short(cur.params![k])}`);
      out.push({ part: "params", text: `params changed (${bits.join(", ")})`, names });
    }
  }
  if (old.inputs && cur.inputs) {
    const d = diffMaps(old.inputs, cur.inputs);
    const names = [...d.changed, ...d.added, ...d.removed];
    if (names.length) {
      const bits = names.map((n) => {
        const o = old.inputs![n];
        const c = cur.inputs![n];
        if (Array.isArray(o) && Array.isArray(c)) {
          const oi = new Map(o.map((g) => [g.id, g.hash]));
          const ci = new Map(c.map((g) => [g.id, g.hash]));
          const which = [
            ...[...ci.keys()].filter((id) => oi.has(id) && oi.get(id) !== ci.get(id)),
            ...[...ci.keys()].filter((id) => !oi.has(id)).map((id) => `+${id}`),
            ...[...oi.keys()].filter((id) => !ci.has(id)).map((id) => `-${id}`),
          ];
          return `${n} (${which.join(", ")})`;
        }
        return n;
      });
      out.push({ part: "inputs", text: `input changed: ${bits.join(", ")}`, names });
    }
  }
  const sc = sourceChanges(old, cur, sourceRoots);
  if (sc) out.push(sc);
  return out;
}

/** The changed files of sources, as paths (a source that stopped or started being read, by name). */
function sourceChanges(
  old: Partial<KeyParts>,
  cur: Partial<KeyParts>,
  roots: Record<string, string>,
): PartChange | undefined {
  // Parts written before sources existed have none: compare them only when either side has some.
  if (!old.engine || !cur.engine || (!old.sources && !cur.sources)) return undefined;
  const o = old.sources ?? {};
  const c = cur.sources ?? {};
  const bits: string[] = [];
  const names: string[] = [];
  for (const n of [...new Set([...Object.keys(o), ...Object.keys(c)])].sort()) {
    const before = bits.length;
    if (!(n in o)) bits.push(`${n} (now read)`);
    else if (!(n in c)) bits.push(`${n} (no longer read)`);
    else {
      const at = (rel: string) => {
        const root = roots[n];
        if (!root) return `${n}/${rel}`;
        return c[n].kind === "file" ? root : `${root}/${rel}`;
      };
      const d = diffMaps(o[n].files, c[n].files);
      bits.push(
        ...d.changed.map(at),
        ...d.added.map((r) => `${at(r)} (new)`),
        ...d.removed.map((r) => `${at(r)} (removed)`),
      );
      if (o[n].kind !== c[n].kind && d.changed.length + d.added.length + d.removed.length === 0) {
        bits.push(`${roots[n] ?? n} (now a ${c[n].kind === "dir" ? "directory" : "file"})`);
      }
    }
    if (bits.length > before) names.push(n);
  }
  if (bits.length === 0) return undefined;
  return { part: "sources", text: `source changed: ${bits.join(", ")}`, names };
}
