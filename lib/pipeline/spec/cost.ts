/**
 * A step's cost model: `cost:` in pipeline.yaml, a formula for the CPU seconds of one instance
 * over its parameters (matrix values included) and the named constants of the file
 * `cost_constants:` names (per-unit costs measured on some machine, e.g. by a benchmark). The
 * engine only evaluates it; what the names mean is the study's business. Never part of a cache
 * key.
 *
 * Grammar: numbers, names, `+ - * / ^`, parentheses, the functions `min`, `max`, `ceil`,
 * `floor`, `sqrt`, `log`, `coalesce(a, b, ...)` (the first argument that is not null, for
 * nullable parameters) and `if(c, a, b)` (a when c is not 0), and `name == "text"` (1 or 0, for
 * string parameters).
 *
 * @module
 */

import { resolve } from "node:path";
import type { Instance } from "./expand.ts";
import type { PipelineSpec } from "./schema.ts";

/** A parsed formula. */
export type CostExpr =
  | { kind: "num"; value: number }
  | { kind: "eq"; name: string; text: string }
  | { kind: "name"; name: string }
  | { kind: "neg"; arg: CostExpr }
  | { kind: "bin"; op: "+" | "-" | "*" | "/" | "^"; a: CostExpr; b: CostExpr }
  | { kind: "call"; fn: string; args: CostExpr[] };

const FUNCTIONS: Record<string, (xs: number[]) => number> = {
  min: (xs) => Math.min(...xs),
  max: (xs) => Math.max(...xs),
  ceil: ([x]) => Math.ceil(x),
  floor: ([x]) => Math.floor(x),
  sqrt: ([x]) => Math.sqrt(x),
  log: ([x]) => Math.log(x),
};

/** Parses a formula; throws an Error saying what is wrong where. */
export function parseCost(src: string): CostExpr {
  const tokens =
    src.match(/\s*(\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|[A-Za-z_]\w*|"[^"]*"|==|\S)/g) ??
      [];
  const toks = tokens.map((t) => t.trim());
  let i = 0;
  const peek = () => toks[i];
  const fail = (what: string): never => {
    throw new Error(`cost formula '${src}': ${what}`);
  };
  const expect = (t: string) => {
    if (toks[i] !== t) fail(`expected '${t}' at '${toks[i] ?? "the end"}'`);
    i++;
  };
  const primary = (): CostExpr => {
    const t = toks[i++];
    if (t === undefined) return fail("unexpected end");
    if (t === "(") {
      const e = sum();
      expect(")");
      return e;
    }
    if (t === "-") return { kind: "neg", arg: power() };
    if (/^[\d.]/.test(t)) return { kind: "num", value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === "==") {
        i++;
        const lit = toks[i++];
        if (!lit?.startsWith('"')) fail(`expected a "text" after '${t} =='`);
        return { kind: "eq", name: t, text: lit.slice(1, -1) };
      }
      if (peek() !== "(") return { kind: "name", name: t };
      if (t !== "coalesce" && t !== "if" && !(t in FUNCTIONS)) fail(`unknown function '${t}'`);
      i++;
      const args = [sum()];
      while (peek() === ",") {
        i++;
        args.push(sum());
      }
      expect(")");
      return { kind: "call", fn: t, args };
    }
    return fail(`unexpected '${t}'`);
  };
  const power = (): CostExpr => {
    const a = primary();
    if (peek() !== "^") return a;
    i++;
    return { kind: "bin", op: "^", a, b: power() };
  };
  const product = (): CostExpr => {
    let a = power();
    while (peek() === "*" || peek() === "/") {
      const op = toks[i++] as "*" | "/";
      a = { kind: "bin", op, a, b: power() };
    }
    return a;
  };
  const sum = (): CostExpr => {
    let a = product();
    while (peek() === "+" || peek() === "-") {
      const op = toks[i++] as "+" | "-";
      a = { kind: "bin", op, a, b: product() };
    }
    return a;
  };
  const e = sum();
  if (i < toks.length) fail(`unexpected '${toks[i]}'`);
  return e;
}

