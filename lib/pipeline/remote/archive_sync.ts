/**
 * Archive bundles on a remote, by name: each file of `archives/<name>/` goes
 * up as a blob (so bundles share content with the run cache and with each
 * other), then a manifest `archives/<name>.json` listing path -> hash, last.
 * A pull re-hashes every file, builds the bundle aside and renames it into
 * `archives/<name>/`, where `verify --archive` checks it against its own
 * RO-Crate metadata.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { hashFile, sha256Hex, stableJson } from "../keys/mod.ts";
import { randomSuffix, removeAll, type Store } from "../store/mod.ts";
import { archiveName, blobName, type RemoteBackend, RemoteError } from "./backend.ts";
import { Slots, type TransferOptions } from "./transfer.ts";

/** The remote manifest of a bundle. */
export interface ArchiveManifest {
  format: "pipeline-archive/1";
  name: string;
  files: Record<string, { hash: string; size: number }>;
}

/** Bundle names (one path segment, as `archive` makes them). */
const NAME = /^(?!\.)[A-Za-z0-9._-]+$/;

function checkName(name: string): void {
  if (!NAME.test(name)) throw new RemoteError(`'${name}' is not an archive name`);
}

async function walk(dir: string, rel = "", out: string[] = []): Promise<string[]> {
  for await (const e of Deno.readDir(join(dir, rel))) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) await walk(dir, p, out);
    else if (e.isFile) out.push(p);
  }
  return out.sort();
}

/**
 * Uploads the bundle `<store>/archives/<name>/`; "exists" when the remote
 * already has a bundle of that name (it is never replaced).
 */
export async function pushArchive(
  store: Store,
  remote: RemoteBackend,
  name: string,
  opts: TransferOptions = {},
): Promise<{ result: "pushed" | "exists"; files: number; uploaded: number }> {
  checkName(name);
  const dir = join(store.root, "archives", name);
  if (!(await Deno.stat(dir).then((s) => s.isDirectory, () => false))) {
    throw new RemoteError(`no bundle '${name}' in ${join(store.root, "archives")}`);
  }
  if ((await remote.size(archiveName(name))) !== null) {
    return { result: "exists", files: 0, uploaded: 0 };
  }
  const slots = new Slots(opts.jobs ?? 8);
  const manifest: ArchiveManifest = { format: "pipeline-archive/1", name, files: {} };
  let uploaded = 0;
  await Promise.all((await walk(dir)).map((rel) =>
    slots.run(async () => {
      const bytes = await Deno.readFile(join(dir, rel));
      const hash = sha256Hex(bytes);
      manifest.files[rel] = { hash, size: bytes.length };
      if ((await remote.size(blobName(hash))) === bytes.length) return;
      opts.progress?.plan(bytes.length);
      if ((await remote.upload(blobName(hash), bytes)) === "written") uploaded++;
      opts.progress?.done(bytes.length);
    })
  ));
  const sorted = Object.fromEntries(Object.entries(manifest.files).sort());
  const text = stableJson({ ...manifest, files: sorted });
  await remote.upload(archiveName(name), new TextEncoder().encode(text));
  return { result: "pushed", files: Object.keys(sorted).length, uploaded };
}

/**
 * Downloads the bundle `name` into `<store>/archives/<name>/` (which must not
 * exist), every file re-hashed; returns its directory.
 */
export async function pullArchive(
  store: Store,
  remote: RemoteBackend,
  name: string,
  opts: TransferOptions = {},
): Promise<{ dir: string; files: number; bytes: number }> {
  checkName(name);
  const archives = join(store.root, "archives");
  const dest = join(archives, name);
  if (await Deno.stat(dest).then(() => true, () => false)) {
    throw new RemoteError(`${dest} exists already; remove it to pull the bundle again`);
  }
  await Deno.mkdir(archives, { recursive: true });
  const build = join(archives, `.pull-${name}-${randomSuffix()}`);
  await Deno.mkdir(build);
  try {
    const mfile = join(build, ".manifest.json");
    if (!(await remote.download(archiveName(name), mfile))) {
      throw new RemoteError(`the remote has no archive '${name}'`);
    }
    let m: ArchiveManifest;
    try {
      m = JSON.parse(await Deno.readTextFile(mfile));
    } catch {
      throw new RemoteError(`the remote's ${archiveName(name)} is not JSON`);
    }
    await Deno.remove(mfile);
    if (m?.format !== "pipeline-archive/1" || typeof m.files !== "object") {
      throw new RemoteError(`the remote's ${archiveName(name)} is not an archive manifest`);
    }
    const slots = new Slots(opts.jobs ?? 8);
    let bytes = 0;
    await Promise.all(
      Object.entries(m.files).map(([rel, f]) =>
        slots.run(async () => {
          if (rel.split("/").some((s) => s === "" || s === "." || s === "..")) {
            throw new RemoteError(`the remote's archive '${name}' names a bad path '${rel}'`);
          }
          const target = join(build, rel);
          await Deno.mkdir(dirname(target), { recursive: true });
          opts.progress?.plan(f.size);
          if (!(await remote.download(blobName(f.hash), target))) {
            throw new RemoteError(`${blobName(f.hash)} (${rel} of archive '${name}') is missing`);
          }
          const d = await hashFile(target);
          opts.progress?.done(f.size);
          if (d.hash !== f.hash || d.size !== f.size) {
            throw new RemoteError(
              `${
                blobName(f.hash)
              } (${rel} of archive '${name}') does not match its hash; nothing was kept`,
            );
          }
          bytes += f.size;
        })
      ),
    );
    await Deno.rename(build, dest);
    return { dir: dest, files: Object.keys(m.files).length, bytes };
  } finally {
    await removeAll(build);
  }
}
