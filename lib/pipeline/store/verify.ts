/**
 * `verify`: re-hash every blob of the store. A blob whose bytes no longer
 * match its name is moved to quarantine/, the records that used it are
 * dropped (their producers rerun next time), and trees built from it are
 * removed. Records pointing at missing blobs are dropped too, and damaged
 * materialised trees removed (they are rebuilt on use).
 *
 * @module
 */

import { join } from "node:path";
import { HashPool } from "../keys/mod.ts";
import { dropTreesUsing, recordBlobs } from "./integrity.ts";
import type { RunRecord } from "./record.ts";
import { removeAll, type Store } from "./store.ts";

/** One damaged blob and who used it. */
export interface BlobProblem {
  hash: string;
  path: string;
  state: "corrupt" | "missing";
  /** Where a corrupt blob was moved. */
  quarantined?: string | null;
  users: { key: string; id: string; step: string }[];
}

/** What `verify` found (and repaired). */
export interface VerifyReport {
  blobs: number;
  bytes: number;
  problems: BlobProblem[];
  /** Materialised trees that did not match their manifest (removed). */
  trees: string[];
  /** Files in records/ that are not run records (moved to quarantine/). */
  garbage: { path: string; quarantined: string | null }[];
}

/** Re-hashes the whole store with `jobs` workers and repairs what it can. */
export async function verifyStore(
  store: Store,
  opts: { jobs: number; signal?: AbortSignal },
): Promise<VerifyReport> {
  const report: VerifyReport = { blobs: 0, bytes: 0, problems: [], trees: [], garbage: [] };
  const pool = new HashPool(opts.jobs);
  try {
    const hashes = await store.listBlobs();
    const present = new Set(hashes);
    const corrupt: string[] = [];
    await Promise.all(hashes.map(async (h) => {
      if (opts.signal?.aborted) return;
      const d = await pool.hash(store.blobPath(h)).catch(() => null);
      report.blobs++;
      report.bytes += d?.size ?? 0;
      if (!d || d.hash !== h) corrupt.push(h);
      else await store.noteBlobGood(h).catch(() => {});
    }));
    if (opts.signal?.aborted) throw new DOMException("interrupted", "AbortError");

    report.garbage = await quarantineGarbageRecords(store);

    // Which records use which blob (before anything is moved).
    const users = new Map<string, RunRecord[]>();
    for (const key of await store.listRecordKeys()) {
      const rec = await store.readRecord(key);
      if (!rec) continue;
      for (const h of (await recordBlobs(store, rec)).keys()) {
        const list = users.get(h) ?? [];
        list.push(rec);
        users.set(h, list);
      }
    }
    const who = (h: string) =>
      (users.get(h) ?? []).map((r) => ({ key: r.key, id: r.id, step: r.step }));
    for (const h of corrupt.sort()) {
      const path = store.blobPath(h);
      const quarantined = await store.quarantine(h, "corrupt: found by verify");
      report.problems.push({ hash: h, path, state: "corrupt", quarantined, users: who(h) });
      for (const r of users.get(h) ?? []) await store.dropRecord(r.key);
      await dropTreesUsing(store, h);
    }
    for (const [h, recs] of users) {
      if (present.has(h)) continue;
      report.problems.push({ hash: h, path: store.blobPath(h), state: "missing", users: who(h) });
      for (const r of recs) await store.dropRecord(r.key);
    }

    // Materialised trees: files must be the manifest's (hard links to verified blobs, or equal copies).
    try {
      for await (const e of Deno.readDir(store.trees)) {
        const dir = store.treePath(e.name);
        const m = await store.readManifest(e.name);
        let ok = m !== null && await store.treeIntact(dir, m);
        if (ok && m) {
          for (const [rel, te] of Object.entries(m.entries)) {
            const f = await Deno.stat(join(dir, rel));
            const b = await Deno.stat(store.blobPath(te.hash)).catch(() => null);
            if (b && f.ino !== null && f.ino === b.ino && f.dev === b.dev) continue;
            const d = await pool.hash(join(dir, rel)).catch(() => null);
            if (!d || d.hash !== te.hash) ok = false;
          }
        }
        if (!ok) {
          await removeAll(dir);
          report.trees.push(e.name);
        }
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  } finally {
    pool.close();
  }
  return report;
}

/** Moves every file of records/ that is not a readable run record under its own key to quarantine/. */
async function quarantineGarbageRecords(
  store: Store,
): Promise<{ path: string; quarantined: string | null }[]> {
  const out: { path: string; quarantined: string | null }[] = [];
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(store.records)) names.push(e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return out;
    throw e;
  }
  for (const name of names.sort()) {
    const m = /^([0-9a-f]{64})\.json$/.exec(name);
    if (m && (await store.readRecord(m[1]))) continue;
    const path = join(store.records, name);
    const quarantined = await store.quarantineFile(
      path,
      `record-${name}`,
      "not a run record: found by verify",
    );
    out.push({ path, quarantined });
  }
  return out;
}
