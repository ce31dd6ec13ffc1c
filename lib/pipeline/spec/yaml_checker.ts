/**
 * Reading a pipeline file's YAML tree with every problem recorded at its
 * line and column: the shared readers of the validation sections
 * (`validate*.ts`, `executor_section.ts`).
 *
 * @module
 */

import { type Diagnostic, type Pos, suggestion } from "./diagnostics.ts";
import { toPlain, type YEntry, type YMap, type YNode, type YSeq } from "./yaml_source.ts";
import type { MatrixValue } from "./schema.ts";

/** Where files named by the pipeline are looked up (injected so unit tests need no files). */
export interface FileProbe {
  /** True if `relPath` (relative to the pipeline directory) is an existing regular file. */
  isFile(relPath: string): boolean;
  /** Files matching a glob relative to the pipeline directory. */
  glob(pattern: string): string[];
  /**
   * True if an existing `relPath` still lies inside the pipeline directory
   * once symlinks are resolved. Absent: no symlinks to follow (unit tests).
   */
  resolvesInside?(relPath: string): boolean;
}

export function describe(node: YNode): string {
  if (node.kind === "map") return "a mapping";
  if (node.kind === "seq") return "a list";
  if (node.value === null) return "nothing (null)";
  return `${typeof node.value} ${JSON.stringify(node.value)}`;
}

function isMatrixValue(node: YNode): boolean {
  return node.kind === "scalar" && node.value !== null &&
    (typeof node.value !== "number" || Number.isFinite(node.value));
}

/** Collects diagnostics while reading typed values out of YAML nodes. */
export class YamlChecker {
  diagnostics: Diagnostic[] = [];

  constructor(readonly file: string, readonly probe: FileProbe) {}

  error(pos: Pos | undefined, message: string, hint?: string): void {
    this.diagnostics.push({ file: this.file, pos, message, hint });
  }

  map(node: YNode, what: string): YMap | undefined {
    if (node.kind === "map") return node;
    this.error(node.pos, `${what} must be a mapping, got ${describe(node)}`);
    return undefined;
  }

  seq(node: YNode, what: string): YSeq | undefined {
    if (node.kind === "seq") return node;
    this.error(node.pos, `${what} must be a list, got ${describe(node)}`);
    return undefined;
  }

  string(node: YNode, what: string): string | undefined {
    if (node.kind === "scalar" && typeof node.value === "string" && node.value !== "") {
      return node.value;
    }
    this.error(node.pos, `${what} must be a non-empty string, got ${describe(node)}`);
    return undefined;
  }

  stringList(node: YNode, what: string): { value: string; pos: Pos }[] {
    const s = this.seq(node, what);
    if (!s) return [];
    const out: { value: string; pos: Pos }[] = [];
    for (const item of s.items) {
      const str = this.string(item, `an entry of ${what}`);
      if (str !== undefined) out.push({ value: str, pos: item.pos });
    }
    return out;
  }

  /** Reports unknown keys (with a did-you-mean) and missing required ones. */
  keys(m: YMap, allowed: string[], where: string, required: string[] = []): void {
    for (const e of m.entries) {
      if (!allowed.includes(e.key)) {
        this.error(e.keyPos, `unknown key '${e.key}' ${where}`, suggestion(e.key, allowed, "keys"));
      }
    }
    for (const r of required) {
      if (!m.entries.some((e) => e.key === r)) {
        this.error(m.pos, `missing required key '${r}' ${where}`);
      }
    }
  }

  entry(m: YMap, key: string): YEntry | undefined {
    return m.entries.find((e) => e.key === key);
  }

  /** A JSON-representable parameter value. */
  jsonValue(node: YNode, what: string): unknown {
    let ok = true;
    const walk = (n: YNode): void => {
      if (n.kind === "scalar") {
        if (typeof n.value === "number" && !Number.isFinite(n.value)) {
          this.error(n.pos, `${what}: ${n.value} is not representable in JSON`);
          ok = false;
        }
      } else if (n.kind === "seq") n.items.forEach(walk);
      else n.entries.forEach((e) => walk(e.value));
    };
    walk(node);
    return ok ? toPlain(node) : null;
  }

  matrixValues(node: YNode, what: string): MatrixValue[] | undefined {
    const s = this.seq(node, what);
    if (!s) return undefined;
    if (s.items.length === 0) {
      this.error(s.pos, `${what} must list at least one value`);
      return undefined;
    }
    const values: MatrixValue[] = [];
    let ok = true;
    for (const item of s.items) {
      if (!isMatrixValue(item)) {
        this.error(
          item.pos,
          `${what}: a matrix value must be a number, string or boolean, got ${describe(item)}`,
        );
        ok = false;
        continue;
      }
      const v = (item as { value: MatrixValue }).value;
      if (values.includes(v)) {
        this.error(item.pos, `${what}: duplicate value ${JSON.stringify(v)}`);
        ok = false;
        continue;
      }
      values.push(v);
    }
    return ok ? values : undefined;
  }
}
