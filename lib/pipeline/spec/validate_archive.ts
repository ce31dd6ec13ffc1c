/**
 * Validation of a step's `archive:` (which outputs go into archive bundles).
 *
 * @module
 */

import { suggestionWithList } from "./diagnostics.ts";
import type { YNode } from "./yaml_source.ts";
import type { StepSpec } from "./schema.ts";
import { describe, type YamlChecker } from "./yaml_checker.ts";

/** `archive: true | false | [output, ...]` of a step (its outputs are known by now). */
export function validateArchive(
  v: YamlChecker,
  node: YNode,
  step: StepSpec,
): boolean | string[] | undefined {
  if (node.kind === "scalar" && typeof node.value === "boolean") return node.value;
  if (node.kind !== "seq") {
    v.error(
      node.pos,
      `'archive' of step '${step.name}' must be true, false or a list of output names, got ${
        describe(node)
      }`,
    );
    return undefined;
  }
  if (node.items.length === 0) {
    v.error(
      node.pos,
      `'archive' of step '${step.name}' lists no output`,
      "name at least one output, or write false",
    );
    return undefined;
  }
  const names = step.outputs.map((o) => o.name);
  const out: string[] = [];
  for (const it of v.stringList(node, `'archive' of step '${step.name}'`)) {
    if (!names.includes(it.value)) {
      v.error(
        it.pos,
        `'archive' of step '${step.name}' names no output '${it.value}'`,
        suggestionWithList(it.value, names, `outputs of '${step.name}'`),
      );
    } else if (out.includes(it.value)) {
      v.error(
        it.pos,
        `output '${it.value}' is listed twice in 'archive' of step '${step.name}'`,
      );
    } else out.push(it.value);
  }
  return out.length === node.items.length ? out : undefined;
}
