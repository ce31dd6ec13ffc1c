/**
 * Moving run records and their blobs between the store and a remote, in the
 * order that keeps the remote honest: every blob a record needs first, the
 * record last, so a record on the remote always means its outputs are there
 * (a push killed half-way leaves blobs that nothing names yet). Uploads
 * re-hash the bytes they send; downloads are re-hashed before they enter the
 * store, and a record must hash to its own key. Nothing lists the remote: the
 * set to move comes from the keys the engine knows.
 *
 * @module
 */

import { join } from "node:path";
import { hashFile, keyOf, sha256Hex } from "../keys/mod.ts";
import { randomSuffix, recordBlobs, type RunRecord, type Store } from "../store/mod.ts";
import { blobName, recordName, type RemoteBackend } from "./backend.ts";
import type { Progress } from "./progress.ts";

/** A bounded number of transfers at once. */
export class Slots {
  #free: number;
  #waiting: (() => void)[] = [];

  constructor(n: number) {
    this.#free = Math.max(1, n);
  }

  /** Runs `fn` when a slot is free. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free === 0) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#free--;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** Options of a transfer. */
export interface TransferOptions {
  /** Transfers at once (default 8). */
  jobs?: number;
  progress?: Progress;
  /** Notes (a record skipped, a corrupt object) are reported here. */
  note?: (message: string) => void;
}

/** What a push did. */
export interface PushReport {
  /** Records uploaded now. */
  pushed: string[];
  /** Records the remote already had. */
  present: string[];
  /** Records not pushed, with the reason (their blobs are damaged or gone locally, ...). */
  skipped: { key: string; id: string; reason: string }[];
  blobsUploaded: number;
  bytesUploaded: number;
}

/** A pause before each upload, to test interrupted pushes (`PIPELINE_REMOTE_UPLOAD_DELAY_MS`). */
function uploadDelay(): number {
  const v = Number(Deno.env.get("PIPELINE_REMOTE_UPLOAD_DELAY_MS") ?? 0);
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/**
 * Uploads `records` (and every blob they need) that the remote lacks. A
 * record already on the remote costs one existence check: its blobs went
 * up before it did.
 *
 * @example
 * ```ts
 * const report = await pushRecords(project.store, remote, [...rebuilder.records.values()]);
 * console.log(`${report.pushed.length} pushed, ${report.present.length} already there`);
 * ```
 */
export async function pushRecords(
  store: Store,
  remote: RemoteBackend,
  records: RunRecord[],
  opts: TransferOptions = {},
): Promise<PushReport> {
  const slots = new Slots(opts.jobs ?? 8);
  const delay = uploadDelay();
  const report: PushReport = {
    pushed: [],
    present: [],
    skipped: [],
    blobsUploaded: 0,
    bytesUploaded: 0,
  };
  const blobs = new Map<string, Promise<string | null>>();

  /** Makes sure the remote has a blob; null when it does, else why it cannot. */
  const ensureBlob = (hash: string, size: number): Promise<string | null> => {
    let p = blobs.get(hash);
    if (!p) {
      p = slots.run(async () => {
        const there = await remote.size(blobName(hash));
        if (there === size) return null;
        if (there !== null) {
          return `the remote's ${
            blobName(hash)
          } has ${there} bytes, not ${size} (damaged remote; it is never overwritten)`;
        }
        let bytes: Uint8Array;
        try {
          bytes = await Deno.readFile(store.blobPath(hash));
        } catch {
          return `blob ${hash.slice(0, 12)} is missing from the local store`;
        }
        // Send exactly the bytes that were hashed: a damaged local blob never leaves.
        if (bytes.length !== size || sha256Hex(bytes) !== hash) {
          return `blob ${
            hash.slice(0, 12)
          } in the local store no longer matches its hash (run verify)`;
        }
        opts.progress?.plan(size);
        if (delay) await new Promise((r) => setTimeout(r, delay));
        const r = await remote.upload(blobName(hash), bytes);
        if (r === "written") {
          report.blobsUploaded++;
          report.bytesUploaded += size;
        }
        opts.progress?.done(size);
        return null;
      });
      blobs.set(hash, p);
    }
    return p;
  };

  const pushOne = async (rec: RunRecord): Promise<void> => {
    const there = await slots.run(() => remote.size(recordName(rec.key)));
    if (there !== null) {
      report.present.push(rec.key);
      return;
    }
    const needed = await recordBlobs(store, rec);
    for (const o of Object.values(rec.outputs)) {
      // A directory output whose manifest is unreadable lists no files: do not push it.
      if (o.kind === "dir" && !(await store.readManifest(o.hash))) {
        report.skipped.push({ key: rec.key, id: rec.id, reason: "a tree manifest is unreadable" });
        return;
      }
    }
    const problems = (await Promise.all([...needed].map(([h, s]) => ensureBlob(h, s))))
      .filter((x): x is string => x !== null);
    if (problems.length) {
      report.skipped.push({ key: rec.key, id: rec.id, reason: problems[0] });
      opts.note?.(`not pushing ${rec.id}: ${problems[0]}`);
      return;
    }
    const bytes = await Deno.readFile(store.recordPath(rec.key)).catch(() => null);
    if (!bytes) {
      report.skipped.push({ key: rec.key, id: rec.id, reason: "its record left the local store" });
      return;
    }
    // Last: only now does the remote claim this key's outputs exist.
    await slots.run(async () => {
      opts.progress?.plan(bytes.length);
      await remote.upload(recordName(rec.key), bytes);
      opts.progress?.done(bytes.length);
    });
    report.pushed.push(rec.key);
  };

  const seen = new Set<string>();
  const unique = records.filter((r) => !seen.has(r.key) && seen.add(r.key));
  await Promise.all(unique.map(pushOne));
  return report;
}

/** What fetching one key gave. */
export type FetchResult =
  | { kind: "fetched"; record: RunRecord; blobs: number; bytes: number }
  | { kind: "absent" }
  | { kind: "corrupt"; reason: string };

/** Parses a downloaded record and checks it belongs to `key` (its parts hash to it). */
function parseRecord(text: string, key: string): RunRecord | string {
  let rec: RunRecord;
  try {
    rec = JSON.parse(text);
  } catch {
    return "the record is not JSON";
  }
  if (!rec || typeof rec !== "object" || rec.key !== key || typeof rec.outputs !== "object") {
    return "the record is not a run record of this key";
  }
  try {
    if (keyOf(rec.parts) !== key) return "the record's key parts do not hash to its key";
  } catch {
    return "the record's key parts are unreadable";
  }
  return rec;
}

/**
 * Brings one key's record and blobs from the remote into the store (the
 * caller holds the store lock). Every download is re-hashed; anything that
 * does not match is dropped and the record is not written, so the instance
 * is recomputed instead.
 *
 * @example
 * ```ts
 * const r = await fetchRecord(store, remote, key);
 * if (r.kind === "fetched") console.log(`pulled ${r.record.id}`);
 * ```
 */
export async function fetchRecord(
  store: Store,
  remote: RemoteBackend,
  key: string,
  opts: TransferOptions = {},
): Promise<FetchResult> {
  const slots = new Slots(opts.jobs ?? 8);
  await store.init();
  const scratch = join(store.tmp, `.pull-${randomSuffix()}`);
  await Deno.mkdir(scratch, { recursive: true });
  try {
    const recFile = join(scratch, "record.json");
    if (!(await slots.run(() => remote.download(recordName(key), recFile)))) {
      return { kind: "absent" };
    }
    const rec = parseRecord(await Deno.readTextFile(recFile), key);
    if (typeof rec === "string") return { kind: "corrupt", reason: `${recordName(key)}: ${rec}` };
    let blobs = 0;
    let bytes = 0;
    /** Downloads a blob unless the store has it intact; an error string when it is bad. */
    const getBlob = (hash: string, size: number): Promise<string | null> =>
      slots.run(async () => {
        if (!/^[0-9a-f]{64}$/.test(hash)) return `the record names a bad hash '${hash}'`;
        if (await store.blobContentOk(hash, size)) return null;
        const tmp = join(scratch, `${hash}.${randomSuffix()}`);
        opts.progress?.plan(size);
        if (!(await remote.download(blobName(hash), tmp))) {
          return `${blobName(hash)} is missing on the remote`;
        }
        const d = await hashFile(tmp);
        opts.progress?.done(size);
        if (d.hash !== hash || d.size !== size) {
          await Deno.remove(tmp).catch(() => {});
          return `${blobName(hash)} on the remote does not match its hash (not used)`;
        }
        await store.putFile(tmp, { move: true });
        blobs++;
        bytes += size;
        return null;
      });
    // Manifests first: they name the files of directory outputs.
    const first: Promise<string | null>[] = [];
    for (const o of Object.values(rec.outputs)) first.push(getBlob(o.hash, o.size));
    if (rec.log) first.push(getBlob(rec.log.hash, rec.log.size));
    const p1 = (await Promise.all(first)).filter((x): x is string => x !== null);
    if (p1.length) return { kind: "corrupt", reason: p1[0] };
    const rest: Promise<string | null>[] = [];
    for (const o of Object.values(rec.outputs)) {
      if (o.kind !== "dir") continue;
      const m = await store.readManifest(o.hash);
      if (!m) {
        return { kind: "corrupt", reason: `tree manifest ${o.hash.slice(0, 12)} is unreadable` };
      }
      for (const e of Object.values(m.entries)) rest.push(getBlob(e.hash, e.size));
    }
    const p2 = (await Promise.all(rest)).filter((x): x is string => x !== null);
    if (p2.length) return { kind: "corrupt", reason: p2[0] };
    // Last, as a run does: the record is the proof that the outputs exist.
    await store.writeRecord(rec);
    return { kind: "fetched", record: rec, blobs, bytes };
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}
