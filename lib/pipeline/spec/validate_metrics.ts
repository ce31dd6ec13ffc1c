/**
 * Validation of a step's `metrics:` (which of its JSON or CSV outputs hold
 * numbers worth comparing between runs, and which fields).
 *
 * @module
 */

import { suggestionWithList } from "./diagnostics.ts";
import type { YNode } from "./yaml_source.ts";
import type { MetricSpec, StepSpec } from "./schema.ts";
import type { YamlChecker } from "./yaml_checker.ts";

/**
 * `metrics: { <file>: [field, ...] }` where `<file>` is an output's name, its
 * file name, or `<directory output>/<path inside it>`, ending in `.json` (a
 * field is a dotted path to a number) or `.csv` (a field is a column: a
 * series over the rows, plotted against the first column).
 */
export function validateMetrics(
  v: YamlChecker,
  node: YNode,
  step: StepSpec,
): MetricSpec[] | undefined {
  const what = `'metrics' of step '${step.name}'`;
  const m = v.map(node, what);
  if (!m) return undefined;
  const out: MetricSpec[] = [];
  const names = step.outputs.flatMap((o) => [o.name, o.kind === "dir" ? `${o.file}/...` : o.file]);
  for (const e of m.entries) {
    let output = step.outputs.find((o) =>
      o.name === e.key || (o.kind === "file" && o.file === e.key)
    );
    let inner = "";
    if (!output) {
      const slash = e.key.indexOf("/");
      const dir = step.outputs.find((o) => o.kind === "dir" && o.file === e.key.slice(0, slash));
      if (slash > 0 && dir && e.key.length > slash + 1 && !e.key.split("/").includes("..")) {
        output = dir;
        inner = e.key.slice(slash + 1);
      }
    }
    if (!output) {
      v.error(
        e.keyPos,
        `${what}: '${e.key}' is no output of the step`,
        suggestionWithList(e.key, names, `outputs of '${step.name}'`),
      );
      continue;
    }
    const path = inner || output.file;
    const format = path.endsWith(".json") ? "json" : path.endsWith(".csv") ? "csv" : undefined;
    if (!format) {
      v.error(e.keyPos, `${what}: '${e.key}' must be a .json or .csv file`);
      continue;
    }
    const fields = v.stringList(e.value, `the fields of '${e.key}' in ${what}`);
    if (fields.length === 0) {
      v.error(e.value.pos, `${what}: '${e.key}' lists no field`);
      continue;
    }
    const seen = new Set<string>();
    for (const f of fields) {
      if (seen.has(f.value)) v.error(f.pos, `${what}: field '${f.value}' is listed twice`);
      seen.add(f.value);
    }
    out.push({ output: output.name, path: inner || null, format, fields: [...seen] });
  }
  return out;
}
