/**
 * The content of an external source (a file, or the files of a directory,
 * optionally narrowed by a glob) as it enters a key: relative path -> SHA-256.
 *
 * Hashing 50 MB on every `status` is too slow, so a stat cache remembers, per
 * absolute path, the hash a file had together with its size, mtime, ctime,
 * inode and device. The cache is a short-cut, never the truth:
 *
 * - a file is re-hashed when any of size, mtime, ctime, inode or device
 *   differs from its entry (ctime catches `touch -d`/`cp -p` setting an old
 *   mtime back, inode catches a file replaced by rename);
 * - a file is also re-hashed when its mtime is less than {@link RACY_MS}
 *   before the entry was written ("racy git"): a write in the same clock tick
 *   as the hashing, or on a file system with coarse timestamps, could change
 *   the bytes without changing any stat field we can see;
 * - the after-run check of a step never uses the cache.
 *
 * @module
 */

import { join } from "node:path";
import { globToRegExp } from "../../files/mod.ts";
import { hashFile } from "./hash.ts";

/** A file modified this close (ms) before its cache entry was written is always re-hashed. */
export const RACY_MS = 3000;

/** A source's content: relative path -> SHA-256 (a file source: its base name). */
export interface SourceDigest {
  kind: "file" | "dir";
  files: Record<string, string>;
}

/** A source path that does not exist (or is neither file nor directory). */
export class SourceMissingError extends Error {
  constructor(readonly path: string, why: string) {
    super(`${path}: ${why}`);
  }
}

interface StatEntry {
  size: number;
  mtime: number;
  ctime: number;
  ino: number;
  dev: number;
  hash: string;
  /** When the entry was written (ms since the epoch). */
  checked: number;
}

const CACHE_FORMAT = "pipeline-stat-cache/1";

let hashed = 0;

/** How many source files this process has hashed (the stat cache saves the rest). */
export function sourceFilesHashed(): number {
  return hashed;
}

/**
 * The stat cache: absolute path -> stat fields and hash, kept in one JSON
 * file (written atomically; concurrent writers lose entries, never correctness).
 *
 * @example
 * ```ts
 * const cache = await StatCache.open("artifacts/cache/stat.json");
 * const d = await digestSource("/data/mnist", "*-ubyte*", cache);
 * await cache.save();
 * ```
 */
export class StatCache {
  #entries: Record<string, StatEntry> = {};
  #dirty = false;

  private constructor(readonly file: string | null) {}

  /** Opens (or starts empty: missing or unreadable) the cache file; null keeps it in memory. */
  static async open(file: string | null): Promise<StatCache> {
    const c = new StatCache(file);
    if (file) {
      try {
        const j = JSON.parse(await Deno.readTextFile(file));
        if (j?.format === CACHE_FORMAT && j.entries && typeof j.entries === "object") {
          c.#entries = j.entries;
        }
      } catch { /* a missing or damaged cache only costs re-hashing */ }
    }
    return c;
  }

  /** The cached hash of `path` when `st` shows it cannot have changed since it was hashed. */
  lookup(path: string, st: Deno.FileInfo): string | undefined {
    const e = this.#entries[path];
    if (!e) return undefined;
    const s = statFields(st);
    const same = e.size === s.size && e.mtime === s.mtime && e.ctime === s.ctime &&
      e.ino === s.ino && e.dev === s.dev;
    if (!same || s.mtime >= e.checked - RACY_MS) return undefined;
    return e.hash;
  }

  /** Remembers the hash of `path` read while it had the stat `st`. */
  set(path: string, st: Deno.FileInfo, hash: string): void {
    this.#entries[path] = { ...statFields(st), hash, checked: Date.now() };
    this.#dirty = true;
  }

  /** Writes the cache file if anything changed and its directory's parent exists. */
  async save(): Promise<void> {
    if (!this.file || !this.#dirty) return;
    const dir = join(this.file, "..");
    try {
      await Deno.mkdir(dir);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) return; // no store yet: nothing to keep
    }
    const tmp = `${this.file}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify({ format: CACHE_FORMAT, entries: this.#entries }));
    await Deno.rename(tmp, this.file);
    this.#dirty = false;
  }
}

function statFields(st: Deno.FileInfo) {
  return {
    size: st.size,
    mtime: st.mtime?.getTime() ?? -1,
    ctime: st.ctime?.getTime() ?? -1,
    ino: st.ino ?? -1,
    dev: st.dev,
  };
}

/** The regular files of a source (relative paths, sorted); symbolic links are followed. */
async function listFiles(root: string, glob: string | undefined): Promise<string[]> {
  const re = glob ? globToRegExp(glob) : undefined;
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for await (const e of Deno.readDir(rel ? join(root, rel) : root)) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      const st = await Deno.stat(join(root, p)).catch(() => null);
      if (st?.isDirectory && !e.isSymlink) await walk(p);
      else if (st?.isFile && (!re || re.test(p))) out.push(p);
    }
  };
  await walk("");
  return out.sort();
}

/**
 * The digest of the source at `root` (a file, or a directory's files matching
 * `glob`); `cache` null hashes every file. Throws {@link SourceMissingError}
 * when `root` is absent.
 */
export async function digestSource(
  root: string,
  glob: string | undefined,
  cache: StatCache | null,
): Promise<SourceDigest> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(root);
  } catch (e) {
    throw new SourceMissingError(
      root,
      e instanceof Deno.errors.NotFound ? "no such file or directory" : (e as Error).message,
    );
  }
  const one = async (abs: string, info: Deno.FileInfo): Promise<string> => {
    const hit = cache?.lookup(abs, info);
    if (hit) return hit;
    hashed++;
    const { hash } = await hashFile(abs);
    // Stat again after reading: a file that changed meanwhile is not cached.
    const after = await Deno.stat(abs);
    if (cache && statFields(after).mtime === statFields(info).mtime && after.size === info.size) {
      cache.set(abs, info, hash);
    }
    return hash;
  };
  if (st.isFile) {
    const name = root.split("/").pop()!;
    return { kind: "file", files: { [name]: await one(root, st) } };
  }
  if (!st.isDirectory) throw new SourceMissingError(root, "neither a file nor a directory");
  const files: Record<string, string> = {};
  for (const rel of await listFiles(root, glob)) {
    const abs = join(root, rel);
    files[rel] = await one(abs, await Deno.stat(abs));
  }
  return { kind: "dir", files };
}

/** The paths a step reading the source is granted: the root, or with a glob each matched file. */
export function sourceGrants(root: string, glob: string | undefined, d: SourceDigest): string[] {
  if (d.kind === "file" || !glob) return [root];
  return Object.keys(d.files).map((rel) => join(root, rel));
}