/** The names a formula reads (parameters or constants). */
export function costNames(e: CostExpr, out = new Set<string>()): Set<string> {
  if (e.kind === "name" || e.kind === "eq") out.add(e.name);
  else if (e.kind === "neg") costNames(e.arg, out);
  else if (e.kind === "bin") {
    costNames(e.a, out);
    costNames(e.b, out);
  } else if (e.kind === "call") e.args.forEach((a) => costNames(a, out));
  return out;
}

/**
 * Evaluates a formula; `vars` maps names to numbers (or null, for coalesce). Throws when a
 * name is missing or not a number, or the result is not a finite number.
 */
export function evaluateCost(e: CostExpr, vars: Record<string, unknown>): number {
  const v = value(e, vars);
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new Error(`cost formula: the result is ${v}, not a finite number`);
  }
  return v;
}

function value(e: CostExpr, vars: Record<string, unknown>): number | null {
  switch (e.kind) {
    case "num":
      return e.value;
    case "eq":
      if (!(e.name in vars)) throw new Error(`cost formula: unknown name '${e.name}'`);
      return vars[e.name] === e.text ? 1 : 0;
    case "name": {
      if (!(e.name in vars)) throw new Error(`cost formula: unknown name '${e.name}'`);
      const x = vars[e.name];
      if (x === null) return null;
      if (typeof x !== "number") {
        throw new Error(`cost formula: '${e.name}' is ${JSON.stringify(x)}, not a number`);
      }
      return x;
    }
    case "neg":
      return -num(value(e.arg, vars), "-");
    case "bin": {
      const a = num(value(e.a, vars), e.op), b = num(value(e.b, vars), e.op);
      if (e.op === "+") return a + b;
      if (e.op === "-") return a - b;
      if (e.op === "*") return a * b;
      if (e.op === "/") return a / b;
      return a ** b;
    }
    case "call": {
      if (e.fn === "if") {
        if (e.args.length !== 3) throw new Error("cost formula: if takes (condition, then, else)");
        return value(e.args[num(value(e.args[0], vars), "if") !== 0 ? 1 : 2], vars);
      }
      const xs = e.args.map((a) => value(a, vars));
      if (e.fn === "coalesce") return xs.find((x) => x !== null) ?? null;
      return FUNCTIONS[e.fn](xs.map((x) => num(x, e.fn)));
    }
  }
}

function num(x: number | null, where: string): number {
  if (x === null) throw new Error(`cost formula: null in '${where}' (use coalesce)`);
  return x;
}

const constantsCache = new Map<string, Record<string, number>>();

/**
 * The named constants of the file `cost_constants:` names (`{ "constants": { name: number } }`,
 * path relative to the pipeline directory), read once; {} without one. Throws on a bad file.
 */
export function costConstants(spec: PipelineSpec): Record<string, number> {
  if (!spec.costConstants) return {};
  const file = resolve(spec.dir, spec.costConstants);
  let c = constantsCache.get(file);
  if (!c) {
    const raw = JSON.parse(Deno.readTextFileSync(file)) as { constants?: unknown };
    const m = raw.constants;
    if (typeof m !== "object" || m === null) {
      throw new Error(`${spec.costConstants}: expected { "constants": { name: number, ... } }`);
    }
    c = {};
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== "number") throw new Error(`${spec.costConstants}: '${k}' is not a number`);
      c[k] = v;
    }
    constantsCache.set(file, c);
  }
  return c;
}

/**
 * An instance's estimated CPU seconds from its step's `cost:`, over the constants, the
 * profile's parameter values (`params`: every parameter, so a formula may read what another
 * step consumes, e.g. a data set's size) and the instance's own (matrix values included); or
 * undefined when the step declares none. Throws when the formula cannot be evaluated.
 */
export function instanceCost(
  inst: Instance,
  constants: Record<string, number>,
  params: Record<string, unknown>,
): number | undefined {
  if (!inst.step.cost) return undefined;
  const vars = { ...constants, ...params, ...inst.matrix, ...inst.params };
  return evaluateCost(parseCost(inst.step.cost), vars);
}
