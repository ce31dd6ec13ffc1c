/**
 * Published outputs: plain copies (never links into the store) of a step's
 * outputs under `out/<profile>/<publish>/`, one sub-directory per instance
 * for matrix steps (`P=4,seed=1001/`); a step whose only output is a
 * directory publishes that directory's content. The directory is rebuilt aside and
 * swapped in, and left alone when its content would not change.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { canonicalJson, hashFile } from "../keys/mod.ts";
import { escapeId, type Instance, matrixLabel } from "../spec/mod.ts";
import type { RunRecord } from "./record.ts";
import { storeIoError } from "./io_failure.ts";
import { RACY_MS, randomSuffix, removeAll, SMALL_BLOB_BYTES, type Store } from "./store.ts";

/** Relative path in the published directory -> blob hash and size. */
async function plan(store: Store, instances: Instance[], records: Map<string, RunRecord>) {
  const files = new Map<string, { hash: string; size: number }>();
  for (const inst of instances) {
    const rec = records.get(inst.id)!;
    const axes = inst.idAxes;
    const sub = axes.length ? escapeId(matrixLabel(axes, inst.matrix)) + "/" : "";
    const outputs = Object.values(rec.outputs);
    // A step whose only output is a directory publishes that directory's content
    // directly (`out/<profile>/report/index.html`, not `.../report/report/...`).
    const flatten = outputs.length === 1 && outputs[0].kind !== "file";
    for (const o of outputs) {
      if (o.kind === "file") files.set(sub + o.file, { hash: o.hash, size: o.size });
      else {
        const m = await store.readManifest(o.hash);
        const prefix = flatten ? sub : `${sub}${o.file}/`;
        for (const [rel, e] of Object.entries(m?.entries ?? {})) files.set(prefix + rel, e);
      }
    }
  }
  return files;
}

/**
 * Size, mtime, ctime and inode of a large published file when it was last
 * known to match its blob, and when that was seen.
 */
type FileStat = [size: number, mtimeMs: number, ctimeMs: number, ino: number, takenAt: number];

/** The stat cache of a published directory (short-cuts only, never the truth). */
function statPath(store: Store, profile: string, name: string): string {
  return join(store.out, profile, `.${name}.stat`);
}

function sameFile(st: Deno.FileInfo, known: FileStat | undefined): boolean {
  if (!known) return false;
  const m = st.mtime?.getTime() ?? -1;
  const c = st.ctime?.getTime() ?? -1;
  // Times within RACY_MS of the moment the stat was taken cannot vouch for the bytes.
  return known[0] === st.size && known[1] === m && known[2] === c && known[3] === (st.ino ?? -1) &&
    Math.max(m, c) <= known[4] - RACY_MS;
}

async function readStats(path: string): Promise<Record<string, FileStat>> {
  try {
    const v = JSON.parse(await Deno.readTextFile(path));
    return typeof v === "object" && v !== null ? v : {};
  } catch {
    return {};
  }
}

/**
 * The published files that no longer match their blobs: missing, another
 * size, or other bytes. Small files are re-hashed every time; a large one only
 * when its stat moved since it was last checked (`hashAlways`: every file, as
 * `verify` does). Returns the stat cache to keep for the large ones.
 */
export async function damagedPublished(
  dest: string,
  files: Map<string, { hash: string; size: number }>,
  stats: Record<string, FileStat>,
  hashAlways = false,
): Promise<{ damaged: string[]; stats: Record<string, FileStat> }> {
  const damaged: string[] = [];
  const next: Record<string, FileStat> = {};
  for (const [rel, f] of files) {
    const st = await Deno.stat(join(dest, rel)).catch(() => null);
    if (!st || !st.isFile || st.size !== f.size) {
      damaged.push(rel);
      continue;
    }
    const large = f.size > SMALL_BLOB_BYTES;
    if (large && !hashAlways && sameFile(st, stats[rel])) {
      next[rel] = stats[rel];
      continue;
    }
    const d = await hashFile(join(dest, rel)).catch(() => null);
    if (d?.hash !== f.hash) {
      damaged.push(rel);
      continue;
    }
    if (large) {
      const m = st.mtime?.getTime() ?? -1;
      const c = st.ctime?.getTime() ?? -1;
      const kept = stats[rel];
      const same = kept && kept[0] === st.size && kept[1] === m && kept[2] === c &&
        kept[3] === (st.ino ?? -1);
      next[rel] = same ? kept : [st.size, m, c, st.ino ?? -1, Date.now()];
    }
  }
  return { damaged, stats: next };
}

