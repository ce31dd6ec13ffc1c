/**
 * YAML in, a small position-tagged tree out. This is the only module that
 * touches the YAML library, so swapping it (e.g. back to @std/yaml plus a
 * position pass) is a one-file change.
 *
 * @module
 */

import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import type { Pos } from "./diagnostics.ts";

/** A YAML mapping with its entries in file order. */
export interface YMap {
  kind: "map";
  pos: Pos;
  entries: YEntry[];
}

/** One `key: value` of a mapping. */
export interface YEntry {
  key: string;
  keyPos: Pos;
  value: YNode;
}

/** A YAML sequence. */
export interface YSeq {
  kind: "seq";
  pos: Pos;
  items: YNode[];
}

/** A scalar: string, number, boolean or null (an empty value is null). */
export interface YScalar {
  kind: "scalar";
  pos: Pos;
  value: string | number | boolean | null;
}

/** A node of the parsed tree. */
export type YNode = YMap | YSeq | YScalar;

/** A syntax problem reported by the parser. */
export interface YamlProblem {
  pos: Pos;
  message: string;
}

/** Parses YAML text into a position-tagged tree; syntax problems are returned, not thrown. */
export function parseYaml(text: string): { root: YNode | null; problems: YamlProblem[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const problems: YamlProblem[] = [];
  for (const e of doc.errors) {
    const p = lc.linePos(e.pos[0]);
    problems.push({ pos: { line: p.line, col: p.col }, message: e.message.split("\n")[0] });
  }
  if (problems.length > 0) return { root: null, problems };
  const at = (offset: number | undefined): Pos => {
    const p = lc.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  const convert = (node: unknown, fallback: Pos): YNode => {
    if (node === null || node === undefined) return { kind: "scalar", pos: fallback, value: null };
    if (isAlias(node)) return convert(node.resolve(doc), fallback);
    const n = node as Node;
    const pos = n.range ? at(n.range[0]) : fallback;
    if (isMap(n)) {
      const entries: YEntry[] = [];
      for (const item of n.items) {
        if (!isPair(item)) continue;
        const k = item.key;
        let key: string;
        let keyPos = pos;
        if (isScalar(k)) {
          key = String(k.value);
          if (k.range) keyPos = at(k.range[0]);
        } else {
          problems.push({ pos, message: "only plain keys are supported" });
          continue;
        }
        entries.push({ key, keyPos, value: convert(item.value, keyPos) });
      }
      return { kind: "map", pos, entries };
    }
    if (isSeq(n)) {
      return { kind: "seq", pos, items: n.items.map((i) => convert(i, pos)) };
    }
    if (isScalar(n)) {
      const v = n.value;
      if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
        return { kind: "scalar", pos, value: v };
      }
      if (typeof v === "bigint") return { kind: "scalar", pos, value: Number(v) };
      problems.push({ pos, message: "unsupported YAML value (tagged or binary scalar)" });
      return { kind: "scalar", pos, value: null };
    }
    problems.push({ pos, message: "unsupported YAML node" });
    return { kind: "scalar", pos, value: null };
  };
  const root = doc.contents === null ? null : convert(doc.contents, { line: 1, col: 1 });
  return { root, problems };
}

/** Plain JS value of a node (mappings become objects, sequences arrays). */
export function toPlain(node: YNode): unknown {
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "seq":
      return node.items.map(toPlain);
    case "map": {
      const o: Record<string, unknown> = {};
      for (const e of node.entries) o[e.key] = toPlain(e.value);
      return o;
    }
  }
}
