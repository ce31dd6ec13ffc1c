/**
 * Declared parameter types: the small schema a parameter (or a matrix axis)
 * may carry in `pipeline.yaml`, how it is read, and the check of a value
 * against it at the value's own line and column. A type never enters a cache
 * key: only values do.
 *
 * @module
 */

import { suggestion } from "./diagnostics.ts";
import type { YMap, YNode } from "./yaml_source.ts";
import type { YamlChecker } from "./yaml_checker.ts";

/** The scalar kinds a list or map may hold, and the `type:` names. */
export const TYPE_NAMES = [
  "integer",
  "number",
  "boolean",
  "string",
  "enum",
  "list",
  "map",
  "any",
] as const;
/** One of the `type:` names. */
export type TypeName = typeof TYPE_NAMES[number];

/** A declared type (what `type:` and its companions say). */
export interface ParamType {
  type: TypeName;
  /** null is allowed as well (e.g. "null: the default"). */
  nullable?: boolean;
  /** Inclusive and exclusive bounds of an integer or number. */
  min?: number;
  max?: number;
  minExclusive?: number;
  maxExclusive?: number;
  /** The allowed values of an enum (scalars). */
  choices?: (string | number | boolean)[];
  /** A regular expression every string must match (anywhere, unless anchored). */
  pattern?: string;
  /** Bounds on the length of a string or list, or the entries of a map. */
  minLength?: number;
  maxLength?: number;
  /** The type of every item of a list or value of a map. */
  items?: ParamType;
  /** What a map's keys must look like (YAML keys are strings; `integer` means digits). */
  keys?: "string" | "integer";
  description?: string;
}

/** Keys of a declaration in `params:` (the type's keys plus `value`). */
const DECL_KEYS = [
  "value",
  "type",
  "description",
  "nullable",
  "min",
  "max",
  "min_exclusive",
  "max_exclusive",
  "choices",
  "pattern",
  "length",
  "min_length",
  "max_length",
  "items",
  "keys",
];

/** Which companion keys each type accepts. */
const ALLOWED: Record<TypeName, string[]> = {
  integer: ["min", "max", "min_exclusive", "max_exclusive"],
  number: ["min", "max", "min_exclusive", "max_exclusive"],
  boolean: [],
  string: ["pattern", "length", "min_length", "max_length"],
  enum: ["choices"],
  list: ["items", "length", "min_length", "max_length"],
  map: ["items", "keys", "length", "min_length", "max_length"],
  any: [],
};

const COMMON = ["type", "description", "nullable"];
const ITEM_KINDS: TypeName[] = ["integer", "number", "boolean", "string", "enum"];

/**
 * True when a `params:` entry is a declaration (a mapping with a `type` or
 * `value` key) rather than a plain, untyped value.
 */
export function isDeclaration(node: YNode): node is YMap {
  return node.kind === "map" && node.entries.some((e) => e.key === "type" || e.key === "value");
}

/**
 * Reads a type from a mapping (`{type: integer, min: 1}`); `extra` are keys
 * the caller handles (`value` in `params:`, `values` on an axis). Problems
 * are reported at their positions; undefined when the type is unusable.
 */
