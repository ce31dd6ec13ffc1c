/**
 * The artifact store on disk: content-addressed read-only blobs, tree
 * manifests and their materialised directories, run records, per-profile
 * index entries, checkpoints, staging, logs and published copies. Every
 * file that signals validity appears by an atomic rename of a complete file.
 *
 * Layout (under the store root, `artifacts/` by default):
 * `blobs/sha256/<aa>/<hash>`, `trees/<manifest hash>/`, `records/<key>.json`,
 * `index/<profile>/<instance>.json`, `checkpoints/<key>/`, `tmp/`, `logs/`,
 * `out/<profile>/<publish>/`, `pins/*.json`, `quarantine/`, `lock`,
 * `cache/stat.json` (the stat cache of external sources: a short-cut, safe to delete).
 *
 * @module
 */

import { dirname, join } from "node:path";
import {
  canonicalJson,
  type FileDigest,
  hashFile,
  isSha256,
  sha256Hex,
  stableJson,
} from "../keys/mod.ts";
import { escapeId, escapeIdForGrant } from "../spec/mod.ts";
import type { IndexEntry, RunRecord, TreeEntry, TreeManifest } from "./record.ts";

/** State of a blob against an expected size. */
export type BlobState = "ok" | "missing" | "size";

/** Random suffix for temporary names. */
export function randomSuffix(): string {
  const b = crypto.getRandomValues(new Uint8Array(6));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** Removes a path recursively; a missing path is fine. */
export async function removeAll(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Size of a file or directory tree in bytes (0 if missing). */
export async function diskSize(path: string): Promise<number> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.lstat(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory) return st.size;
  let total = 0;
  for await (const e of Deno.readDir(path)) total += await diskSize(join(path, e.name));
  return total;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Blobs up to this size are re-hashed whenever they are used; larger ones when their stat moved. */
export const SMALL_BLOB_BYTES = 4 * 1024 * 1024;

/**
 * How close to the moment a stat was taken a file's mtime or ctime may be
 * before the stat cannot vouch for it: file times come from a coarse clock,
 * so an edit right after the stat can leave them unchanged ("racy git").
 */
export const RACY_MS = 2000;

/** What identifies one version of a file on disk, for the stat short-cut. */
function blobStatOf(st: Deno.FileInfo): string {
  return JSON.stringify([
    st.size,
    st.mtime?.getTime() ?? -1,
    st.ctime?.getTime() ?? -1,
    st.ino,
    st.dev,
  ]);
}

/** True when a stat taken at `takenAt` cannot tell later edits apart (times too close). */
function racy(st: Deno.FileInfo, takenAt: number): boolean {
  const m = st.mtime?.getTime() ?? Infinity;
  const c = st.ctime?.getTime() ?? Infinity;
  return Math.max(m, c) > takenAt - RACY_MS;
}

/** The store rooted at a directory. */
export class Store {
  readonly blobs: string;
  readonly trees: string;
  readonly records: string;
  readonly index: string;
  readonly checkpoints: string;
  readonly tmp: string;
  readonly logs: string;
  readonly out: string;
  readonly pins: string;
  readonly quarantineDir: string;
  readonly lockFile: string;
  /** `jobs/<key>.json`: cluster jobs submitted and not yet settled (see build/jobs.ts). */
  readonly jobs: string;
  /** Stats of large blobs when they were last known good (short-cuts only, never the truth). */
  readonly blobStats: string;
  /** The stat cache of external sources (see keys/source_digest.ts). */
  readonly statCacheFile: string;

  constructor(readonly root: string) {
    this.blobs = join(root, "blobs", "sha256");
    this.trees = join(root, "trees");
    this.records = join(root, "records");
    this.index = join(root, "index");
    this.checkpoints = join(root, "checkpoints");
    this.tmp = join(root, "tmp");
    this.logs = join(root, "logs");
    this.out = join(root, "out");
    this.pins = join(root, "pins");
    this.quarantineDir = join(root, "quarantine");
    this.lockFile = join(root, "lock");
    this.jobs = join(root, "jobs");
    this.blobStats = join(root, "blob-stats");
    this.statCacheFile = join(root, "cache", "stat.json");
  }

  /** Creates the store's directories. */
  async init(): Promise<void> {
    for (
      const d of [
        this.blobs,
        this.trees,
        this.records,
        this.index,
        this.checkpoints,
        this.tmp,
        this.logs,
        this.out,
        this.pins,
        this.quarantineDir,
      ]
    ) await Deno.mkdir(d, { recursive: true });
  }

  /** True if the store directory exists (read-only commands do not create it). */
  exists(): Promise<boolean> {
    return exists(this.root);
  }

  // ---- blobs ---------------------------------------------------------------

  /** Path of a blob. */
  blobPath(hash: string): string {
    return join(this.blobs, hash.slice(0, 2), hash);
  }

  /**
   * Whether a blob's bytes still match its name. Small blobs are always
   * re-hashed; a large one only when its size, mtime, ctime or inode moved
   * since it was last known good (blobs are read-only, so an edit moves them).
   */
  async blobContentOk(hash: string, size: number, refresh = true): Promise<boolean> {
    const path = this.blobPath(hash);
    const st = await Deno.stat(path).catch(() => null);
    if (!st || !st.isFile || st.size !== size) return false;
    const now = blobStatOf(st);
    let known: { stat: string; takenAt: number } | null = null;
    if (size > SMALL_BLOB_BYTES) {
      known = await Deno.readTextFile(join(this.blobStats, hash)).then(JSON.parse, () => null);
      if (known?.stat === now && !racy(st, known.takenAt)) return true;
    }
    const d = await hashFile(path).catch(() => null);
    if (d?.hash !== hash) return false;
    // Refresh the short-cut only when it changes (or stops being racy): no-op runs write nothing.
    if (refresh && size > SMALL_BLOB_BYTES && (known?.stat !== now || !racy(st, Date.now()))) {
      await this.noteBlobGood(hash).catch(() => {});
    }
    return true;
  }

  /** Notes a large blob's stat as known good (after it was written or re-hashed). */
  async noteBlobGood(hash: string): Promise<void> {
    const st = await Deno.stat(this.blobPath(hash)).catch(() => null);
    if (!st || st.size <= SMALL_BLOB_BYTES) return;
    await Deno.mkdir(this.blobStats, { recursive: true });
    const tmp = join(this.blobStats, `.${hash}-${randomSuffix()}`);
    await Deno.writeTextFile(tmp, JSON.stringify({ stat: blobStatOf(st), takenAt: Date.now() }));
    await Deno.rename(tmp, join(this.blobStats, hash));
  }

  /** Cheap check: the blob exists and has the expected size. */
  async blobState(hash: string, size: number): Promise<BlobState> {
    try {
      const st = await Deno.stat(this.blobPath(hash));
      return st.isFile && st.size === size ? "ok" : "size";
    } catch {
      return "missing";
    }
  }

  /**
   * Adds a file to the store by content. With `move`, the file is renamed into
   * place (it must be on the store's file system); otherwise it is copied.
   */
  async putFile(src: string, opts: { move: boolean }): Promise<FileDigest> {
    let staged = src;
    if (!opts.move) {
      staged = join(this.tmp, `.blob-${randomSuffix()}`);
      await Deno.copyFile(src, staged);
    }
    const digest = await hashFile(staged);
    const dest = this.blobPath(digest.hash);
    if (await exists(dest)) {
      // Reuse the existing blob only if it really holds these bytes; a damaged
      // one is set aside and replaced by the fresh copy.
      const cur = await hashFile(dest).catch(() => null);
      if (cur && cur.hash === digest.hash) {
        await Deno.remove(staged);
        await this.noteBlobGood(digest.hash).catch(() => {});
        return digest;
      }
      await this.quarantine(digest.hash, "content did not match its name when re-added");
    }
    await Deno.mkdir(dirname(dest), { recursive: true });
    const f = await Deno.open(staged, { read: true });
    try {
      await f.sync();
    } finally {
      f.close();
    }
    await Deno.chmod(staged, 0o444);
    await Deno.rename(staged, dest);
    await this.noteBlobGood(digest.hash).catch(() => {});
    return digest;
  }

  /** Adds bytes to the store by content. */
  async putBytes(bytes: Uint8Array): Promise<FileDigest> {
    const staged = join(this.tmp, `.blob-${randomSuffix()}`);
    await Deno.writeFile(staged, bytes);
    return this.putFile(staged, { move: true });
  }

  /** Moves a blob to quarantine/ (it no longer matches its name). */
  async quarantine(hash: string, reason: string): Promise<string | null> {
    return await this.quarantineFile(this.blobPath(hash), hash, reason);
  }

  /** Moves any file of the store to quarantine/ under `name`, with the reason beside it. */
  async quarantineFile(path: string, name: string, reason: string): Promise<string | null> {
    await Deno.mkdir(this.quarantineDir, { recursive: true });
    const base = `${name}.${new Date().toISOString().replace(/[:.]/g, "-")}`;
    const dest = join(this.quarantineDir, base);
    try {
      await Deno.rename(path, dest);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
    await Deno.writeTextFile(`${dest}.reason.txt`, reason + "\n");
    return dest;
  }

  /** Every blob hash in the store. */
  async listBlobs(): Promise<string[]> {
    const out: string[] = [];
    try {
      for await (const d of Deno.readDir(this.blobs)) {
        if (!d.isDirectory) continue;
        for await (const f of Deno.readDir(join(this.blobs, d.name))) {
          if (f.isFile && isSha256(f.name)) out.push(f.name);
        }
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return out.sort();
  }

  // ---- trees ---------------------------------------------------------------

  /** Moves a directory's files into the store and stores its manifest; returns the manifest's digest. */
  async putTree(dir: string): Promise<FileDigest & { manifest: TreeManifest }> {
    const entries: Record<string, TreeEntry> = {};
    const walk = async (rel: string): Promise<void> => {
      for await (const e of Deno.readDir(join(dir, rel))) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isSymlink) {
          throw new Error(`'${p}' is a symbolic link (directory outputs hold regular files only)`);
        }
        if (e.isDirectory) await walk(p);
        else if (e.isFile) entries[p] = await this.putFile(join(dir, p), { move: true });
        else throw new Error(`'${p}' is not a regular file`);
      }
    };
    await walk("");
    const manifest: TreeManifest = { format: "pipeline-tree/1", entries };
    const d = await this.putBytes(new TextEncoder().encode(canonicalJson(manifest)));
    return { ...d, manifest };
  }

  /** Reads a tree manifest blob (null if missing or not a manifest). */
  async readManifest(hash: string): Promise<TreeManifest | null> {
    try {
      const m = JSON.parse(await Deno.readTextFile(this.blobPath(hash)));
      return m?.format === "pipeline-tree/1" && typeof m.entries === "object" ? m : null;
    } catch {
      return null;
    }
  }

  /** Path of a tree's materialised directory. */
  treePath(hash: string): string {
    return join(this.trees, hash);
  }

  /**
   * A directory holding a tree's files (hard links to the blobs, or copies),
   * built atomically; an existing one that lost files is rebuilt.
   */
  async materialiseTree(hash: string, manifest: TreeManifest): Promise<string> {
    const dest = this.treePath(hash);
    if (await exists(dest)) {
      if (await this.treeIntact(dest, manifest)) return dest;
      await removeAll(dest);
    }
    const build = join(this.tmp, `.tree-${randomSuffix()}`);
    await Deno.mkdir(build, { recursive: true });
    for (const [rel, e] of Object.entries(manifest.entries)) {
      const target = join(build, rel);
      await Deno.mkdir(dirname(target), { recursive: true });
      try {
        await Deno.link(this.blobPath(e.hash), target);
      } catch {
        await Deno.copyFile(this.blobPath(e.hash), target);
        await Deno.chmod(target, 0o444);
      }
    }
    await Deno.mkdir(this.trees, { recursive: true });
    try {
      await Deno.rename(build, dest);
    } catch {
      // Someone else built it first; theirs is as good as ours.
      await removeAll(build);
    }
    return dest;
  }

  /** Cheap check of a materialised tree: exactly the manifest's files, with their sizes. */
  async treeIntact(dir: string, manifest: TreeManifest): Promise<boolean> {
    let count = 0;
    const walk = async (rel: string): Promise<boolean> => {
      for await (const e of Deno.readDir(join(dir, rel))) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory) {
          if (!await walk(p)) return false;
          continue;
        }
        const want = manifest.entries[p];
        if (!want) return false;
        const st = await Deno.stat(join(dir, p));
        if (st.size !== want.size) return false;
        count++;
      }
      return true;
    };
    try {
      return await walk("") && count === Object.keys(manifest.entries).length;
    } catch {
      return false;
    }
  }

  // ---- records and index ---------------------------------------------------

  /** Path of a run record. */
  recordPath(key: string): string {
    return join(this.records, `${key}.json`);
  }

  /** A run record, or null when there is none (or it is unreadable). */
  async readRecord(key: string): Promise<RunRecord | null> {
    try {
      const r = JSON.parse(await Deno.readTextFile(this.recordPath(key)));
      return r && r.key === key && typeof r.outputs === "object" ? r as RunRecord : null;
    } catch {
      return null;
    }
  }

  /** Writes a run record atomically. */
  writeRecord(rec: RunRecord): Promise<void> {
    return this.writeJsonAtomic(this.recordPath(rec.key), rec);
  }

  /** Removes a run record. */
  async dropRecord(key: string): Promise<void> {
    await removeAll(this.recordPath(key));
  }

  /** Every record key in the store. */
  async listRecordKeys(): Promise<string[]> {
    const out: string[] = [];
    try {
      for await (const e of Deno.readDir(this.records)) {
        const m = /^([0-9a-f]{64})\.json$/.exec(e.name);
        if (m) out.push(m[1]);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return out.sort();
  }

  /** Path of an index entry. */
  indexPath(profile: string, id: string): string {
    return join(this.index, profile, `${escapeId(id)}.json`);
  }

  /** The last key an instance resolved to under a profile. */
  async readIndex(profile: string, id: string): Promise<IndexEntry | null> {
    try {
      return JSON.parse(await Deno.readTextFile(this.indexPath(profile, id))) as IndexEntry;
    } catch {
      return null;
    }
  }

  /** Records the key an instance resolved to under a profile. */
  writeIndex(entry: IndexEntry): Promise<void> {
    return this.writeJsonAtomic(this.indexPath(entry.profile, entry.id), entry);
  }

  // ---- work directories ----------------------------------------------------

  /** The checkpoint directory of a key. */
  checkpointDir(key: string): string {
    return join(this.checkpoints, key);
  }

  /** A fresh staging directory for one attempt of an instance. */
  async newAttemptDir(id: string): Promise<string> {
    const dir = join(this.tmp, `${escapeIdForGrant(id)}.${randomSuffix()}`);
    await Deno.mkdir(dir, { recursive: true });
    return dir;
  }

  /** The log file of an instance under a profile (the latest attempt). */
  logPath(profile: string, id: string): string {
    return join(this.logs, profile, `${escapeId(id)}.log`);
  }

  /** The published directory of a step under a profile. */
  publishPath(profile: string, name: string): string {
    return join(this.out, profile, name);
  }

  /**
   * Removes every staging directory but those in `keep` (full paths: the
   * attempts of adopted cluster jobs). Call only while holding the lock.
   */
  async cleanTmp(keep: ReadonlySet<string> = new Set()): Promise<string[]> {
    const removed: string[] = [];
    try {
      for await (const e of Deno.readDir(this.tmp)) {
        if (keep.has(join(this.tmp, e.name))) continue;
        await removeAll(join(this.tmp, e.name));
        removed.push(e.name);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return removed;
  }

  // ---- cluster jobs in flight ---------------------------------------------

  /** The job file of a key. */
  jobFilePath(key: string): string {
    return join(this.jobs, `${key}.json`);
  }

  /** Every job file's content (unreadable ones are skipped: a rerun resumes from the checkpoint). */
  async readJobFiles(): Promise<unknown[]> {
    const out: unknown[] = [];
    try {
      for await (const e of Deno.readDir(this.jobs)) {
        if (!e.name.endsWith(".json")) continue;
        try {
          out.push(JSON.parse(await Deno.readTextFile(join(this.jobs, e.name))));
        } catch { /* a torn or foreign file: ignored */ }
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return out;
  }

  /** Removes a key's job file (absent is fine). */
  async dropJobFile(key: string): Promise<void> {
    await removeAll(this.jobFilePath(key));
  }

  /** Writes JSON (sorted keys, pretty) via a temporary file and a rename. */
  async writeJsonAtomic(path: string, value: unknown): Promise<void> {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.mkdir(this.tmp, { recursive: true });
    const tmp = join(this.tmp, `.write-${randomSuffix()}`);
    await Deno.writeTextFile(tmp, stableJson(value), { createNew: true });
    const f = await Deno.open(tmp, { read: true });
    try {
      await f.syncData();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  }
}

/** Content hash of a JSON value as the store would name it (for tests and manifests). */
export function jsonBlobHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
