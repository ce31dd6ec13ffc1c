/**
 * Structural validation of a pipeline file: YAML tree in, `PipelineSpec`
 * out, with every problem found reported at its line and column. Graph-level
 * checks (cycles, input resolution per profile) live in `load.ts`.
 *
 * @module
 */

import { type Diagnostic, type Pos, suggestion, suggestionWithList } from "./diagnostics.ts";
import { toPlain, type YEntry, type YMap, type YNode, type YSeq } from "./yaml_source.ts";
import { validateExecutorSection } from "./executor_section.ts";
import {
  type AxisSpec,
  IDENT,
  type MatrixValue,
  OUTPUT_FILE,
  type OutputSpec,
  type PermissionSpec,
  PIPELINE_VERSION,
  type PipelineSpec,
  type ProfileSpec,
  PUBLISH_NAME,
  type Resources,
  STEP_NAME,
  type StepSpec,
} from "./schema.ts";

const TOP_KEYS = [
  "version",
  "name",
  "description",
  "license",
  "default_profile",
  "params",
  "matrix",
  "steps",
  "profiles",
  "executor",
  "open",
];
const STEP_KEYS = [
  "module",
  "description",
  "matrix",
  "params",
  "inputs",
  "outputs",
  "permissions",
  "resources",
  "code",
  "publish",
  "archive",
];
const PERMISSION_KEYS = ["net", "read", "env"];
const RESOURCE_KEYS = ["cores", "memory", "time"];
const PROFILE_KEYS = ["description", "params", "matrix"];

/** Where files named by the pipeline are looked up (injected so unit tests need no files). */
export interface FileProbe {
  /** True if `relPath` (relative to the pipeline directory) is an existing regular file. */
  isFile(relPath: string): boolean;
  /** Files matching a glob relative to the pipeline directory. */
  glob(pattern: string): string[];
}

/** Result of structural validation: a spec when the file is usable, and all problems found. */
export interface ValidationResult {
  spec?: PipelineSpec;
  diagnostics: Diagnostic[];
}

/**
 * Validates the YAML tree of a pipeline file. `file` is the absolute path,
 * `displayFile` the name used in messages.
 */
export function validateTree(
  root: YNode | null,
  file: string,
  displayFile: string,
  dir: string,
  probe: FileProbe,
): ValidationResult {
  const v = new Validator(displayFile, probe);
  const spec = v.pipeline(root, file, dir);
  // The spec is returned even with problems, so graph checks can still report cycles.
  return { spec, diagnostics: v.diagnostics };
}

function describe(node: YNode): string {
  if (node.kind === "map") return "a mapping";
  if (node.kind === "seq") return "a list";
  if (node.value === null) return "nothing (null)";
  return `${typeof node.value} ${JSON.stringify(node.value)}`;
}

function isMatrixValue(node: YNode): boolean {
  return node.kind === "scalar" && node.value !== null &&
    (typeof node.value !== "number" || Number.isFinite(node.value));
}

class Validator {
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

