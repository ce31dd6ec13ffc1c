/**
 * Integrity of stored outputs at the moment they are used: a cheap check
 * (each blob exists with its recorded size), a re-hash when that fails, and
 * the repair: a corrupt blob goes to quarantine/, every record that points
 * at it is dropped (so its producer reruns), trees built from it are removed.
 *
 * @module
 */

import type { RunRecord } from "./record.ts";
import { removeAll, type Store } from "./store.ts";
import { hashFile } from "../keys/mod.ts";

/** A problem found with a record's stored outputs. */
export interface IntegrityProblem {
  hash: string;
  what: string;
  state: "missing" | "corrupt" | "record-size";
}

/** Every blob a record depends on: outputs, tree files, log. */
export async function recordBlobs(store: Store, rec: RunRecord): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const o of Object.values(rec.outputs)) {
    out.set(o.hash, o.size);
    if (o.kind === "dir") {
      const m = await store.readManifest(o.hash);
      for (const e of Object.values(m?.entries ?? {})) out.set(e.hash, e.size);
    }
  }
  if (rec.log) out.set(rec.log.hash, rec.log.size);
  return out;
}

/** Records (key and instance id) whose outputs, trees or log use a blob. */
export async function recordsUsing(store: Store, hash: string): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  for (const key of await store.listRecordKeys()) {
    const rec = await store.readRecord(key);
    if (rec && (await recordBlobs(store, rec)).has(hash)) out.push(rec);
  }
  return out;
}

/** Removes materialised trees whose manifest lists `hash` (their hard links share its bytes). */
export async function dropTreesUsing(store: Store, hash: string): Promise<void> {
  try {
    for await (const e of Deno.readDir(store.trees)) {
      const m = await store.readManifest(e.name);
      if (e.name === hash || (m && Object.values(m.entries).some((x) => x.hash === hash))) {
        await removeAll(store.treePath(e.name));
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/**
 * Checks a record's output blobs before the record is used. Returns the
 * problems found; when there are any, the damage has been dealt with
 * (quarantine, records dropped) and the record must not be used.
 */
export async function checkRecord(
  store: Store,
  rec: RunRecord,
  onNote: (msg: string) => void = () => {},
): Promise<IntegrityProblem[]> {
  const problems: IntegrityProblem[] = [];
  const check = async (hash: string, size: number, what: string): Promise<void> => {
    const state = await store.blobState(hash, size);
    if (state === "ok") {
      // Same size is not the same bytes: re-hash small blobs, and large ones whose stat moved.
      if (!(await store.blobContentOk(hash, size))) problems.push({ hash, what, state: "corrupt" });
      return;
    }
    if (state === "missing") {
      problems.push({ hash, what, state: "missing" });
      return;
    }
    // The size is off: re-hash to tell a damaged blob from a wrong record.
    const d = await hashFile(store.blobPath(hash)).catch(() => null);
    if (d && d.hash === hash) problems.push({ hash, what, state: "record-size" });
    else problems.push({ hash, what, state: "corrupt" });
  };
  for (const [name, o] of Object.entries(rec.outputs)) {
    await check(o.hash, o.size, `output '${name}'`);
    if (o.kind === "dir" && !problems.some((p) => p.hash === o.hash)) {
      const m = await store.readManifest(o.hash);
      if (!m) {
        problems.push({ hash: o.hash, what: `output '${name}' (tree manifest)`, state: "corrupt" });
      } else {
        for (const [rel, e] of Object.entries(m.entries)) {
          await check(e.hash, e.size, `output '${name}' file '${rel}'`);
        }
      }
    }
  }
  for (const p of problems) {
    if (p.state === "corrupt") {
      const users = await recordsUsing(store, p.hash);
      const dest = await store.quarantine(
        p.hash,
        `corrupt: found while using ${rec.id} (${p.what})`,
      );
      onNote(
        `corrupt blob ${p.hash.slice(0, 12)} (${p.what} of ${rec.id}) moved to ${
          dest ?? "quarantine"
        }; ` +
          `dropping ${users.length} record(s) that used it`,
      );
      for (const u of users) await store.dropRecord(u.key);
      await dropTreesUsing(store, p.hash);
    } else if (p.state === "missing") {
      const users = await recordsUsing(store, p.hash);
      onNote(
        `missing blob ${
          p.hash.slice(0, 12)
        } (${p.what} of ${rec.id}); dropping ${users.length} record(s)`,
      );
      for (const u of users) await store.dropRecord(u.key);
    } else {
      onNote(`record of ${rec.id} has a wrong size for ${p.what}; dropping the record`);
    }
  }
  if (problems.length) await store.dropRecord(rec.key);
  return problems;
}

/**
 * Read-only check of a record's outputs: what is missing, has the wrong size,
 * or (small blobs, and large ones whose stat moved) no longer has its bytes.
 */
export async function quickProblems(store: Store, rec: RunRecord): Promise<string[]> {
  const out: string[] = [];
  for (const [name, o] of Object.entries(rec.outputs)) {
    const s0 = await store.blobState(o.hash, o.size);
    const s = s0 === "ok" && !(await store.blobContentOk(o.hash, o.size, false)) ? "bytes" : s0;
    if (s !== "ok") {
      out.push(
        `output '${name}' ${
          s === "missing"
            ? "is missing from the store"
            : s === "bytes"
            ? "no longer matches its hash"
            : "has the wrong size"
        }`,
      );
      continue;
    }
    if (o.kind === "dir") {
      const m = await store.readManifest(o.hash);
      if (!m) {
        out.push(`output '${name}' has an unreadable tree manifest`);
        continue;
      }
      for (const [rel, e] of Object.entries(m.entries)) {
        const t0 = await store.blobState(e.hash, e.size);
        const t = t0 === "ok" && !(await store.blobContentOk(e.hash, e.size, false)) ? "bytes" : t0;
        if (t !== "ok") {
          out.push(
            `file '${rel}' of output '${name}' ${
              t === "missing"
                ? "is missing"
                : t === "bytes"
                ? "no longer matches its hash"
                : "has the wrong size"
            }`,
          );
        }
      }
    }
  }
  return out;
}
