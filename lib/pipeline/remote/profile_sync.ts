/**
 * Push and pull by profile. The set of records comes from the rebuilder (the
 * keys the engine knows for the profile), never from listing the remote:
 * `push` sends the records the profile's instances are up to date with;
 * `pull` walks the instances in order and, where the store has no usable
 * record, fetches the key from the remote (the rebuilder's `fetch` hook, the
 * same one `reproduce --pull` uses), so downstream keys can be computed from
 * what was pulled.
 *
 * @module
 */

import { computeStatus, type Project, Rebuilder, upstreamOf } from "../build/mod.ts";
import type { Instance } from "../spec/mod.ts";
import type { RunRecord, Store } from "../store/mod.ts";
import type { RemoteBackend } from "./backend.ts";
import { fetchRecord, pushRecords, type PushReport, type TransferOptions } from "./transfer.ts";

/** What a fetch hook did over one command. */
export interface FetchStats {
  /** Instance ids pulled from the remote. */
  fetched: string[];
  /** Instance ids whose remote copy was unusable, with why (they are recomputed). */
  corrupt: { id: string; reason: string }[];
  /** Keys looked up that the remote does not have. */
  absent: number;
  blobs: number;
  bytes: number;
}

/**
 * A fetch hook for the rebuilder: looks a key up on the remote and brings it
 * into the store; a corrupt remote copy is reported and not used.
 *
 * @example
 * ```ts
 * const { fetch, stats } = remoteFetcher(project.store, remote, { note: console.error });
 * await build(project, executor, display, { ...opts, fetch });
 * console.log(`pulled ${stats.fetched.length}`);
 * ```
 */
export function remoteFetcher(
  store: Store,
  remote: RemoteBackend,
  opts: TransferOptions = {},
): { fetch: (key: string, inst: Instance) => Promise<boolean>; stats: FetchStats } {
  const stats: FetchStats = { fetched: [], corrupt: [], absent: 0, blobs: 0, bytes: 0 };
  const fetch = async (key: string, inst: Instance): Promise<boolean> => {
    const r = await fetchRecord(store, remote, key, opts);
    if (r.kind === "absent") {
      stats.absent++;
      return false;
    }
    if (r.kind === "corrupt") {
      stats.corrupt.push({ id: inst.id, reason: r.reason });
      opts.note?.(`not using the remote's copy of ${inst.id}: ${r.reason}; it will be recomputed`);
      return false;
    }
    stats.fetched.push(inst.id);
    stats.blobs += r.blobs;
    stats.bytes += r.bytes;
    return true;
  };
  return { fetch, stats };
}

/** The records the profiles' instances are up to date with (read-only), and those that are not. */
export async function profileRecords(
  project: Project,
  profiles: string[],
): Promise<{ records: RunRecord[]; stale: string[] }> {
  const records = new Map<string, RunRecord>();
  const stale = new Set<string>();
  for (const profile of profiles) {
    const statuses = await computeStatus(project, profile, project.expansion(profile).instances);
    for (const s of statuses) {
      if (s.upToDate && s.record) records.set(s.record.key, s.record);
      else stale.add(`${s.inst.id}${profiles.length > 1 ? ` (${profile})` : ""}`);
    }
  }
  return { records: [...records.values()], stale: [...stale] };
}

/** Pushes what the profiles are up to date with; see `pushRecords`. */
export async function pushProfiles(
  project: Project,
  profiles: string[],
  remote: RemoteBackend,
  opts: TransferOptions = {},
): Promise<PushReport & { stale: string[]; records: number }> {
  const { records, stale } = await profileRecords(project, profiles);
  const report = await pushRecords(project.store, remote, records, opts);
  return { ...report, stale, records: records.length };
}

/** What a pull did. */
export interface PullReport extends FetchStats {
  /** Instances already up to date locally. */
  local: number;
  /** Instances neither local nor on the remote (or below one that is not). */
  missing: string[];
}

/**
 * Makes the profiles' instances up to date from the remote where the store
 * lacks them (the caller holds the store lock). Nothing runs.
 */
export async function pullProfiles(
  project: Project,
  profiles: string[],
  remote: RemoteBackend,
  opts: TransferOptions = {},
): Promise<PullReport> {
  const { fetch, stats } = remoteFetcher(project.store, remote, opts);
  let local = 0;
  const missing = new Set<string>();
  for (const profile of profiles) {
    const rebuilder = new Rebuilder(project, profile, { mode: "use", fetch, note: opts.note });
    for (const inst of project.expansion(profile).instances) {
      // A key needs its upstream records: below a missing instance nothing can be looked up.
      if (!upstreamOf(inst).every((u) => rebuilder.resolved(u.id))) {
        missing.add(inst.id);
        continue;
      }
      const before = stats.fetched.length;
      const s = await rebuilder.decide(inst);
      if (!s.upToDate) missing.add(inst.id);
      else if (stats.fetched.length === before) local++;
    }
  }
  return { ...stats, local, missing: [...missing] };
}
