/**
 * Validation of the top-level `sources:` section (external files and
 * directories whose content enters the keys of the steps that read them) and
 * of the step inputs that name them (`sources.<name>`).
 *
 * @module
 */

import { suggestionWithList } from "./diagnostics.ts";
import type { YMap } from "./yaml_source.ts";
import { type AxisSpec, IDENT, type SourceSpec, type StepSpec } from "./schema.ts";
import type { YamlChecker } from "./yaml_checker.ts";

/** The pseudo step name that input references to sources use: `sources.<name>`. */
export const SOURCES_REF = "sources";

const SOURCE_KEYS = ["path", "glob", "when"];

/** `sources:` name -> `{path, glob?, when?}`. */
export function validateSources(
  v: YamlChecker,
  top: YMap,
  params: Record<string, unknown>,
  axes: AxisSpec[],
): Map<string, SourceSpec> {
  const out = new Map<string, SourceSpec>();
  const e = v.entry(top, "sources");
  if (!e || (e.value.kind === "scalar" && e.value.value === null)) return out;
  const m = v.map(e.value, "'sources'");
  for (const s of m?.entries ?? []) {
    if (!IDENT.test(s.key)) {
      v.error(s.keyPos, `bad source name '${s.key}'`, `names match ${IDENT.source}`);
      continue;
    }
    const sm = v.map(s.value, `source '${s.key}'`);
    if (!sm) continue;
    v.keys(sm, SOURCE_KEYS, `in source '${s.key}'`, ["path"]);
    const pathE = v.entry(sm, "path");
    if (!pathE) continue;
    const path = v.string(pathE.value, `the path of source '${s.key}'`);
    if (path === undefined) continue;
    let ok = true;
    for (const mm of path.matchAll(/\$\{([^}]*)\}/g)) {
      if (!(mm[1] in params) && !axes.some((a) => a.name === mm[1])) {
        ok = false;
        v.error(
          pathE.value.pos,
          `'\${${mm[1]}}' in the path of source '${s.key}' is neither a parameter nor an axis`,
          suggestionWithList(mm[1], [...Object.keys(params), ...axes.map((a) => a.name)], "names"),
        );
      }
    }
    if (path.replaceAll(/\$\{[^}]*\}/g, "x").includes(",")) {
      ok = false;
      v.error(
        pathE.value.pos,
        `the path of source '${s.key}' contains a comma`,
        "Deno permission lists are comma-separated",
      );
    }
    const spec: SourceSpec = { name: s.key, pos: s.keyPos, path, pathPos: pathE.value.pos };
    const globE = v.entry(sm, "glob");
    if (globE) {
      const g = v.string(globE.value, `the glob of source '${s.key}'`);
      if (g !== undefined && (g === "" || g.startsWith("/") || g.split("/").includes(".."))) {
        ok = false;
        v.error(globE.value.pos, `the glob of source '${s.key}' must be relative and stay inside`);
      } else if (g !== undefined) spec.glob = g;
    }
    const whenE = v.entry(sm, "when");
    if (whenE) {
      const wm = v.map(whenE.value, `'when' of source '${s.key}'`);
      const when: Record<string, unknown> = {};
      for (const w of wm?.entries ?? []) {
        if (!(w.key in params) && !axes.some((a) => a.name === w.key)) {
          ok = false;
          v.error(w.keyPos, `'when' of source '${s.key}' names unknown parameter '${w.key}'`);
        } else when[w.key] = v.jsonValue(w.value, `'when.${w.key}' of source '${s.key}'`);
      }
      spec.when = when;
    }
    if (ok) out.set(s.key, spec);
  }
  return out;
}

/** The names a source's path and `when` refer to. */
export function sourceRefs(src: SourceSpec): string[] {
  const refs = [...src.path.matchAll(/\$\{([^}]*)\}/g)].map((mm) => mm[1]);
  return [...new Set([...refs, ...Object.keys(src.when ?? {})])];
}

/**
 * Moves a step's `sources.<name>` inputs from `inputs` to `sources`, checking
 * that the source exists and that every axis it refers to is one of the
 * step's axes (a parameter is taken from the profile).
 */
export function bindSourceInputs(
  v: YamlChecker,
  step: StepSpec,
  sources: Map<string, SourceSpec>,
  axes: AxisSpec[],
): void {
  const kept = [];
  for (const inp of step.inputs) {
    if (inp.step !== SOURCES_REF) {
      kept.push(inp);
      continue;
    }
    const src = sources.get(inp.output);
    if (!src) {
      v.error(
        inp.pos,
        `input '${inp.name}' of step '${step.name}' names no source '${inp.output}'`,
        suggestionWithList(inp.output, [...sources.keys()], "sources"),
      );
      continue;
    }
    for (const ref of sourceRefs(src)) {
      if (axes.some((a) => a.name === ref) && !step.matrix.some((u) => u.axis === ref)) {
        v.error(
          inp.pos,
          `source '${src.name}' depends on axis '${ref}', which step '${step.name}' does not use`,
          `add '${ref}' to the step's matrix`,
        );
      }
    }
    (step.sources ??= []).push({ name: inp.name, source: src.name, pos: inp.pos });
  }
  step.inputs = kept;
}
