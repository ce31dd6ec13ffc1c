/**
 * What `gc` must keep of the current pipeline: under every profile, the
 * records its instances are up to date with, and the keys of those whose
 * work is in progress (their checkpoints), as the rebuilder decides them.
 *
 * @module
 */

import type { LiveSet } from "../store/mod.ts";
import type { Project } from "./project.ts";
import { Rebuilder } from "./rebuilder.ts";

/**
 * The live set of `project` over all its profiles.
 *
 * @example
 * ```ts
 * const report = await collectGarbage(project.store, await liveSet(project), { dryRun: true });
 * ```
 */
export async function liveSet(project: Project): Promise<LiveSet> {
  const records = new Map<string, LiveSet["records"][number]>();
  const checkpoints = new Set<string>();
  for (const profile of project.profiles) {
    const rebuilder = new Rebuilder(project, profile, { mode: "inspect" });
    for (const inst of project.expansion(profile).instances) {
      const s = await rebuilder.decide(inst);
      if (s.upToDate && s.record) records.set(s.record.key, s.record);
      else if (s.key) checkpoints.add(s.key); // work in progress for a current key
    }
  }
  return { records: [...records.values()], checkpoints: [...checkpoints] };
}
