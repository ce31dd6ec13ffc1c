/**
 * Structural validation of a pipeline file: YAML tree in, `PipelineSpec`
 * out, with every problem found reported at its line and column. The top
 * level is checked here; profiles, steps (with their resources and archive
 * sections) and the executor section each have their own module. Graph-level
 * checks (cycles, input resolution per profile) live in `load.ts`.
 *
 * @module
 */

import { type Diagnostic, suggestion, suggestionWithList } from "./diagnostics.ts";
import type { YEntry, YMap, YNode } from "./yaml_source.ts";
import { validateExecutorSection } from "./executor_section.ts";
import {
  type AxisSpec,
  DEFAULT_MAX_INSTANCES,
  IDENT,
  type Limits,
  PIPELINE_VERSION,
  type PipelineSpec,
  type ProfileSpec,
  type StepSpec,
} from "./schema.ts";
import { describe, type FileProbe, YamlChecker } from "./yaml_checker.ts";
import { type ProfileTypes, validateProfile } from "./validate_profile.ts";
import { validateStep } from "./validate_step.ts";
import { parseDuration } from "./validate_resources.ts";
import { checkValue, isDeclaration, type ParamType, readType } from "./param_types.ts";
import { validateRemotes } from "./validate_remotes.ts";
import { bindSourceInputs, SOURCES_REF, validateSources } from "./validate_sources.ts";

export type { FileProbe } from "./yaml_checker.ts";
export { parseDuration, parseMemory } from "./validate_resources.ts";

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
  "limits",
  "remotes",
  "sources",
  "cost_constants",
];
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
  const v = new YamlChecker(displayFile, probe);
  const spec = validatePipeline(v, root, file, dir);
  // The spec is returned even with problems, so graph checks can still report cycles.
  return { spec, diagnostics: v.diagnostics };
}

function validatePipeline(
  v: YamlChecker,
  root: YNode | null,
  file: string,
  dir: string,
): PipelineSpec | undefined {
  if (root === null) {
    v.error({ line: 1, col: 1 }, "the pipeline file is empty");
    return undefined;
  }
  const top = v.map(root, "the pipeline file");
  if (!top) return undefined;
  v.keys(top, TOP_KEYS, "at the top level", ["version", "steps"]);
  checkVersion(v, top);

  // What archives say about the study.
  const about: { name?: string; description?: string; license?: string } = {};
  for (const key of ["name", "description", "license"] as const) {
    const e = v.entry(top, key);
    if (e) about[key] = v.string(e.value, `'${key}'`);
  }
  const { params, paramTypes } = topParams(v, top);
  const axes = topAxes(v, top, params);
  // Profiles before steps: a step's value subset may name values only a profile defines.
  const types = { params: paramTypes, axes: axisTypes(axes) };
  const profiles = topProfiles(v, top, params, axes.map((a) => a.name), types);
  const defaultProfile = topDefaultProfile(v, top, profiles);
  const sources = validateSources(v, top, params, axes);
  const steps = topSteps(v, top, params, axes, profiles);
  for (const s of steps) bindSourceInputs(v, s, sources, axes);
  crossStep(v, steps);
  const execE = v.entry(top, "executor");
  const executor = execE ? validateExecutorSection(v, execE.value, parseDuration) : undefined;
  const open = topOpen(v, top, steps);
  const limits = topLimits(v, top);
  const costE = v.entry(top, "cost_constants");
  const costConstants = costE ? v.string(costE.value, "'cost_constants'") : undefined;
  const remotesE = v.entry(top, "remotes");
  const remotes = remotesE ? validateRemotes(v, remotesE.value) : undefined;
  return {
    file,
    displayFile: v.file,
    dir,
    version: PIPELINE_VERSION,
    ...about,
    defaultProfile,
    params,
    paramTypes,
    axes,
    steps,
    ...(sources.size ? { sources } : {}),
    profiles,
    limits,
    ...(executor ? { executor } : {}),
    ...(open ? { open } : {}),
    ...(remotes ? { remotes } : {}),
    ...(costConstants ? { costConstants } : {}),
  };
}

/** True when a top-level entry is absent or written as nothing (`key:`). */
function isEmpty(e: YEntry | undefined): boolean {
  return !e || (e.value.kind === "scalar" && e.value.value === null);
}

/** `version:` must be the one this engine reads. */
function checkVersion(v: YamlChecker, top: YMap): void {
  const versionE = v.entry(top, "version");
  if (
    versionE && !(versionE.value.kind === "scalar" && versionE.value.value === PIPELINE_VERSION)
  ) {
    v.error(
      versionE.value.pos,
      `unsupported version ${describe(versionE.value)}`,
      `this engine reads version ${PIPELINE_VERSION}`,
    );
  }
}