export function readType(
  v: YamlChecker,
  m: YMap,
  what: string,
  extra: string[],
  scalarOnly = false,
): ParamType | undefined {
  const typeE = v.entry(m, "type");
  if (!typeE) {
    v.error(
      m.pos,
      `${what} must say its 'type'`,
      `one of ${TYPE_NAMES.join(", ")}; a plain mapping value with a key 'value' or 'type' ` +
        `is written as '{ type: map, value: {...} }'`,
    );
    return undefined;
  }
  const names = scalarOnly ? ITEM_KINDS : TYPE_NAMES;
  const tn = typeE.value;
  if (
    tn.kind !== "scalar" || typeof tn.value !== "string" || !names.includes(tn.value as TypeName)
  ) {
    const got = tn.kind === "scalar" ? String(tn.value) : "";
    v.error(
      tn.pos,
      `${what}: unknown type ${tn.kind === "scalar" ? JSON.stringify(tn.value) : "(not a name)"}`,
      suggestion(got, [...names], "types") || `types: ${names.join(", ")}`,
    );
    return undefined;
  }
  const type = tn.value as TypeName;
  const allowed = [...COMMON, ...ALLOWED[type], ...extra];
  for (const e of m.entries) {
    if (allowed.includes(e.key)) continue;
    const known = DECL_KEYS.includes(e.key) || e.key === "values";
    v.error(
      e.keyPos,
      known
        ? `${what}: '${e.key}' does not apply to type '${type}'`
        : `unknown key '${e.key}' in ${what}`,
      known
        ? `type '${type}' takes ${[...COMMON, ...ALLOWED[type]].join(", ")}`
        : suggestion(e.key, allowed, "keys"),
    );
  }
  const t: ParamType = { type };
  let ok = true;
  const num = (key: string): number | undefined => {
    const e = v.entry(m, key);
    if (!e) return undefined;
    const n = e.value;
    if (n.kind === "scalar" && typeof n.value === "number" && Number.isFinite(n.value)) {
      return n.value;
    }
    v.error(n.pos, `${what}: '${key}' must be a number, got ${shown(n)}`);
    ok = false;
    return undefined;
  };
  const count = (key: string): number | undefined => {
    const n = num(key);
    if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0)) {
      v.error(v.entry(m, key)!.value.pos, `${what}: '${key}' must be an integer >= 0, got ${n}`);
      ok = false;
      return undefined;
    }
    return n;
  };
  const nullableE = v.entry(m, "nullable");
  if (nullableE) {
    const n = nullableE.value;
    if (n.kind === "scalar" && typeof n.value === "boolean") {
      if (n.value) t.nullable = true;
    } else {
      v.error(n.pos, `${what}: 'nullable' must be true or false, got ${shown(n)}`);
      ok = false;
    }
  }
  const descE = v.entry(m, "description");
  if (descE) t.description = v.string(descE.value, `the description of ${what}`);
  if (type === "integer" || type === "number") {
    const bounds = {
      min: num("min"),
      max: num("max"),
      minExclusive: num("min_exclusive"),
      maxExclusive: num("max_exclusive"),
    };
    for (const [k, x] of Object.entries(bounds)) if (x !== undefined) Object.assign(t, { [k]: x });
  }
  if (["string", "list", "map"].includes(type)) {
    const len = count("length");
    const minL = count("min_length");
    const maxL = count("max_length");
    if (len !== undefined) [t.minLength, t.maxLength] = [len, len];
    if (minL !== undefined) t.minLength = minL;
    if (maxL !== undefined) t.maxLength = maxL;
  }
  if (type === "string") {
    const pe = v.entry(m, "pattern");
    if (pe) {
      const p = v.string(pe.value, `the pattern of ${what}`);
      try {
        if (p !== undefined) new RegExp(p, "u");
        t.pattern = p;
      } catch (e) {
        v.error(pe.value.pos, `${what}: bad pattern: ${(e as Error).message}`);
        ok = false;
      }
    }
  }
  if (type === "enum") {
    const ce = v.entry(m, "choices");
    const s = ce ? v.seq(ce.value, `the choices of ${what}`) : undefined;
    if (!ce) v.error(m.pos, `${what}: type 'enum' needs 'choices: [...]'`);
    if (!s || s.items.length === 0) {
      if (s) v.error(s.pos, `${what}: 'choices' must list at least one value`);
      return undefined;
    }
    t.choices = [];
    for (const item of s.items) {
      if (item.kind !== "scalar" || item.value === null) {
        v.error(
          item.pos,
          `${what}: a choice must be a string, number or boolean, got ${shown(item)}`,
        );
        ok = false;
      } else t.choices.push(item.value);
    }
  }
  if (type === "list" || type === "map") {
    const ie = v.entry(m, "items");
    if (ie) {
      const n = ie.value;
      if (n.kind === "scalar" && typeof n.value === "string") {
        // `items: number` is short for `items: { type: number }`.
        if (ITEM_KINDS.includes(n.value as TypeName) && n.value !== "enum") {
          t.items = { type: n.value as TypeName };
        } else {
          v.error(
            n.pos,
            `${what}: unknown item type '${n.value}'`,
            suggestion(n.value, ITEM_KINDS, "types"),
          );
          ok = false;
        }
      } else if (n.kind === "map") {
        t.items = readType(v, n, `the items of ${what}`, [], true);
        if (!t.items) ok = false;
      } else {
        v.error(n.pos, `${what}: 'items' must be a type name or a mapping, got ${shown(n)}`);
        ok = false;
      }
    }
  }
  if (type === "map") {
    const ke = v.entry(m, "keys");
    if (ke) {
      const n = ke.value;
      if (n.kind === "scalar" && (n.value === "string" || n.value === "integer")) t.keys = n.value;
      else {
        v.error(n.pos, `${what}: 'keys' must be string or integer, got ${shown(n)}`);
        ok = false;
      }
    }
  }
  return ok ? t : undefined;
}

/** A value as messages show it: JSON for scalars, "a mapping" or "a list" otherwise. */
export function shown(node: YNode): string {
  if (node.kind === "map") return "a mapping";
  if (node.kind === "seq") return "a list";
  return JSON.stringify(node.value);
}

