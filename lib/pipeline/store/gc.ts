/**
 * `gc`: keep what the current pipeline reaches under any profile (the
 * records of its current keys, their outputs and logs, the checkpoints of
 * current keys not yet done: computed by the build's `liveSet`), what the
 * pins name and what the listed runs (`runs/`) resolved to; drop every other blob, record, tree, checkpoint and staging
 * directory.
 *
 * @module
 */

import { join } from "node:path";
import { recordBlobs } from "./integrity.ts";
import type { PinFile, RunRecord } from "./record.ts";
import { runKeys } from "./runs.ts";
import { diskSize, removeAll, type Store } from "./store.ts";
import { isSha256 } from "../keys/mod.ts";

/** Counts and bytes of one kind of thing. */
export interface Freed {
  count: number;
  bytes: number;
}

/** What gc dropped (or would drop). */
export interface GcReport {
  blobs: Freed;
  records: Freed;
  trees: Freed;
  checkpoints: Freed;
  tmp: Freed;
  kept: { blobs: number; records: number; trees: number; checkpoints: number };
}

/** Reads every pin file; a malformed one is an error (better to keep everything than guess). */
export async function readPins(store: Store): Promise<{ name: string; pin: PinFile }[]> {
  const out: { name: string; pin: PinFile }[] = [];
  try {
    for await (const e of Deno.readDir(store.pins)) {
      if (!e.isFile || !e.name.endsWith(".json")) continue;
      const path = join(store.pins, e.name);
      let pin: PinFile;
      try {
        pin = JSON.parse(await Deno.readTextFile(path));
      } catch (err) {
        throw new Error(
          `pin file ${path} is not valid JSON (${(err as Error).message}); nothing was collected`,
        );
      }
      const bad = (x: unknown) =>
        x !== undefined &&
        !(Array.isArray(x) && x.every((h) => typeof h === "string" && isSha256(h)));
      if (typeof pin !== "object" || pin === null || bad(pin.blobs) || bad(pin.records)) {
        throw new Error(
          `pin file ${path}: 'blobs' and 'records' must be lists of SHA-256 hex strings; nothing was collected`,
        );
      }
      out.push({ name: e.name, pin });
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out;
}

/** What the current pipeline reaches: records of current keys, and keys whose work is in progress. */
export interface LiveSet {
  records: RunRecord[];
  /** Keys of current instances not yet done (their checkpoints are kept). */
  checkpoints: string[];
}

/** Marks what `live` and the pins reach, then drops (or with `dryRun` only counts) the rest. */
export async function collectGarbage(
  store: Store,
  live: LiveSet,
  opts: { dryRun: boolean; ignoreRuns?: boolean },
): Promise<GcReport> {
  const keepRecords = new Set<string>();
  const keepBlobs = new Set<string>();
  const keepTrees = new Set<string>();
  const keepCheckpoints = new Set<string>(live.checkpoints);

  const keepRecord = async (rec: RunRecord) => {
    keepRecords.add(rec.key);
    for (const h of (await recordBlobs(store, rec)).keys()) keepBlobs.add(h);
    for (const o of Object.values(rec.outputs)) if (o.kind === "dir") keepTrees.add(o.hash);
  };

  for (const rec of live.records) await keepRecord(rec);
  // A listed run keeps what it resolved to, so `compare`/`metrics` still find it.
  for (const key of opts.ignoreRuns ? [] : await runKeys(store)) {
    const rec = await store.readRecord(key);
    if (rec) await keepRecord(rec);
  }
  for (const { pin } of await readPins(store)) {
    for (const key of pin.records ?? []) {
      const rec = await store.readRecord(key);
      if (rec) await keepRecord(rec);
    }
    for (const h of pin.blobs ?? []) {
      keepBlobs.add(h);
      const m = await store.readManifest(h);
      if (m) {
        keepTrees.add(h);
        for (const e of Object.values(m.entries)) keepBlobs.add(e.hash);
      }
    }
  }

  const report: GcReport = {
    blobs: { count: 0, bytes: 0 },
    records: { count: 0, bytes: 0 },
    trees: { count: 0, bytes: 0 },
    checkpoints: { count: 0, bytes: 0 },
    tmp: { count: 0, bytes: 0 },
    kept: { blobs: 0, records: 0, trees: 0, checkpoints: 0 },
  };
  const drop = async (path: string, into: Freed) => {
    into.count++;
    into.bytes += await diskSize(path);
    if (!opts.dryRun) await removeAll(path);
  };
  // Records first: a record never points at a blob that is already gone.
  for (const key of await store.listRecordKeys()) {
    if (keepRecords.has(key)) report.kept.records++;
    else await drop(store.recordPath(key), report.records);
  }
  for (const h of await store.listBlobs()) {
    if (keepBlobs.has(h)) report.kept.blobs++;
    else await drop(store.blobPath(h), report.blobs);
  }
  const dirs = async (
    root: string,
    keep: Set<string>,
    into: Freed,
    kept: "trees" | "checkpoints",
  ) => {
    try {
      for await (const e of Deno.readDir(root)) {
        if (keep.has(e.name)) report.kept[kept]++;
        else await drop(join(root, e.name), into);
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  };
  // Stat short-cuts of dropped blobs go with them (they are not counted: a cache, not results).
  try {
    for await (const e of Deno.readDir(store.blobStats)) {
      if (!keepBlobs.has(e.name) && !opts.dryRun) await removeAll(join(store.blobStats, e.name));
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await dirs(store.trees, keepTrees, report.trees, "trees");
  await dirs(store.checkpoints, keepCheckpoints, report.checkpoints, "checkpoints");
  // Staging of cluster jobs a killed engine left: the next reproduce may adopt them.
  const inFlight = new Set(
    (await store.readJobFiles()).map((j) => (j as { attemptDir?: unknown }).attemptDir),
  );
  try {
    for await (const e of Deno.readDir(store.tmp)) {
      if (inFlight.has(join(store.tmp, e.name))) continue;
      await drop(join(store.tmp, e.name), report.tmp);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return report;
}
