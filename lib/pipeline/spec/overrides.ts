/**
 * Command-line overrides (`--set NAME=VALUE`, `--set-matrix AXIS=V1,V2`) on
 * top of a profile: parsed as YAML, checked exactly like a profile's
 * overrides (names with did-you-mean, declared types and ranges), and turned
 * into one more profile of the loaded pipeline.
 *
 * @module
 */

import { applyProfile, countInstances, expand } from "./expand.ts";
import { type Diagnostic, formatDiagnostic, suggestion, UsageError } from "./diagnostics.ts";
import type { Pipeline } from "./load.ts";
import { checkValue } from "./param_types.ts";
import type { MatrixValue, ProfileSpec } from "./schema.ts";
import { YamlChecker } from "./yaml_checker.ts";
import { parseYaml, type YNode } from "./yaml_source.ts";

/** What the command line changes: parameter values and axis values. */
export interface Overrides {
  params: Record<string, unknown>;
  matrix: Record<string, MatrixValue[]>;
}

/** True when nothing is overridden. */
export function noOverrides(o: Overrides): boolean {
  return Object.keys(o.params).length === 0 && Object.keys(o.matrix).length === 0;
}

const NO_FILES = { isFile: () => false, glob: () => [] };

function splitFlag(flag: string, text: string, v: YamlChecker): [string, string] | undefined {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    v.error(undefined, `${flag} '${text}' must be NAME=VALUE`);
    return undefined;
  }
  return [text.slice(0, eq).trim(), text.slice(eq + 1)];
}

function parseValue(text: string, what: string, v: YamlChecker): YNode | undefined {
  const { root, problems } = parseYaml(text);
  for (const p of problems) v.error(p.pos, `${what}: YAML: ${p.message}`, p.hint);
  if (problems.length) return undefined;
  return root ?? { kind: "scalar", pos: { line: 1, col: 1 }, value: null };
}

/**
 * Parses and checks `--set` and `--set-matrix` values against the pipeline's
 * declarations; every problem is reported at once as a `UsageError` (exit 2,
 * nothing runs). A `--set-matrix` value is a flow list (`[4, 9]`) or bare
 * comma-separated values (`4,9`); a later flag for the same name wins.
 *
 * @example
 * ```ts ignore
 * parseOverrides(pipeline, ["epochs=3", "lr=0.005"], ["P=4,9"]);
 * // { params: { epochs: 3, lr: 0.005 }, matrix: { P: [4, 9] } }
 * ```
 */
export function parseOverrides(
  pipeline: Pipeline,
  sets: string[] = [],
  matrixSets: string[] = [],
): Overrides {
  const spec = pipeline.spec;
  const out: Overrides = { params: {}, matrix: {} };
  const problems: Diagnostic[] = [];
  for (const text of sets) {
    const v = new YamlChecker(`--set ${text}`, NO_FILES);
    const kv = splitFlag("--set", text, v);
    if (kv) {
      const [name, raw] = kv;
      if (!(name in spec.params)) {
        v.error(
          undefined,
          `unknown parameter '${name}'`,
          suggestion(name, Object.keys(spec.params), "parameters"),
        );
      } else {
        const what = `parameter '${name}'`;
        const node = parseValue(raw, what, v);
        if (node) {
          const value = v.jsonValue(node, what);
          const t = spec.paramTypes[name];
          if (t) checkValue(v, node, t, what);
          out.params[name] = value;
        }
      }
    }
    problems.push(...v.diagnostics);
  }
  const axisNames = spec.axes.map((a) => a.name);
  for (const text of matrixSets) {
    const v = new YamlChecker(`--set-matrix ${text}`, NO_FILES);
    const kv = splitFlag("--set-matrix", text, v);
    if (kv) {
      const [name, raw] = kv;
      const axis = spec.axes.find((a) => a.name === name);
      if (!axis) {
        v.error(undefined, `unknown axis '${name}'`, suggestion(name, axisNames, "axes"));
      } else {
        const what = `axis '${name}'`;
        const trimmed = raw.trim();
        const node = parseValue(trimmed.startsWith("[") ? trimmed : `[${trimmed}]`, what, v);
        const values = node ? v.matrixValues(node, what) : undefined;
        if (node?.kind === "seq" && axis.type) {
          for (const item of node.items) checkValue(v, item, axis.type, `a value of ${what}`);
        }
        if (values) out.matrix[name] = values;
      }
    }
    problems.push(...v.diagnostics);
  }
  if (problems.length) throw overrideError(problems);
  return out;
}

function overrideError(problems: Diagnostic[]): UsageError {
  const n = problems.length;
  // A position inside a one-word value says nothing the flag itself does not.
  const lines = problems.map((d) => formatDiagnostic({ ...d, pos: undefined }));
  return new UsageError(
    `${lines.join("\n")}\n${n} problem${n === 1 ? "" : "s"} in the overrides; nothing was run`,
  );
}

/**
 * The overrides that change something under `base` (a value equal to what
 * the profile already gives is dropped), so that two command lines giving
 * the same parameters name the same experiment.
 */
export function effectiveOverrides(pipeline: Pipeline, base: string, o: Overrides): Overrides {
  const { params, axes } = applyProfile(pipeline.spec, base);
  const same = (a: unknown, b: unknown) => sortedJson(a) === sortedJson(b);
  const out: Overrides = { params: {}, matrix: {} };
  for (const [k, val] of Object.entries(o.params)) {
    if (!same(params[k], val)) out.params[k] = val;
  }
  for (const [k, vals] of Object.entries(o.matrix)) {
    if (!same(axes.get(k), vals)) out.matrix[k] = vals;
  }
  return out;
}

/** JSON with sorted keys (for comparing values). */
function sortedJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(sortedJson).join(",")}]`;
  if (x && typeof x === "object") {
    const o = x as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(x ?? null);
}

/** Overrides as `name=value` words, sorted (for names, descriptions and tables). */
export function overrideWords(o: Overrides): string[] {
  return [
    ...Object.keys(o.params).sort().map((k) => `${k}=${sortedJson(o.params[k])}`),
    ...Object.keys(o.matrix).sort().map((k) => `${k}=${o.matrix[k].join(",")}`),
  ];
}

/**
 * Adds the profile `name` = `base` plus the overrides to the loaded pipeline
 * (the same pipeline object: the other commands see it like any profile),
 * after checking what loading checks for every profile: the instance limit
 * and that every input resolves. Problems are a `UsageError`.
 */
export function addOverrideProfile(
  pipeline: Pipeline,
  base: string,
  name: string,
  o: Overrides,
): ProfileSpec {
  const spec = pipeline.spec;
  const b = spec.profiles.get(base)!;
  const profile: ProfileSpec = {
    name,
    description: `${base} with ${overrideWords(o).join(" ")}`,
    params: { ...b.params, ...o.params },
    matrix: { ...b.matrix, ...o.matrix },
  };
  spec.profiles.set(name, profile);
  const problems: Diagnostic[] = [];
  const file = `--set/--set-matrix on profile '${base}'`;
  const { total } = countInstances(spec, name);
  if (total > spec.limits.instances) {
    problems.push({
      file,
      message: `${total} instances, more than the limit of ${spec.limits.instances}`,
      hint: "use fewer axis values, or raise 'limits: { instances: N }' in pipeline.yaml",
    });
  } else {
    for (const p of expand(spec, name, pipeline.order).problems) {
      problems.push({ file, message: p.message.replaceAll(`'${name}'`, "these overrides") });
    }
  }
  if (problems.length) {
    spec.profiles.delete(name);
    throw overrideError(problems);
  }
  return profile;
}
