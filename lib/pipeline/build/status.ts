/**
 * Status without side effects: for each instance of a profile, whether it is
 * up to date or would run, and why (compared with the index of that profile).
 * Used by `status`, `reproduce --dry-run`, `explain` and `archive`; the
 * decision itself is the rebuilder's.
 *
 * @module
 */

import type { Instance } from "../spec/mod.ts";
import type { Project } from "./project.ts";
import { type InstanceStatus, Rebuilder } from "./rebuilder.ts";

export type { InstanceStatus } from "./rebuilder.ts";

/**
 * Computes the status of `instances` (in topological order) under `profile`.
 *
 * @example
 * ```ts
 * const statuses = await computeStatus(project, "smoke", project.expansion("smoke").instances);
 * const stale = statuses.filter((s) => !s.upToDate).map((s) => s.inst.id);
 * ```
 */
export async function computeStatus(
  project: Project,
  profile: string,
  instances: Instance[],
  forced: Set<string> = new Set(),
): Promise<InstanceStatus[]> {
  await project.checkSources(instances);
  const rebuilder = new Rebuilder(project, profile, { mode: "inspect", forced });
  const out: InstanceStatus[] = [];
  for (const inst of instances) out.push(await rebuilder.decide(inst));
  return out;
}
