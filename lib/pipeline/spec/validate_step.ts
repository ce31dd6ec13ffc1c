/**
 * Validation of one step of a pipeline file, section by section (module,
 * matrix, params, inputs, outputs, permissions, resources, code, publish,
 * archive, metrics).
 *
 * @module
 */

import { isAbsolute, normalize } from "node:path";
import { type Pos, suggestion } from "./diagnostics.ts";
import type { YEntry, YMap, YNode } from "./yaml_source.ts";
import {
  type AxisSpec,
  IDENT,
  type MatrixValue,
  OUTPUT_FILE,
  type OutputSpec,
  type PermissionSpec,
  type ProfileSpec,
  PUBLISH_NAME,
  STEP_NAME,
  type StepSpec,
} from "./schema.ts";
import { describe, type YamlChecker } from "./yaml_checker.ts";
import { parseCost } from "./cost.ts";
import { validateResources } from "./validate_resources.ts";
import { validateRetries } from "./validate_retries.ts";
import { validateArchive } from "./validate_archive.ts";
import { validateMetrics } from "./validate_metrics.ts";

const STEP_KEYS = [
  "module",
  "description",
  "matrix",
  "params",
  "inputs",
  "outputs",
  "permissions",
  "unstable",
  "resources",
  "retries",
  "code",
  "publish",
  "archive",
  "metrics",
  "cost",
];
const PERMISSION_KEYS = ["net", "read", "env"];
/** Deno 2's `--unstable-<name>` features (`deno run --help=unstable`). */
export const UNSTABLE_FEATURES = [
  "bare-node-builtins",
  "broadcast-channel",
  "byonm",
  "cron",
  "detect-cjs",
  "ffi",
  "fs",
  "http",
  "kv",
  "net",
  "no-legacy-abort",
  "node-globals",
  "otel",
  "process",
  "raw-imports",
  "sloppy-imports",
  "temporal",
  "unsafe-proto",
  "vsock",
  "webgpu",
  "worker-options",
];

/** One entry of `steps:`, section by section. */
export function validateStep(
  v: YamlChecker,
  e: YEntry,
  params: Record<string, unknown>,
  axes: AxisSpec[],
  profiles: Map<string, ProfileSpec>,
): StepSpec | undefined {
  const name = e.key;
  if (!STEP_NAME.test(name)) {
    v.error(e.keyPos, `bad step name '${name}'`, `step names match ${STEP_NAME.source}`);
  }
  const m = v.map(e.value, `step '${name}'`);
  if (!m) return undefined;
  const where = `in step '${name}'`;
  v.keys(m, STEP_KEYS, where, ["module", "outputs"]);
  const step: StepSpec = {
    name,
    pos: e.keyPos,
    module: "",
    matrix: [],
    params: [],
    inputs: [],
    outputs: [],
    permissions: { net: [], read: [], env: [] },
    resources: { cores: 1 },
    code: [],
  };

  stepModule(v, m, step);
  const desc = v.entry(m, "description");
  if (desc) step.description = v.string(desc.value, `the description of step '${name}'`);
  const costE = v.entry(m, "cost");
  if (costE) {
    const f = v.string(costE.value, `the cost of step '${name}'`);
    if (f !== undefined) {
      try {
        parseCost(f);
        step.cost = f;
      } catch (e) {
        v.error(costE.value.pos, (e as Error).message, "see docs/pipeline.md, 'Cost model'");
      }
    }
  }

  stepMatrix(v, m, step, axes, profiles);
  stepParams(v, m, step, params);
  stepInputs(v, m, step);
  stepOutputs(v, m, step);
  stepPermissions(v, m, step, axes.map((a) => a.name));
  stepUnstable(v, m, step);
  const resE = v.entry(m, "resources");
  if (resE) step.resources = validateResources(v, resE.value, name);
  const retE = v.entry(m, "retries");
  if (retE) step.retries = validateRetries(v, retE.value, name);
  stepCode(v, m, step);
  stepPublish(v, m, step);
  const arcE = v.entry(m, "archive");
  if (arcE) step.archive = validateArchive(v, arcE.value, step);
  const metE = v.entry(m, "metrics");
  if (metE) step.metrics = validateMetrics(v, metE.value, step);
  return step;
}

