/**
 * YAML in, a small position-tagged tree out. This is the only module that
 * touches the YAML library, so swapping it (e.g. back to @std/yaml plus a
 * position pass) is a one-file change.
 *
 * @module
 */

import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  type YAMLMap,
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

/** A problem found while reading the YAML (syntax, aliases, unsupported nodes). */
export interface YamlProblem {
  pos: Pos;
  message: string;
  hint?: string;
}

/**
 * How many nodes alias expansion may add to the tree. A pipeline file that
 * repeats a block through aliases adds hundreds; nested aliases grow
 * exponentially ("billion laughs"), and without a bound the expansion runs
 * for minutes and gigabytes before anything can report it.
 */
export const MAX_ALIAS_NODES = 100_000;

/** How deeply mappings and sequences may nest (deeper would overflow the stack). */
export const MAX_DEPTH = 500;

/** Ends the conversion at once: the tree past this point would be unbounded. */
class StopConversion extends Error {}

/** Parses YAML text into a position-tagged tree; problems are returned, not thrown. */
export function parseYaml(text: string): { root: YNode | null; problems: YamlProblem[] } {
  const lc = new LineCounter();
  const problems: YamlProblem[] = [];
  const at = (offset: number | undefined): Pos => {
    const p = lc.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  let doc;
  try {
    doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { root: null, problems: [tooDeep({ line: 1, col: 1 })] };
  }
  for (const e of doc.errors) {
    problems.push({ pos: at(e.pos[0]), message: e.message.split("\n")[0] });
  }
  if (problems.length > 0) return { root: null, problems };
  const conv = new Converter(doc, at, problems);
  let root: YNode | null = null;
  try {
    root = doc.contents === null ? null : conv.convert(doc.contents, { line: 1, col: 1 });
  } catch (e) {
    if (!(e instanceof StopConversion)) throw e;
    return { root: null, problems };
  }
  return { root, problems };
}

function tooDeep(pos: Pos): YamlProblem {
  return {
    pos,
    message: `mappings and lists nest deeper than ${MAX_DEPTH} levels`,
    hint: "a pipeline file needs a few levels",
  };
}

/**
 * The YAML library's nodes to our tree, expanding aliases (bounded, cycles
 * refused) and YAML 1.1 merge keys (`<<: *base`).
 */
class Converter {
  /** Nodes added by alias expansion so far. */
  private expanded = 0;
  /** The alias written outside any other alias that is being expanded, where a bomb is reported. */
  private outerAlias: { pos: Pos; source: string } | undefined;
  /** Nodes being converted (the current node and its ancestors): an alias to one is a cycle. */
  private readonly active = new Set<unknown>();
  private depth = 0;

  constructor(
    private readonly doc: Document,
    private readonly at: (offset: number | undefined) => Pos,
    private readonly problems: YamlProblem[],
  ) {}

  convert(node: unknown, fallback: Pos): YNode {
    if (node === null || node === undefined) return { kind: "scalar", pos: fallback, value: null };
    if (this.outerAlias && ++this.expanded > MAX_ALIAS_NODES) {
      this.problems.push({
        pos: this.outerAlias.pos,
        message:
          `aliases expand to more than ${MAX_ALIAS_NODES} nodes (at '*${this.outerAlias.source}')`,
        hint: "aliases that repeat aliases grow exponentially; write the repeated part once",
      });
      throw new StopConversion();
    }
    if (isAlias(node)) return this.alias(node, fallback);
    const n = node as Node;
    const pos = n.range ? this.at(n.range[0]) : fallback;
    if (isScalar(n)) return this.scalar(n, pos);
    if (!isMap(n) && !isSeq(n)) {
      this.problems.push({ pos, message: "unsupported YAML node" });
      return { kind: "scalar", pos, value: null };
    }
    if (++this.depth > MAX_DEPTH) {
      this.problems.push(tooDeep(pos));
      throw new StopConversion();
    }
    this.active.add(n);
    try {
      if (isSeq(n)) return { kind: "seq", pos, items: n.items.map((i) => this.convert(i, pos)) };
      return this.map(n, pos);
    } finally {
      this.active.delete(n);
      this.depth--;
    }
  }

  private alias(node: Alias, fallback: Pos): YNode {
    const pos = node.range ? this.at(node.range[0]) : fallback;
    const target = node.resolve(this.doc);
    if (target === undefined) {
      this.problems.push({
        pos,
        message: `unknown alias '*${node.source}'`,
        hint: `define the anchor '&${node.source}' before using it`,
      });
      return { kind: "scalar", pos, value: null };
    }
    if (this.active.has(target)) {
      this.problems.push({
        pos,
        message: `alias '*${node.source}' refers to a node that contains it`,
        hint: "a structure that contains itself has no finite value",
      });
      return { kind: "scalar", pos, value: null };
    }
    const outer = this.outerAlias === undefined;
    if (outer) this.outerAlias = { pos, source: node.source };
    try {
      return this.convert(target, pos);
    } finally {
      if (outer) this.outerAlias = undefined;
    }
  }

  private scalar(n: Scalar, pos: Pos): YNode {
    const v = n.value;
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
      return { kind: "scalar", pos, value: v };
    }
    if (typeof v === "bigint") return { kind: "scalar", pos, value: Number(v) };
    this.problems.push({ pos, message: "unsupported YAML value (tagged or binary scalar)" });
    return { kind: "scalar", pos, value: null };
  }

  /**
   * A mapping. A plain `<<` key merges the entries of the mapping (or list
   * of mappings) it names, as YAML 1.1 defines: explicit keys win wherever
   * they are written, and earlier mappings of a list win over later ones.
   */
  private map(n: YAMLMap, pos: Pos): YMap {
    const isMerge = (k: unknown) => isScalar(k) && k.value === "<<" && k.type === "PLAIN";
    const explicit = new Set<string>();
    for (const item of n.items) {
      if (isPair(item) && isScalar(item.key) && !isMerge(item.key)) {
        explicit.add(String(item.key.value));
      }
    }
    const taken = new Set<string>();
    const entries: YEntry[] = [];
    for (const item of n.items) {
      if (!isPair(item)) continue;
      const k = item.key;
      if (!isScalar(k)) {
        this.problems.push({ pos, message: "only plain keys are supported" });
        continue;
      }
      const keyPos = k.range ? this.at(k.range[0]) : pos;
      const value = this.convert(item.value, keyPos);
      if (!isMerge(k)) {
        entries.push({ key: String(k.value), keyPos, value });
        continue;
      }
      for (const source of this.mergeSources(value)) {
        for (const e of source.entries) {
          if (explicit.has(e.key) || taken.has(e.key)) continue;
          taken.add(e.key);
          entries.push(e);
        }
      }
    }
    return { kind: "map", pos, entries };
  }

  /** The mappings a merge key's value names (a mapping, or a list of them). */
  private mergeSources(value: YNode): YMap[] {
    const items = value.kind === "seq" ? value.items : [value];
    const bad = items.find((i) => i.kind !== "map");
    if (bad === undefined) return items as YMap[];
    this.problems.push({
      pos: bad.pos,
      message: `the merge key '<<' takes a mapping or a list of mappings, got ${
        bad.kind === "seq" ? "a list" : `${typeof bad.value} ${JSON.stringify(bad.value)}`
      }`,
      hint: "write '\"<<\"' in quotes for a key named <<",
    });
    return [];
  }
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