  pipeline(root: YNode | null, file: string, dir: string): PipelineSpec | undefined {
    if (root === null) {
      this.error({ line: 1, col: 1 }, "the pipeline file is empty");
      return undefined;
    }
    const top = this.map(root, "the pipeline file");
    if (!top) return undefined;
    this.keys(top, TOP_KEYS, "at the top level", ["version", "steps"]);

    const versionE = this.entry(top, "version");
    if (
      versionE && !(versionE.value.kind === "scalar" && versionE.value.value === PIPELINE_VERSION)
    ) {
      this.error(
        versionE.value.pos,
        `unsupported version ${describe(versionE.value)}`,
        `this engine reads version ${PIPELINE_VERSION}`,
      );
    }

    // What archives say about the study.
    const about: { name?: string; description?: string; license?: string } = {};
    for (const key of ["name", "description", "license"] as const) {
      const e = this.entry(top, key);
      if (e) about[key] = this.string(e.value, `'${key}'`);
    }

    // Parameters.
    const params: Record<string, unknown> = {};
    const paramsE = this.entry(top, "params");
    if (paramsE && !(paramsE.value.kind === "scalar" && paramsE.value.value === null)) {
      const m = this.map(paramsE.value, "'params'");
      for (const e of m?.entries ?? []) {
        if (!IDENT.test(e.key)) {
          this.error(e.keyPos, `bad parameter name '${e.key}'`, `names match ${IDENT.source}`);
          continue;
        }
        params[e.key] = this.jsonValue(e.value, `parameter '${e.key}'`);
      }
    }

    // Matrix axes.
    const axes: AxisSpec[] = [];
    const matrixE = this.entry(top, "matrix");
    if (matrixE && !(matrixE.value.kind === "scalar" && matrixE.value.value === null)) {
      const m = this.map(matrixE.value, "'matrix'");
      for (const e of m?.entries ?? []) {
        if (!IDENT.test(e.key)) {
          this.error(e.keyPos, `bad axis name '${e.key}'`, `names match ${IDENT.source}`);
          continue;
        }
        if (e.key in params) {
          this.error(
            e.keyPos,
            `axis '${e.key}' has the name of a parameter`,
            "an instance's parameters include its matrix values, so the names must differ",
          );
        }
        const values = this.matrixValues(e.value, `axis '${e.key}'`);
        axes.push({ name: e.key, values: values ?? [], pos: e.keyPos });
      }
    }
    const axisNames = axes.map((a) => a.name);

    // Profiles (before steps: a step's value subset may name values only a profile defines).
    const profiles = new Map<string, ProfileSpec>();
    const profilesE = this.entry(top, "profiles");
    if (profilesE && !(profilesE.value.kind === "scalar" && profilesE.value.value === null)) {
      const m = this.map(profilesE.value, "'profiles'");
      for (const e of m?.entries ?? []) {
        profiles.set(e.key, this.profile(e, params, axisNames));
      }
    }
    if (!profiles.has("default")) {
      profiles.set("default", { name: "default", params: {}, matrix: {} });
    }

    let defaultProfile = "default";
    const dpE = this.entry(top, "default_profile");
    if (dpE) {
      const name = this.string(dpE.value, "'default_profile'");
      if (name !== undefined) {
        if (!profiles.has(name)) {
          this.error(
            dpE.value.pos,
            `default_profile '${name}' is not a profile`,
            suggestion(name, [...profiles.keys()], "profiles"),
          );
        } else defaultProfile = name;
      }
    }

    // Steps.
    const steps: StepSpec[] = [];
    const stepsE = this.entry(top, "steps");
    if (stepsE) {
      const m = this.map(stepsE.value, "'steps'");
      if (m && m.entries.length === 0) this.error(m.pos, "'steps' must define at least one step");
      for (const e of m?.entries ?? []) {
        const s = this.step(e, params, axes, profiles);
        if (s) steps.push(s);
      }
    }
    this.crossStep(steps);

    const execE = this.entry(top, "executor");
    const executor = execE ? validateExecutorSection(this, execE.value, parseDuration) : undefined;

    // `open: <publish name>/<file>`: the published file a successful reproduce points at.
    let open: string | undefined;
    const openE = this.entry(top, "open");
    if (openE) {
      const o = this.string(openE.value, "'open'");
      if (o !== undefined) {
        const [head, ...rest] = o.split("/");
        const names = steps.flatMap((s) => (s.publish ? [s.publish] : []));
        if (
          !names.includes(head) || rest.length === 0 || rest.some((x) => x === "" || x === "..")
        ) {
          this.error(
            openE.value.pos,
            `'open' must be '<publish name>/<file>' inside a published directory, got '${o}'`,
            names.length ? `published directories: ${names.join(", ")}` : "no step has 'publish:'",
          );
        } else open = o;
      }
    }

    return {
      file,
      displayFile: this.file,
      dir,
      version: PIPELINE_VERSION,
      ...about,
      defaultProfile,
      params,
      axes,
      steps,
      profiles,
      ...(executor ? { executor } : {}),
      ...(open ? { open } : {}),
    };
  }