/** True if a relative path, as written, climbs out of the directory it is relative to. */
function climbsOut(path: string): boolean {
  const n = normalize(path);
  return isAbsolute(n) || n === ".." || n.startsWith("../");
}

/**
 * The module, which must exist inside the pipeline directory (symlinks
 * resolved): the runner grants a step read access to its module and runs it,
 * so a module elsewhere would run any file of the machine.
 */
function stepModule(v: YamlChecker, m: YMap, step: StepSpec): void {
  const name = step.name;
  const mod = v.entry(m, "module");
  if (mod) {
    const path = v.string(mod.value, `the module of step '${name}'`);
    if (path !== undefined) {
      step.module = path;
      const outside = `module '${path}' of step '${name}' is outside the pipeline directory`;
      if (climbsOut(path)) {
        v.error(
          mod.value.pos,
          outside,
          "write a path relative to the pipeline file's directory that stays inside it",
        );
      } else if (!v.probe.isFile(path)) {
        v.error(
          mod.value.pos,
          `module '${path}' of step '${name}' does not exist`,
          "paths are relative to the pipeline file's directory",
        );
      } else if (v.probe.resolvesInside && !v.probe.resolvesInside(path)) {
        v.error(
          mod.value.pos,
          outside,
          "it is a symlink (or under one) that leads out of the pipeline file's directory",
        );
      }
    }
  }
}

/** `matrix:`: the axes the step fans out over (all values, the first, or a subset). */
function stepMatrix(
  v: YamlChecker,
  m: YMap,
  step: StepSpec,
  axes: AxisSpec[],
  profiles: Map<string, ProfileSpec>,
): void {
  const name = step.name;
  const axisNames = axes.map((a) => a.name);
  const matE = v.entry(m, "matrix");
  if (matE) {
    const uses: { axis: string; pos: Pos; node?: YNode }[] = [];
    if (matE.value.kind === "seq") {
      for (const it of v.stringList(matE.value, `the matrix of step '${name}'`)) {
        uses.push({ axis: it.value, pos: it.pos });
      }
    } else if (matE.value.kind === "map") {
      for (const x of matE.value.entries) {
        uses.push({ axis: x.key, pos: x.keyPos, node: x.value });
      }
    } else {
      v.error(
        matE.value.pos,
        `the matrix of step '${name}' must be a list of axis names or a mapping axis -> all | first | [values]`,
      );
    }
    const seen = new Set<string>();
    for (const u of uses) {
      if (seen.has(u.axis)) {
        v.error(u.pos, `axis '${u.axis}' is listed twice in step '${name}'`);
        continue;
      }
      seen.add(u.axis);
      const axis = axes.find((a) => a.name === u.axis);
      if (!axis) {
        v.error(
          u.pos,
          `step '${name}' uses undefined axis '${u.axis}'`,
          suggestion(u.axis, axisNames, "axes"),
        );
        continue;
      }
      if (!u.node) {
        step.matrix.push({ axis: u.axis, pos: u.pos, mode: "all" });
        continue;
      }
      const n = u.node;
      if (n.kind === "scalar" && (n.value === "all" || n.value === "first")) {
        step.matrix.push({ axis: u.axis, pos: u.pos, mode: n.value });
        continue;
      }
      if (n.kind === "seq") {
        const values = v.matrixValues(n, `axis '${u.axis}' of step '${name}'`);
        if (!values) continue;
        const known = new Set<MatrixValue>(axis.values);
        for (const p of profiles.values()) for (const v of p.matrix[u.axis] ?? []) known.add(v);
        let ok = true;
        for (const [i, val] of values.entries()) {
          if (!known.has(val)) {
            ok = false;
            v.error(
              n.items[i].pos,
              `value ${JSON.stringify(val)} is not a value of axis '${u.axis}'`,
              `values: ${[...known].map((x) => JSON.stringify(x)).join(", ")}`,
            );
          }
        }
        if (ok) step.matrix.push({ axis: u.axis, pos: u.pos, mode: "values", values });
        continue;
      }
      v.error(
        n.pos,
        `axis '${u.axis}' of step '${name}' must be 'all', 'first' or a list of values, got ${
          describe(n)
        }`,
      );
    }
  }
}