/** What a value of type `t` must be, as a phrase: "an integer >= 1", "null or a number in (0, 1)". */
export function expected(t: ParamType): string {
  const base = (): string => {
    switch (t.type) {
      case "integer":
      case "number":
        return `${t.type === "integer" ? "an integer" : "a number"}${bounds(t)}`;
      case "boolean":
        return "true or false";
      case "string": {
        const parts = [
          t.pattern !== undefined ? `matching ${JSON.stringify(t.pattern)}` : "",
          lengths(t, "characters"),
        ];
        return ["a string", ...parts.filter((x) => x)].join(" ");
      }
      case "enum":
        return `one of ${t.choices!.map((c) => JSON.stringify(c)).join(", ")}`;
      case "list":
        return ["a list", lengths(t, "items"), t.items ? `of ${plural(t.items)}` : ""]
          .filter((x) => x).join(" ");
      case "map":
        return [
          "a mapping",
          lengths(t, "entries"),
          t.keys === "integer" ? "from integers" : "",
          t.items ? `to ${plural(t.items)}` : "",
        ].filter((x) => x).join(" ");
      case "any":
        return "any JSON value";
    }
  };
  return t.nullable ? `null or ${base()}` : base();
}

function plural(t: ParamType): string {
  const e = expected({ ...t, nullable: false });
  return e.replace(/^an? /, "").replace(/^(integer|number|string)/, "$1s");
}

function bounds(t: ParamType): string {
  const lo = t.minExclusive !== undefined
    ? ["(", t.minExclusive] as const
    : t.min !== undefined
    ? ["[", t.min] as const
    : undefined;
  const hi = t.maxExclusive !== undefined
    ? [")", t.maxExclusive] as const
    : t.max !== undefined
    ? ["]", t.max] as const
    : undefined;
  if (lo && hi) return ` in ${lo[0]}${lo[1]}, ${hi[1]}${hi[0]}`;
  if (lo) return ` ${lo[0] === "(" ? ">" : ">="} ${lo[1]}`;
  if (hi) return ` ${hi[0] === ")" ? "<" : "<="} ${hi[1]}`;
  return "";
}

function lengths(t: ParamType, unit: string): string {
  if (t.minLength === undefined && t.maxLength === undefined) return "";
  if (t.minLength === t.maxLength) return `of exactly ${t.minLength} ${unit}`;
  if (t.maxLength === undefined) return `of at least ${t.minLength} ${unit}`;
  if (t.minLength === undefined) return `of at most ${t.maxLength} ${unit}`;
  return `of ${t.minLength} to ${t.maxLength} ${unit}`;
}

function inRange(t: ParamType, x: number): boolean {
  return (t.min === undefined || x >= t.min) && (t.max === undefined || x <= t.max) &&
    (t.minExclusive === undefined || x > t.minExclusive) &&
    (t.maxExclusive === undefined || x < t.maxExclusive);
}

function lengthOk(t: ParamType, n: number): boolean {
  return (t.minLength === undefined || n >= t.minLength) &&
    (t.maxLength === undefined || n <= t.maxLength);
}

/**
 * Checks a value (its YAML node, so nested problems point at the nested
 * value) against a type; reports each problem as
 * `<what> must be <expected>, got <value>` and returns true when it fits.
 *
 * @example
 * ```ts ignore
 * checkValue(v, node, { type: "integer", min: 1 }, "parameter 'epochs'");
 * // pipeline.yaml:12:11: parameter 'epochs' must be an integer >= 1, got -3
 * ```
 */
export function checkValue(v: YamlChecker, node: YNode, t: ParamType, what: string): boolean {
  const fail = (): boolean => {
    v.error(node.pos, `${what} must be ${expected(t)}, got ${shown(node)}`);
    return false;
  };
  if (node.kind === "scalar" && node.value === null) {
    return t.nullable || t.type === "any" ? true : fail();
  }
  const x = node.kind === "scalar" ? node.value : undefined;
  switch (t.type) {
    case "any":
      return true;
    case "integer":
      return typeof x === "number" && Number.isSafeInteger(x) && inRange(t, x) ? true : fail();
    case "number":
      return typeof x === "number" && Number.isFinite(x) && inRange(t, x) ? true : fail();
    case "boolean":
      return typeof x === "boolean" ? true : fail();
    case "string":
      return typeof x === "string" && lengthOk(t, [...x].length) &&
          (t.pattern === undefined || new RegExp(t.pattern, "u").test(x))
        ? true
        : fail();
    case "enum":
      return x !== undefined && t.choices!.includes(x as string) ? true : fail();
    case "list": {
      if (node.kind !== "seq" || !lengthOk(t, node.items.length)) return fail();
      let ok = true;
      for (const [i, item] of node.items.entries()) {
        if (t.items && !checkValue(v, item, t.items, `${what} item ${i + 1}`)) ok = false;
      }
      return ok;
    }
    case "map": {
      if (node.kind !== "map" || !lengthOk(t, node.entries.length)) return fail();
      let ok = true;
      for (const e of node.entries) {
        if (t.keys === "integer" && !/^-?\d+$/.test(e.key)) {
          v.error(e.keyPos, `${what}: key '${e.key}' must be an integer`);
          ok = false;
        }
        if (t.items && !checkValue(v, e.value, t.items, `${what} entry '${e.key}'`)) ok = false;
      }
      return ok;
    }
  }
}
