/**
 * Validation of one profile of a pipeline file (`profiles:`).
 *
 * @module
 */

import { suggestion } from "./diagnostics.ts";
import type { YEntry } from "./yaml_source.ts";
import { IDENT, type ProfileSpec } from "./schema.ts";
import type { YamlChecker } from "./yaml_checker.ts";
import { checkValue, type ParamType } from "./param_types.ts";

/** The declared types of parameters and axes that a profile's overrides must fit. */
export interface ProfileTypes {
  params: Record<string, ParamType>;
  axes: Record<string, ParamType>;
}

const PROFILE_KEYS = ["description", "params", "matrix"];

/**
 * One entry of `profiles:`: its parameter and matrix overrides, checked
 * against the top level (names, and the declared types of their values).
 */
export function validateProfile(
  v: YamlChecker,
  e: YEntry,
  params: Record<string, unknown>,
  axisNames: string[],
  types: ProfileTypes = { params: {}, axes: {} },
): ProfileSpec {
  const p: ProfileSpec = { name: e.key, pos: e.keyPos, params: {}, matrix: {} };
  if (!IDENT.test(e.key)) {
    v.error(e.keyPos, `bad profile name '${e.key}'`, `names match ${IDENT.source}`);
  }
  if (e.value.kind === "scalar" && e.value.value === null) return p;
  const m = v.map(e.value, `profile '${e.key}'`);
  if (!m) return p;
  v.keys(m, PROFILE_KEYS, `in profile '${e.key}'`);
  const d = v.entry(m, "description");
  if (d) p.description = v.string(d.value, `the description of profile '${e.key}'`);
  const pe = v.entry(m, "params");
  if (pe && !(pe.value.kind === "scalar" && pe.value.value === null)) {
    const pm = v.map(pe.value, `the params of profile '${e.key}'`);
    for (const x of pm?.entries ?? []) {
      if (!(x.key in params)) {
        v.error(
          x.keyPos,
          `profile '${e.key}' overrides unknown parameter '${x.key}'`,
          suggestion(x.key, Object.keys(params), "parameters"),
        );
        continue;
      }
      const what = `parameter '${x.key}' of profile '${e.key}'`;
      p.params[x.key] = v.jsonValue(x.value, what);
      const t = types.params[x.key];
      if (t) checkValue(v, x.value, t, what);
    }
  }
  const me = v.entry(m, "matrix");
  if (me && !(me.value.kind === "scalar" && me.value.value === null)) {
    const mm = v.map(me.value, `the matrix of profile '${e.key}'`);
    for (const x of mm?.entries ?? []) {
      if (!axisNames.includes(x.key)) {
        v.error(
          x.keyPos,
          `profile '${e.key}' overrides unknown axis '${x.key}'`,
          suggestion(x.key, axisNames, "axes"),
        );
        continue;
      }
      const values = v.matrixValues(x.value, `axis '${x.key}' of profile '${e.key}'`);
      if (values) p.matrix[x.key] = values;
      const t = types.axes[x.key];
      if (t && values && x.value.kind === "seq") {
        for (const item of x.value.items) {
          checkValue(v, item, t, `a value of axis '${x.key}' of profile '${e.key}'`);
        }
      }
    }
  }
  return p;
}