/**
 * `params:`: names and JSON values, each either plain (untyped) or declared
 * as `{ value, type, ... }` and then checked against its type.
 */
function topParams(
  v: YamlChecker,
  top: YMap,
): { params: Record<string, unknown>; paramTypes: Record<string, ParamType> } {
  const params: Record<string, unknown> = {};
  const paramTypes: Record<string, ParamType> = {};
  const paramsE = v.entry(top, "params");
  if (isEmpty(paramsE)) return { params, paramTypes };
  const m = v.map(paramsE!.value, "'params'");
  for (const e of m?.entries ?? []) {
    if (!IDENT.test(e.key)) {
      v.error(e.keyPos, `bad parameter name '${e.key}'`, `names match ${IDENT.source}`);
      continue;
    }
    const what = `parameter '${e.key}'`;
    if (!isDeclaration(e.value)) {
      params[e.key] = v.jsonValue(e.value, what);
      continue;
    }
    const t = readType(v, e.value, what, ["value"]);
    const valueE = v.entry(e.value, "value");
    if (!valueE) v.error(e.value.pos, `${what} must say its 'value'`, "null if none");
    params[e.key] = valueE ? v.jsonValue(valueE.value, what) : null;
    if (t) {
      paramTypes[e.key] = t;
      if (valueE) checkValue(v, valueE.value, t, what);
    }
  }
  return { params, paramTypes };
}

/** The declared types of the typed axes. */
function axisTypes(axes: AxisSpec[]): Record<string, ParamType> {
  return Object.fromEntries(axes.flatMap((a) => (a.type ? [[a.name, a.type]] : [])));
}

/** `matrix:`: axes and their values; an axis may not share a parameter's name. */
function topAxes(v: YamlChecker, top: YMap, params: Record<string, unknown>): AxisSpec[] {
  const axes: AxisSpec[] = [];
  const matrixE = v.entry(top, "matrix");
  if (isEmpty(matrixE)) return axes;
  const m = v.map(matrixE!.value, "'matrix'");
  for (const e of m?.entries ?? []) {
    if (!IDENT.test(e.key)) {
      v.error(e.keyPos, `bad axis name '${e.key}'`, `names match ${IDENT.source}`);
      continue;
    }
    if (e.key in params) {
      v.error(
        e.keyPos,
        `axis '${e.key}' has the name of a parameter`,
        "an instance's parameters include its matrix values, so the names must differ",
      );
    }
    const what = `axis '${e.key}'`;
    if (e.value.kind !== "map") {
      const values = v.matrixValues(e.value, what);
      axes.push({ name: e.key, values: values ?? [], pos: e.keyPos });
      continue;
    }
    // A typed axis: `{ type: integer, min: 1, values: [4, 9, 16] }`.
    const type = readType(v, e.value, what, ["values", "in_id"], true);
    const inIdE = v.entry(e.value, "in_id");
    let inId: AxisSpec["inId"];
    if (inIdE) {
      const x = inIdE.value;
      if (x.kind === "scalar" && (x.value === "always" || x.value === "when_varied")) {
        inId = x.value;
      } else {
        v.error(
          x.pos,
          `${what}: in_id must be 'always' or 'when_varied'`,
          "when_varied: the axis appears in instance ids only where a step takes more than one " +
            "of its values",
        );
      }
    }
    const valuesE = v.entry(e.value, "values");
    if (!valuesE) v.error(e.value.pos, `${what} must list its 'values'`);
    const values = valuesE ? v.matrixValues(valuesE.value, what) : undefined;
    if (type && values && valuesE?.value.kind === "seq") {
      for (const item of valuesE.value.items) checkValue(v, item, type, `a value of ${what}`);
    }
    axes.push({
      name: e.key,
      values: values ?? [],
      pos: e.keyPos,
      ...(type ? { type } : {}),
      ...(inId ? { inId } : {}),
    });
  }
  return axes;
}

/** `profiles:`, with an empty `default` when none is declared. */
function topProfiles(
  v: YamlChecker,
  top: YMap,
  params: Record<string, unknown>,
  axisNames: string[],
  types: ProfileTypes,
): Map<string, ProfileSpec> {
  const profiles = new Map<string, ProfileSpec>();
  const profilesE = v.entry(top, "profiles");
  if (!isEmpty(profilesE)) {
    const m = v.map(profilesE!.value, "'profiles'");
    for (const e of m?.entries ?? []) {
      profiles.set(e.key, validateProfile(v, e, params, axisNames, types));
    }
  }
  if (!profiles.has("default")) {
    profiles.set("default", { name: "default", params: {}, matrix: {} });
  }
  return profiles;
}