  profile(e: YEntry, params: Record<string, unknown>, axisNames: string[]): ProfileSpec {
    const p: ProfileSpec = { name: e.key, pos: e.keyPos, params: {}, matrix: {} };
    if (!IDENT.test(e.key)) {
      this.error(e.keyPos, `bad profile name '${e.key}'`, `names match ${IDENT.source}`);
    }
    if (e.value.kind === "scalar" && e.value.value === null) return p;
    const m = this.map(e.value, `profile '${e.key}'`);
    if (!m) return p;
    this.keys(m, PROFILE_KEYS, `in profile '${e.key}'`);
    const d = this.entry(m, "description");
    if (d) p.description = this.string(d.value, `the description of profile '${e.key}'`);
    const pe = this.entry(m, "params");
    if (pe && !(pe.value.kind === "scalar" && pe.value.value === null)) {
      const pm = this.map(pe.value, `the params of profile '${e.key}'`);
      for (const x of pm?.entries ?? []) {
        if (!(x.key in params)) {
          this.error(
            x.keyPos,
            `profile '${e.key}' overrides unknown parameter '${x.key}'`,
            suggestion(x.key, Object.keys(params), "parameters"),
          );
          continue;
        }
        p.params[x.key] = this.jsonValue(x.value, `parameter '${x.key}' of profile '${e.key}'`);
      }
    }
    const me = this.entry(m, "matrix");
    if (me && !(me.value.kind === "scalar" && me.value.value === null)) {
      const mm = this.map(me.value, `the matrix of profile '${e.key}'`);
      for (const x of mm?.entries ?? []) {
        if (!axisNames.includes(x.key)) {
          this.error(
            x.keyPos,
            `profile '${e.key}' overrides unknown axis '${x.key}'`,
            suggestion(x.key, axisNames, "axes"),
          );
          continue;
        }
        const values = this.matrixValues(x.value, `axis '${x.key}' of profile '${e.key}'`);
        if (values) p.matrix[x.key] = values;
      }
    }
    return p;
  }

