/**
 * Choosing instances by name on the command line: `--only` (with everything
 * upstream of them) and `--force`.
 *
 * @module
 */

import { UsageError } from "./diagnostics.ts";
import type { Expansion, Instance } from "./expand.ts";

/** Instances selected by `--only` names (step names or instance ids) plus everything upstream of them. */
export function selectInstances(exp: Expansion, only: string[] | undefined): Instance[] {
  if (!only || only.length === 0) return exp.instances;
  const roots: Instance[] = [];
  for (const name of only) {
    const inst = exp.byId.get(name);
    const step = exp.byStep.get(name);
    if (inst) roots.push(inst);
    else if (step) roots.push(...step);
    else {
      const steps = [...exp.byStep.keys()];
      throw new UsageError(
        `'${name}' is neither a step nor an instance under profile '${exp.profile}' (steps: ${
          steps.join(", ")
        })`,
      );
    }
  }
  const keep = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const i = stack.pop()!;
    if (keep.has(i.id)) continue;
    keep.add(i.id);
    for (const inp of i.inputs) stack.push(...inp.upstream);
  }
  return exp.instances.filter((i) => keep.has(i.id));
}

/** Instance ids named by `--force` (step names or instance ids). */
export function forcedIds(exp: Expansion, names: string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const name of names ?? []) {
    const inst = exp.byId.get(name);
    const step = exp.byStep.get(name);
    if (inst) out.add(inst.id);
    else if (step) step.forEach((s) => out.add(s.id));
    else {throw new UsageError(
        `--force: '${name}' is neither a step nor an instance under profile '${exp.profile}'`,
      );}
  }
  return out;
}