/** Copies a blob over one published file (temp file + rename, so no reader sees half of it). */
async function restoreFile(store: Store, dest: string, rel: string, hash: string): Promise<void> {
  const target = join(dest, rel);
  await Deno.mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.restore-${randomSuffix()}`;
  try {
    await Deno.copyFile(store.blobPath(hash), tmp);
    await Deno.chmod(tmp, 0o644);
    await Deno.rename(tmp, target);
  } finally {
    await removeAll(tmp).catch(() => {});
  }
}

/** What publishing did: nothing, a fresh copy, or repaired files. */
export interface PublishResult {
  path: string;
  changed: boolean;
  /** Published files that had been altered and were restored from their blobs. */
  repaired: string[];
}

/**
 * Copies the outputs of `instances` (all of one step) to the step's published
 * directory; when the same content is already published, only files that no
 * longer match their blobs are restored, and nothing is written otherwise.
 */
export async function publishStep(
  store: Store,
  profile: string,
  name: string,
  instances: Instance[],
  records: Map<string, RunRecord>,
): Promise<PublishResult> {
  const dest = store.publishPath(profile, name);
  const files = await plan(store, instances, records);
  const manifest = canonicalJson(
    Object.fromEntries([...files].sort(([a], [b]) => (a < b ? -1 : 1))),
  );
  const marker = join(store.out, profile, `.${name}.json`);
  const statFile = statPath(store, profile, name);
  const published = await Deno.readTextFile(marker).catch(() => null);
  if (published === manifest) {
    const known = await readStats(statFile);
    const check = await damagedPublished(dest, files, known);
    for (const rel of check.damaged) {
      await restoreFile(store, dest, rel, files.get(rel)!.hash).catch(async (e) => {
        throw await storeIoError(e, `restoring published '${rel}'`, dest, files.get(rel)!.size);
      });
    }
    const after = check.damaged.length ? await damagedPublished(dest, files, check.stats) : check;
    // A no-op run writes nothing: the stat cache is rewritten only when it changed.
    if (canonicalJson(after.stats) !== canonicalJson(known)) {
      await writeStats(statFile, after.stats);
    }
    return { path: dest, changed: check.damaged.length > 0, repaired: check.damaged };
  }
  const build = join(store.tmp, `.publish-${randomSuffix()}`);
  try {
    for (const [rel, f] of files) {
      const target = join(build, rel);
      await Deno.mkdir(dirname(target), { recursive: true });
      await Deno.copyFile(store.blobPath(f.hash), target);
      await Deno.chmod(target, 0o644);
    }
    await Deno.mkdir(build, { recursive: true });
    await Deno.mkdir(dirname(dest), { recursive: true });
  } catch (e) {
    // Nothing half-published: the copy is built aside, so dropping it leaves the old one whole.
    await removeAll(build).catch(() => {});
    const needed = [...files.values()].reduce((n, f) => n + f.size, 0);
    throw await storeIoError(e, `publishing '${name}'`, store.out, needed);
  }
  const old = join(store.tmp, `.unpublish-${randomSuffix()}`);
  try {
    await Deno.rename(dest, old);
  } catch { /* nothing published before */ }
  await Deno.rename(build, dest);
  await removeAll(old);
  await Deno.writeTextFile(marker, manifest);
  const fresh = await damagedPublished(dest, files, {}, false);
  await writeStats(statFile, fresh.stats);
  return { path: dest, changed: true, repaired: [] };
}

async function writeStats(path: string, stats: Record<string, FileStat>): Promise<void> {
  const tmp = `${path}.tmp-${randomSuffix()}`;
  await Deno.writeTextFile(tmp, canonicalJson(stats));
  await Deno.rename(tmp, path);
}

/** One published file that did not match its blob, found (and restored) by `verify`. */
export interface PublishedProblem {
  path: string;
  /** Restored from its blob (false: the blob is gone too; the next reproduce republishes). */
  restored: boolean;
}

/**
 * Re-hashes every published file of every profile against the blob its
 * publication manifest names, and restores the ones that differ.
 */
export async function verifyPublished(store: Store): Promise<PublishedProblem[]> {
  const out: PublishedProblem[] = [];
  let profiles: string[] = [];
  try {
    for await (const e of Deno.readDir(store.out)) if (e.isDirectory) profiles.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  profiles = profiles.sort();
  for (const profile of profiles) {
    const names: string[] = [];
    for await (const e of Deno.readDir(join(store.out, profile))) {
      const m = /^\.(.+)\.json$/.exec(e.name);
      if (e.isFile && m) names.push(m[1]);
    }
    for (const name of names.sort()) {
      let files: Map<string, { hash: string; size: number }>;
      try {
        const raw = JSON.parse(await Deno.readTextFile(join(store.out, profile, `.${name}.json`)));
        files = new Map(Object.entries(raw as Record<string, { hash: string; size: number }>));
      } catch {
        continue; // not a publication manifest
      }
      const dest = store.publishPath(profile, name);
      const check = await damagedPublished(dest, files, {}, true);
      for (const rel of check.damaged) {
        const blobOk = (await store.blobState(files.get(rel)!.hash, files.get(rel)!.size)) === "ok";
        if (blobOk) await restoreFile(store, dest, rel, files.get(rel)!.hash);
        out.push({ path: join(dest, rel), restored: blobOk });
      }
      const after = await damagedPublished(dest, files, {}, true);
      await writeStats(statPath(store, profile, name), after.stats);
    }
  }
  return out;
}
