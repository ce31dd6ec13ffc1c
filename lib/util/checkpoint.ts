/**
 * Crash-safe, self-checking snapshots in a directory: a snapshot is a set of
 * named files that appears all at once (written into a temporary directory,
 * then renamed), so a process killed at any instant leaves either the
 * previous snapshot or the new one, never a mix. Each snapshot also carries a
 * manifest (`MANIFEST.json`: every file's size and SHA-256), written after
 * the files, so damage the rename cannot prevent (a truncated or altered file,
 * a copy that lost a file) is detected on load: such a snapshot is discarded
 * with a warning and the previous generation, or nothing, is used instead.
 *
 * Layout: `<dir>/snap-<label>/` for each complete snapshot (the two newest are
 * kept, so a damaged newest one still leaves a good one) and `<dir>/.tmp-*`
 * for one being written (ignored and removed).
 *
 * @module
 */

const PREFIX = "snap-";
const MANIFEST = "MANIFEST.json";
/** Generations kept: the newest and the one before it. */
const KEEP = 2;

/** A snapshot: its label (e.g. an epoch number, zero-padded) and its files by name. */
export interface Snapshot {
  label: string;
  files: Map<string, Uint8Array>;
}

/** How loading reports a snapshot it discards. */
export interface LoadOptions {
  /** Called for each discarded snapshot, newest first, with what was wrong with it. */
  onDiscard?(label: string, reason: string): void;
}

interface Manifest {
  format: 1;
  label: string;
  files: Record<string, { size: number; sha256: string }>;
}

/**
 * Writes `files` as the snapshot `label` and removes all but the two newest
 * snapshots. Labels must sort in the order they are written.
 *
 * @example
 * ```ts
 * await saveSnapshot(dir, "epoch-000003", { "state.json": bytes });
 * ```
 */
export async function saveSnapshot(
  dir: string,
  label: string,
  files: Record<string, Uint8Array>,
): Promise<void> {
  if (!/^[A-Za-z0-9_.-]+$/.test(label)) {
    throw new Error(`snapshot label '${label}' is not a plain name`);
  }
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${dir}/.tmp-${label}-${crypto.randomUUID()}`;
  await Deno.mkdir(tmp);
  const manifest: Manifest = { format: 1, label, files: {} };
  for (const [name, bytes] of Object.entries(files)) {
    if (name.includes("/")) throw new Error(`snapshot file name '${name}' must not contain '/'`);
    if (name === MANIFEST) throw new Error(`snapshot file name '${MANIFEST}' is reserved`);
    await writeSynced(`${tmp}/${name}`, bytes);
    manifest.files[name] = { size: bytes.length, sha256: await sha256(bytes) };
  }
  // The manifest last: a snapshot whose manifest is complete had every file written before it.
  await writeSynced(`${tmp}/${MANIFEST}`, new TextEncoder().encode(JSON.stringify(manifest)));
  const final = `${dir}/${PREFIX}${label}`;
  await Deno.remove(final, { recursive: true }).catch(() => {});
  await Deno.rename(tmp, final);
  const labels = (await snapshotLabels(dir)).filter((l) => l <= label);
  const keep = new Set(labels.slice(-KEEP).map((l) => `${PREFIX}${l}`));
  for await (const e of Deno.readDir(dir)) {
    if (keep.has(e.name)) continue;
    if (e.name.startsWith(PREFIX) || e.name.startsWith(".tmp-")) {
      await Deno.remove(`${dir}/${e.name}`, { recursive: true }).catch(() => {});
    }
  }
}

/**
 * The newest intact snapshot in `dir` (by label order), or null if there is
 * none. Damaged snapshots are removed and reported through `onDiscard`.
 */
export async function loadLatestSnapshot(
  dir: string,
  options: LoadOptions = {},
): Promise<Snapshot | null> {
  return await loadLatest(dir, (snap) => snap, options);
}

/**
 * The newest intact snapshot that `decode` accepts, decoded, or null if there
 * is none. A snapshot that fails its integrity check, or whose decoding
 * throws, is removed and reported through `onDiscard`, and the one before it
 * is tried.
 *
 * @example
 * ```ts
 * const state = await loadLatest(dir, (s) => JSON.parse(text(s.files.get("state.json")!)), {
 *   onDiscard: (label, why) => log(`checkpoint ${label} discarded: ${why}`),
 * });
 * ```
 */
export async function loadLatest<T>(
  dir: string,
  decode: (snap: Snapshot) => T | Promise<T>,
  options: LoadOptions = {},
): Promise<T | null> {
  const labels = await snapshotLabels(dir);
  for (let i = labels.length - 1; i >= 0; i--) {
    const label = labels[i];
    const path = `${dir}/${PREFIX}${label}`;
    let reason: string;
    try {
      const snap = await readVerified(path, label);
      return await decode(snap);
    } catch (e) {
      reason = e instanceof Error ? e.message : String(e);
    }
    options.onDiscard?.(label, reason);
    await Deno.remove(path, { recursive: true }).catch(() => {});
  }
  return null;
}

async function snapshotLabels(dir: string): Promise<string[]> {
  const labels: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && e.name.startsWith(PREFIX)) labels.push(e.name.slice(PREFIX.length));
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return labels.sort();
}

/** Reads a snapshot directory, throwing a one-line reason if it does not match its manifest. */
async function readVerified(path: string, label: string): Promise<Snapshot> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(`${path}/${MANIFEST}`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`no ${MANIFEST} (manifest missing)`);
    throw new Error(`${MANIFEST} is unreadable (manifest damaged)`);
  }
  if (
    manifest?.format !== 1 || manifest.label !== label || typeof manifest.files !== "object" ||
    manifest.files === null
  ) {
    throw new Error(`${MANIFEST} does not describe snapshot ${label} (manifest damaged)`);
  }
  const present = new Set<string>();
  for await (const e of Deno.readDir(path)) {
    if (e.name !== MANIFEST) present.add(e.name);
  }
  const files = new Map<string, Uint8Array>();
  for (const [name, want] of Object.entries(manifest.files).sort(([a], [b]) => a < b ? -1 : 1)) {
    if (!present.has(name)) throw new Error(`${name} is missing`);
    const bytes = await Deno.readFile(`${path}/${name}`);
    if (bytes.length !== want.size) {
      throw new Error(`${name} has ${bytes.length} bytes, its manifest says size ${want.size}`);
    }
    if (await sha256(bytes) !== want.sha256) {
      throw new Error(`${name} does not match its SHA-256 in the manifest`);
    }
    files.set(name, bytes);
  }
  for (const name of present) {
    if (!files.has(name)) throw new Error(`${name} is not in the manifest`);
  }
  return { label, files };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function writeSynced(path: string, bytes: Uint8Array): Promise<void> {
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
    await f.sync();
  } finally {
    f.close();
  }
}