/** `default_profile:` must name a profile. */
function topDefaultProfile(
  v: YamlChecker,
  top: YMap,
  profiles: Map<string, ProfileSpec>,
): string {
  const dpE = v.entry(top, "default_profile");
  if (!dpE) return "default";
  const name = v.string(dpE.value, "'default_profile'");
  if (name === undefined) return "default";
  if (!profiles.has(name)) {
    v.error(
      dpE.value.pos,
      `default_profile '${name}' is not a profile`,
      suggestion(name, [...profiles.keys()], "profiles"),
    );
    return "default";
  }
  return name;
}

/** `steps:`: at least one, each validated on its own. */
function topSteps(
  v: YamlChecker,
  top: YMap,
  params: Record<string, unknown>,
  axes: AxisSpec[],
  profiles: Map<string, ProfileSpec>,
): StepSpec[] {
  const steps: StepSpec[] = [];
  const stepsE = v.entry(top, "steps");
  if (!stepsE) return steps;
  const m = v.map(stepsE.value, "'steps'");
  if (m && m.entries.length === 0) v.error(m.pos, "'steps' must define at least one step");
  for (const e of m?.entries ?? []) {
    const s = validateStep(v, e, params, axes, profiles);
    if (s) steps.push(s);
  }
  return steps;
}

/** `limits:`: bounds checked at load time, each with its default when absent. */
function topLimits(v: YamlChecker, top: YMap): Limits {
  const limits: Limits = { instances: DEFAULT_MAX_INSTANCES };
  const limitsE = v.entry(top, "limits");
  if (isEmpty(limitsE)) return limits;
  const m = v.map(limitsE!.value, "'limits'");
  if (!m) return limits;
  v.keys(m, ["instances"], "in 'limits'");
  const inst = v.entry(m, "instances");
  if (inst) {
    const n = inst.value;
    if (
      n.kind === "scalar" && typeof n.value === "number" && Number.isSafeInteger(n.value) &&
      n.value > 0
    ) {
      limits.instances = n.value;
    } else {
      v.error(n.pos, `limits.instances must be a positive integer, got ${describe(n)}`);
    }
  }
  return limits;
}

/** `open: <publish name>/<file>`: the published file a successful reproduce points at. */
function topOpen(v: YamlChecker, top: YMap, steps: StepSpec[]): string | undefined {
  const openE = v.entry(top, "open");
  if (!openE) return undefined;
  const o = v.string(openE.value, "'open'");
  if (o === undefined) return undefined;
  const [head, ...rest] = o.split("/");
  const names = steps.flatMap((s) => (s.publish ? [s.publish] : []));
  if (!names.includes(head) || rest.length === 0 || rest.some((x) => x === "" || x === "..")) {
    v.error(
      openE.value.pos,
      `'open' must be '<publish name>/<file>' inside a published directory, got '${o}'`,
      names.length ? `published directories: ${names.join(", ")}` : "no step has 'publish:'",
    );
    return undefined;
  }
  return o;
}

/** Checks across steps: inputs name existing outputs, publish names are distinct. */
function crossStep(v: YamlChecker, steps: StepSpec[]): void {
  const names = steps.map((s) => s.name);
  const publish = new Map<string, string>();
  for (const s of steps) {
    if (s.name === SOURCES_REF) {
      v.error(
        s.pos,
        `'${SOURCES_REF}' is reserved (inputs 'sources.<name>' name declared sources)`,
      );
    }
    for (const inp of s.inputs) {
      const up = steps.find((x) => x.name === inp.step);
      if (!up) {
        v.error(
          inp.pos,
          `input '${inp.name}' of step '${s.name}' names no step '${inp.step}'`,
          suggestionWithList(inp.step, names, "steps"),
        );
        continue;
      }
      if (!up.outputs.some((o) => o.name === inp.output)) {
        const outs = up.outputs.map((o) => o.name);
        const c = suggestionWithList(inp.output, outs, `outputs of '${up.name}'`);
        v.error(
          inp.pos,
          `input '${inp.name}' of step '${s.name}': step '${up.name}' has no output '${inp.output}'`,
          c,
        );
      }
    }
    if (s.publish) {
      const other = publish.get(s.publish);
      if (other) {
        v.error(s.pos, `steps '${other}' and '${s.name}' both publish to '${s.publish}'`);
      } else publish.set(s.publish, s.name);
    }
  }
}