  step(
    e: YEntry,
    params: Record<string, unknown>,
    axes: AxisSpec[],
    profiles: Map<string, ProfileSpec>,
  ): StepSpec | undefined {
    const name = e.key;
    if (!STEP_NAME.test(name)) {
      this.error(e.keyPos, `bad step name '${name}'`, `step names match ${STEP_NAME.source}`);
    }
    const m = this.map(e.value, `step '${name}'`);
    if (!m) return undefined;
    const where = `in step '${name}'`;
    this.keys(m, STEP_KEYS, where, ["module", "outputs"]);
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

    const mod = this.entry(m, "module");
    if (mod) {
      const path = this.string(mod.value, `the module of step '${name}'`);
      if (path !== undefined) {
        step.module = path;
        if (!this.probe.isFile(path)) {
          this.error(
            mod.value.pos,
            `module '${path}' of step '${name}' does not exist`,
            "paths are relative to the pipeline file's directory",
          );
        }
      }
    }
    const desc = this.entry(m, "description");
    if (desc) step.description = this.string(desc.value, `the description of step '${name}'`);

    // Matrix.
    const axisNames = axes.map((a) => a.name);
    const matE = this.entry(m, "matrix");
    if (matE) {
      const uses: { axis: string; pos: Pos; node?: YNode }[] = [];
      if (matE.value.kind === "seq") {
        for (const it of this.stringList(matE.value, `the matrix of step '${name}'`)) {
          uses.push({ axis: it.value, pos: it.pos });
        }
      } else if (matE.value.kind === "map") {
        for (const x of matE.value.entries) {
          uses.push({ axis: x.key, pos: x.keyPos, node: x.value });
        }
      } else {
        this.error(
          matE.value.pos,
          `the matrix of step '${name}' must be a list of axis names or a mapping axis -> all | first | [values]`,
        );
      }
      const seen = new Set<string>();
      for (const u of uses) {
        if (seen.has(u.axis)) {
          this.error(u.pos, `axis '${u.axis}' is listed twice in step '${name}'`);
          continue;
        }
        seen.add(u.axis);
        const axis = axes.find((a) => a.name === u.axis);
        if (!axis) {
          this.error(
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
          const values = this.matrixValues(n, `axis '${u.axis}' of step '${name}'`);
          if (!values) continue;
          const known = new Set<MatrixValue>(axis.values);
          for (const p of profiles.values()) for (const v of p.matrix[u.axis] ?? []) known.add(v);
          let ok = true;
          for (const [i, v] of values.entries()) {
            if (!known.has(v)) {
              ok = false;
              this.error(
                n.items[i].pos,
                `value ${JSON.stringify(v)} is not a value of axis '${u.axis}'`,
                `values: ${[...known].map((x) => JSON.stringify(x)).join(", ")}`,
              );
            }
          }
          if (ok) step.matrix.push({ axis: u.axis, pos: u.pos, mode: "values", values });
          continue;
        }
        this.error(
          n.pos,
          `axis '${u.axis}' of step '${name}' must be 'all', 'first' or a list of values, got ${
            describe(n)
          }`,
        );
      }
    }

    // Params.
    const parE = this.entry(m, "params");
    if (parE) {
      for (const it of this.stringList(parE.value, `the params of step '${name}'`)) {
        if (!(it.value in params)) {
          this.error(
            it.pos,
            `step '${name}' declares undefined parameter '${it.value}'`,
            suggestion(it.value, Object.keys(params), "parameters"),
          );
        } else if (step.params.includes(it.value)) {
          this.error(it.pos, `parameter '${it.value}' is listed twice in step '${name}'`);
        } else step.params.push(it.value);
      }
    }

    // Inputs (targets are checked in crossStep, once every step is known).
    const inE = this.entry(m, "inputs");
    if (inE && !(inE.value.kind === "scalar" && inE.value.value === null)) {
      const im = this.map(inE.value, `the inputs of step '${name}'`);
      for (const x of im?.entries ?? []) {
        if (!IDENT.test(x.key)) {
          this.error(x.keyPos, `bad input name '${x.key}'`, `names match ${IDENT.source}`);
          continue;
        }
        const ref = this.string(x.value, `input '${x.key}' of step '${name}'`);
        if (ref === undefined) continue;
        const mm = /^([^.]+)\.([^.]+)$/.exec(ref);
        if (!mm) {
          this.error(
            x.value.pos,
            `input '${x.key}' of step '${name}' must be '<step>.<output>', got '${ref}'`,
          );
          continue;
        }
        step.inputs.push({ name: x.key, step: mm[1], output: mm[2], pos: x.value.pos });
      }
    }

    // Outputs.
    const outE = this.entry(m, "outputs");
    if (outE) {
      const om = this.map(outE.value, `the outputs of step '${name}'`);
      if (om && om.entries.length === 0) {
        this.error(om.pos, `step '${name}' must declare at least one output`);
      }
      const files = new Map<string, string>();
      for (const x of om?.entries ?? []) {
        if (!IDENT.test(x.key)) {
          this.error(x.keyPos, `bad output name '${x.key}'`, `names match ${IDENT.source}`);
          continue;
        }
        const f = this.string(x.value, `output '${x.key}' of step '${name}'`);
        if (f === undefined) continue;
        if (!OUTPUT_FILE.test(f)) {
          this.error(
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
          this.error(
            x.value.pos,
            `outputs '${other}' and '${x.key}' of step '${name}' have the same file name '${file}'`,
          );
          continue;
        }
        files.set(file, x.key);
        step.outputs.push({ name: x.key, file, kind, pos: x.keyPos } satisfies OutputSpec);
      }
    }

    // Permissions.
    const permE = this.entry(m, "permissions");
    if (permE && !(permE.value.kind === "scalar" && permE.value.value === null)) {
      const pm = this.map(permE.value, `the permissions of step '${name}'`);
      if (pm) {
        this.keys(pm, PERMISSION_KEYS, `in the permissions of step '${name}'`);
        for (const kind of PERMISSION_KEYS as (keyof PermissionSpec)[]) {
          const pe = this.entry(pm, kind);
          if (!pe) continue;
          for (const it of this.stringList(pe.value, `permissions.${kind} of step '${name}'`)) {
            if (this.permissionEntry(step, kind, it.value, it.pos, axisNames)) {
              step.permissions[kind].push(it.value);
            }
          }
        }
      }
    }

    // Resources.
    const resE = this.entry(m, "resources");
    if (resE) step.resources = this.resources(resE.value, name);

    // Code globs.
    const codeE = this.entry(m, "code");
    if (codeE) {
      for (const it of this.stringList(codeE.value, `the code of step '${name}'`)) {
        if (it.value.startsWith("/") || it.value.split("/").includes("..")) {
          this.error(
            it.pos,
            `code glob '${it.value}' must be relative to the pipeline directory and stay inside it`,
          );
          continue;
        }
        if (this.probe.glob(it.value).length === 0) {
          this.error(it.pos, `code glob '${it.value}' of step '${name}' matches no file`);
          continue;
        }
        step.code.push(it.value);
      }
    }

    const pubE = this.entry(m, "publish");
    if (pubE) {
      const p = this.string(pubE.value, `'publish' of step '${name}'`);
      if (p !== undefined) {
        if (!PUBLISH_NAME.test(p)) {
          this.error(
            pubE.value.pos,
            `bad publish name '${p}'`,
            "one path segment of letters, digits, '.', '_' or '-'",
          );
        } else step.publish = p;
      }
    }

    const arcE = this.entry(m, "archive");
    if (arcE) step.archive = this.archiveSpec(arcE.value, step);
    return step;
  }

  /** `archive: true | false | [output, ...]` of a step (its outputs are known by now). */
  archiveSpec(node: YNode, step: StepSpec): boolean | string[] | undefined {
    if (node.kind === "scalar" && typeof node.value === "boolean") return node.value;
    if (node.kind !== "seq") {
      this.error(
        node.pos,
        `'archive' of step '${step.name}' must be true, false or a list of output names, got ${
          describe(node)
        }`,
      );
      return undefined;
    }
    if (node.items.length === 0) {
      this.error(
        node.pos,
        `'archive' of step '${step.name}' lists no output`,
        "name at least one output, or write false",
      );
      return undefined;
    }
    const names = step.outputs.map((o) => o.name);
    const out: string[] = [];
    for (const it of this.stringList(node, `'archive' of step '${step.name}'`)) {
      if (!names.includes(it.value)) {
        this.error(
          it.pos,
          `'archive' of step '${step.name}' names no output '${it.value}'`,
          suggestionWithList(it.value, names, `outputs of '${step.name}'`),
        );
      } else if (out.includes(it.value)) {
        this.error(
          it.pos,
          `output '${it.value}' is listed twice in 'archive' of step '${step.name}'`,
        );
      } else out.push(it.value);
    }
    return out.length === node.items.length ? out : undefined;
  }

  permissionEntry(
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
        this.error(
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
      this.error(
        pos,
        `permissions.${kind} entry '${value}' contains a comma`,
        "Deno permission lists are comma-separated",
      );
      ok = false;
    }
    if (kind === "env" && !/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(literal)) {
      this.error(pos, `bad environment variable name '${value}'`);
      ok = false;
    }
    if (kind === "net" && !/^[A-Za-z0-9.\-_:[\]]+$/.test(literal)) {
      this.error(pos, `bad network host '${value}'`, "write host, host:port or an IP address");
      ok = false;
    }
    return ok;
  }

  resources(node: YNode, name: string): Resources {
    const r: Resources = { cores: 1 };
    const m = this.map(node, `the resources of step '${name}'`);
    if (!m) return r;
    this.keys(m, RESOURCE_KEYS, `in the resources of step '${name}'`);
    const c = this.entry(m, "cores");
    if (c) {
      const v = c.value;
      if (
        v.kind === "scalar" && typeof v.value === "number" && Number.isInteger(v.value) &&
        v.value >= 1
      ) {
        r.cores = v.value;
      } else {this.error(
          v.pos,
          `resources.cores of step '${name}' must be a positive integer, got ${describe(v)}`,
        );}
    }
    const mem = this.entry(m, "memory");
    if (mem) {
      const mb = parseMemory(mem.value.kind === "scalar" ? mem.value.value : null);
      if (mb === undefined) {
        this.error(
          mem.value.pos,
          `bad resources.memory of step '${name}': ${describe(mem.value)}`,
          "write e.g. 512M, 4G or 1.5T; a bare number is megabytes",
        );
      } else {
        r.memory = String((mem.value as { value: unknown }).value);
        r.memoryMb = mb;
      }
    }
    const t = this.entry(m, "time");
    if (t) {
      const s = parseDuration(t.value.kind === "scalar" ? t.value.value : null);
      if (s === undefined) {
        this.error(
          t.value.pos,
          `bad resources.time of step '${name}': ${describe(t.value)}`,
          "write e.g. 90s, 30m, 2h, 1d, 1h30m, HH:MM:SS or D-HH:MM:SS; a bare number is minutes",
        );
      } else {
        r.time = String((t.value as { value: unknown }).value);
        r.timeSeconds = s;
      }
    }
    return r;
  }

  crossStep(steps: StepSpec[]): void {
    const names = steps.map((s) => s.name);
    const publish = new Map<string, string>();
    for (const s of steps) {
      for (const inp of s.inputs) {
        const up = steps.find((x) => x.name === inp.step);
        if (!up) {
          this.error(
            inp.pos,
            `input '${inp.name}' of step '${s.name}' names no step '${inp.step}'`,
            suggestionWithList(inp.step, names, "steps"),
          );
          continue;
        }
        if (!up.outputs.some((o) => o.name === inp.output)) {
          const outs = up.outputs.map((o) => o.name);
          const c = suggestionWithList(inp.output, outs, `outputs of '${up.name}'`);
          this.error(
            inp.pos,
            `input '${inp.name}' of step '${s.name}': step '${up.name}' has no output '${inp.output}'`,
            c,
          );
        }
      }
      if (s.publish) {
        const other = publish.get(s.publish);
        if (other) {
          this.error(s.pos, `steps '${other}' and '${s.name}' both publish to '${s.publish}'`);
        } else publish.set(s.publish, s.name);
      }
    }
  }
}

/** Megabytes from `512M`, `4G`, `1.5T`, `2048K` or a bare number of megabytes. */
export function parseMemory(v: unknown): number | undefined {
  if (typeof v === "number") return v > 0 && Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT])(?:i?B)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const scale = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }[m[2].toUpperCase()]!;
  return n > 0 ? n * scale : undefined;
}

/** Seconds from `90s`, `30m`, `2h`, `1d`, `1h30m`, `HH:MM:SS`, `D-HH:MM:SS` or a bare number of minutes. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === "number") return v > 0 && Number.isFinite(v) ? v * 60 : undefined;
  if (typeof v !== "string") return undefined;
  const s = v.trim();
  if (/^(\d+(\.\d+)?[smhd])+$/.test(s)) {
    let total = 0;
    for (const m of s.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) {
      total += Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"];
    }
    return total > 0 ? total : undefined;
  }
  const c = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(s);
  if (c) {
    const [d, h, mi, se] = [c[1], c[2], c[3], c[4]].map((x) => Number(x ?? 0));
    if (mi >= 60 && c[2] !== undefined || se >= 60) return undefined;
    const total = d * 86400 + h * 3600 + mi * 60 + se;
    return total > 0 ? total : undefined;
  }
  return undefined;
}