/** `params:`: the declared parameters the step reads. */
function stepParams(
  v: YamlChecker,
  m: YMap,
  step: StepSpec,
  params: Record<string, unknown>,
): void {
  const name = step.name;
  const parE = v.entry(m, "params");
  if (parE) {
    for (const it of v.stringList(parE.value, `the params of step '${name}'`)) {
      if (!(it.value in params)) {
        v.error(
          it.pos,
          `step '${name}' declares undefined parameter '${it.value}'`,
          suggestion(it.value, Object.keys(params), "parameters"),
        );
      } else if (step.params.includes(it.value)) {
        v.error(it.pos, `parameter '${it.value}' is listed twice in step '${name}'`);
      } else step.params.push(it.value);
    }
  }
}

/** `inputs:` (their targets are checked once every step is known). */
function stepInputs(v: YamlChecker, m: YMap, step: StepSpec): void {
  const name = step.name;
  const inE = v.entry(m, "inputs");
  if (inE && !(inE.value.kind === "scalar" && inE.value.value === null)) {
    const im = v.map(inE.value, `the inputs of step '${name}'`);
    for (const x of im?.entries ?? []) {
      if (!IDENT.test(x.key)) {
        v.error(x.keyPos, `bad input name '${x.key}'`, `names match ${IDENT.source}`);
        continue;
      }
      const ref = v.string(x.value, `input '${x.key}' of step '${name}'`);
      if (ref === undefined) continue;
      const mm = /^([^.]+)\.([^.]+)$/.exec(ref);
      if (!mm) {
        v.error(
          x.value.pos,
          `input '${x.key}' of step '${name}' must be '<step>.<output>', got '${ref}'`,
        );
        continue;
      }
      step.inputs.push({ name: x.key, step: mm[1], output: mm[2], pos: x.value.pos });
    }
  }
}

/** `outputs:`: file or directory names, distinct. */
function stepOutputs(v: YamlChecker, m: YMap, step: StepSpec): void {
  const name = step.name;
  const outE = v.entry(m, "outputs");
  if (outE) {
    const om = v.map(outE.value, `the outputs of step '${name}'`);
    if (om && om.entries.length === 0) {
      v.error(om.pos, `step '${name}' must declare at least one output`);
    }
    const files = new Map<string, string>();
    for (const x of om?.entries ?? []) {
      if (!IDENT.test(x.key)) {
        v.error(x.keyPos, `bad output name '${x.key}'`, `names match ${IDENT.source}`);
        continue;
      }
      const f = v.string(x.value, `output '${x.key}' of step '${name}'`);
      if (f === undefined) continue;
      if (!OUTPUT_FILE.test(f)) {
        v.error(
          x.value.pos,
          `bad file name '${f}' for output '${x.key}' of step '${name}'`,
          "one path segment of letters, digits, '.', '_' or '-'; end it with '/' for a directory",
        );
        continue;
      }
      const kind = f.endsWith("/") ? "dir" : "file";
      const file = kind === "dir" ? f.slice(0, -1) : f;
      const other = files.get(file);
      if (other !== undefined) {
        v.error(
          x.value.pos,
          `outputs '${other}' and '${x.key}' of step '${name}' have the same file name '${file}'`,
        );
        continue;
      }
      files.set(file, x.key);
      step.outputs.push({ name: x.key, file, kind, pos: x.keyPos } satisfies OutputSpec);
    }
  }
}

/** `permissions:`: network, read and environment grants. */
function stepPermissions(v: YamlChecker, m: YMap, step: StepSpec, axisNames: string[]): void {
  const name = step.name;
  const permE = v.entry(m, "permissions");
  if (permE && !(permE.value.kind === "scalar" && permE.value.value === null)) {
    const pm = v.map(permE.value, `the permissions of step '${name}'`);
    if (pm) {
      v.keys(pm, PERMISSION_KEYS, `in the permissions of step '${name}'`);
      for (const kind of PERMISSION_KEYS as (keyof PermissionSpec)[]) {
        const pe = v.entry(pm, kind);
        if (!pe) continue;
        for (const it of v.stringList(pe.value, `permissions.${kind} of step '${name}'`)) {
          if (permissionEntry(v, step, kind, it.value, it.pos, axisNames)) {
            step.permissions[kind].push(it.value);
          }
        }
      }
    }
  }
}

