/**
 * A remote cache on a file system path (a shared disk, NFS, a USB drive).
 * Uploads are written under a temporary name, synced, then hard-linked into
 * place: `link` fails when the name exists, so an object is never replaced
 * and never seen half-written.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { type PutResult, type RemoteBackend, RemoteError } from "./backend.ts";

function suffix(): string {
  const b = crypto.getRandomValues(new Uint8Array(6));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** A remote cache rooted at a directory. */
export class FsBackend implements RemoteBackend {
  constructor(readonly root: string) {}

  get description(): string {
    return this.root;
  }

  async check(opts: { forWrite: boolean }): Promise<void> {
    let st: Deno.FileInfo | null = null;
    try {
      st = await Deno.stat(this.root);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        throw new RemoteError(`cannot reach ${this.root}: ${(e as Error).message}`);
      }
    }
    if (st && !st.isDirectory) throw new RemoteError(`${this.root} is not a directory`);
    if (!st) {
      if (!opts.forWrite) throw new RemoteError(`${this.root} does not exist`);
      try {
        await Deno.mkdir(this.root, { recursive: true });
      } catch (e) {
        throw new RemoteError(`cannot create ${this.root}: ${(e as Error).message}`);
      }
    }
  }

  async size(name: string): Promise<number | null> {
    try {
      const st = await Deno.stat(join(this.root, name));
      return st.isFile ? st.size : null;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw new RemoteError(`${this.root}: ${(e as Error).message}`);
    }
  }

  async download(name: string, dest: string): Promise<boolean> {
    try {
      await Deno.copyFile(join(this.root, name), dest);
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
      throw new RemoteError(`${this.root}: ${(e as Error).message}`);
    }
  }

  async upload(name: string, bytes: Uint8Array): Promise<PutResult> {
    const dest = join(this.root, name);
    // Temporary names start with '.' and never end in .json, so nothing takes them for an object.
    const tmp = join(dirname(dest), `.tmp-${suffix()}`);
    try {
      await Deno.mkdir(dirname(dest), { recursive: true });
      await Deno.writeFile(tmp, bytes, { createNew: true });
      const f = await Deno.open(tmp, { read: true });
      try {
        await f.sync();
      } finally {
        f.close();
      }
      await Deno.chmod(tmp, 0o444);
      try {
        await Deno.link(tmp, dest);
        return "written";
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) return "exists";
        // No hard links here (some network file systems): check, then rename.
        if (await this.size(name) !== null) return "exists";
        await Deno.rename(tmp, dest);
        return "written";
      }
    } catch (e) {
      if (e instanceof RemoteError) throw e;
      throw new RemoteError(`writing ${dest}: ${(e as Error).message}`);
    } finally {
      await Deno.remove(tmp).catch(() => {});
    }
  }

  close(): void {}
}
