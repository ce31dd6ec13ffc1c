/**
 * Crash-safe snapshots in a directory: a snapshot is a set of named files
 * that appears all at once (written into a temporary directory, then
 * renamed), so a process killed at any instant leaves either the previous
 * snapshot or the new one, never a mix.
 *
 * Layout: `<dir>/snap-<label>/` for each complete snapshot (only the newest is
 * kept) and `<dir>/.tmp-*` for one being written (ignored and removed).
 *
 * @module
 */

const PREFIX = "snap-";

/** A snapshot: its label (e.g. an epoch number, zero-padded) and its files by name. */
export interface Snapshot {
  label: string;
  files: Map<string, Uint8Array>;
}

/** Writes `files` as the snapshot `label` and removes older snapshots. */
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
  for (const [name, bytes] of Object.entries(files)) {
    if (name.includes("/")) throw new Error(`snapshot file name '${name}' must not contain '/'`);
    const f = await Deno.open(`${tmp}/${name}`, { write: true, create: true, truncate: true });
    try {
      await writeAll(f, bytes);
      await f.sync();
    } finally {
      f.close();
    }
  }
  const final = `${dir}/${PREFIX}${label}`;
  await Deno.remove(final, { recursive: true }).catch(() => {});
  await Deno.rename(tmp, final);
  for await (const e of Deno.readDir(dir)) {
    if (e.name === `${PREFIX}${label}`) continue;
    if (e.name.startsWith(PREFIX) || e.name.startsWith(".tmp-")) {
      await Deno.remove(`${dir}/${e.name}`, { recursive: true }).catch(() => {});
    }
  }
}

/** The newest complete snapshot in `dir` (by label order), or null if there is none. */
export async function loadLatestSnapshot(dir: string): Promise<Snapshot | null> {
  const labels: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && e.name.startsWith(PREFIX)) labels.push(e.name.slice(PREFIX.length));
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  if (labels.length === 0) return null;
  labels.sort();
  const label = labels[labels.length - 1];
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(`${dir}/${PREFIX}${label}`)) {
    if (e.isFile) files.set(e.name, await Deno.readFile(`${dir}/${PREFIX}${label}/${e.name}`));
  }
  return { label, files };
}

async function writeAll(f: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await f.write(bytes.subarray(off));
}