/** `unstable:`: Deno unstable features for the step process, each known and listed once. */
function stepUnstable(v: YamlChecker, m: YMap, step: StepSpec): void {
  const e = v.entry(m, "unstable");
  if (!e) return;
  const seen = new Set<string>();
  for (const it of v.stringList(e.value, `the unstable features of step '${step.name}'`)) {
    if (!UNSTABLE_FEATURES.includes(it.value)) {
      v.error(
        it.pos,
        `unknown Deno unstable feature '${it.value}' in step '${step.name}'`,
        `write the name without '--unstable-': one of ${UNSTABLE_FEATURES.join(", ")}`,
      );
    } else if (seen.has(it.value)) {
      v.error(it.pos, `unstable feature '${it.value}' is listed twice in step '${step.name}'`);
    } else {
      seen.add(it.value);
    }
  }
  step.unstable = [...seen];
}

/** `code:`: globs of extra files in the step's key, inside the pipeline directory. */
function stepCode(v: YamlChecker, m: YMap, step: StepSpec): void {
  const name = step.name;
  const codeE = v.entry(m, "code");
  if (codeE) {
    for (const it of v.stringList(codeE.value, `the code of step '${name}'`)) {
      if (it.value.startsWith("/") || it.value.split("/").includes("..")) {
        v.error(
          it.pos,
          `code glob '${it.value}' must be relative to the pipeline directory and stay inside it`,
        );
        continue;
      }
      const files = v.probe.glob(it.value);
      if (files.length === 0) {
        v.error(it.pos, `code glob '${it.value}' of step '${name}' matches no file`);
        continue;
      }
      const escaping = files.find((f) => v.probe.resolvesInside && !v.probe.resolvesInside(f));
      if (escaping !== undefined) {
        v.error(
          it.pos,
          `code glob '${it.value}' of step '${name}' matches '${escaping}', which resolves outside the pipeline directory`,
          "a step's code must lie inside the pipeline file's directory; remove the symlink or narrow the glob",
        );
        continue;
      }
      step.code.push(it.value);
    }
  }
}

/** `publish:`: the directory under out/ the step's outputs are published to. */
function stepPublish(v: YamlChecker, m: YMap, step: StepSpec): void {
  const name = step.name;
  const pubE = v.entry(m, "publish");
  if (pubE) {
    const p = v.string(pubE.value, `'publish' of step '${name}'`);
    if (p !== undefined) {
      if (!PUBLISH_NAME.test(p)) {
        v.error(
          pubE.value.pos,
          `bad publish name '${p}'`,
          "one path segment of letters, digits, '.', '_' or '-'",
        );
      } else step.publish = p;
    }
  }
}

/** One grant: `${param}` references the step may use, and the grant's syntax. */
function permissionEntry(
  v: YamlChecker,
  step: StepSpec,
  kind: keyof PermissionSpec,
  value: string,
  pos: Pos,
  axisNames: string[],
): boolean {
  let ok = true;
  for (const mm of value.matchAll(/\$\{([^}]*)\}/g)) {
    const ref = mm[1];
    const usable = [...step.params, ...step.matrix.map((u) => u.axis)];
    if (!usable.includes(ref)) {
      ok = false;
      v.error(
        pos,
        `'\${${ref}}' in permissions.${kind} of step '${step.name}' is not a parameter of this step`,
        axisNames.includes(ref)
          ? `add axis '${ref}' to the step's matrix`
          : `declare it in the step's 'params'; usable here: ${usable.join(", ") || "none"}`,
      );
    }
  }
  const literal = value.replaceAll(/\$\{[^}]*\}/g, "x");
  if (literal.includes(",")) {
    v.error(
      pos,
      `permissions.${kind} entry '${value}' contains a comma`,
      "Deno permission lists are comma-separated",
    );
    ok = false;
  }
  if (kind === "env" && !/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(literal)) {
    v.error(pos, `bad environment variable name '${value}'`);
    ok = false;
  }
  if (kind === "net" && !/^[A-Za-z0-9.\-_:[\]]+$/.test(literal)) {
    v.error(pos, `bad network host '${value}'`, "write host, host:port or an IP address");
    ok = false;
  }
  return ok;
}
