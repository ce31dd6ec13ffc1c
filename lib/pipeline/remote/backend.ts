/**
 * What a remote cache's storage must offer: existence checks, downloads and
 * uploads of immutable objects named by a relative path
 * (`blobs/sha256/ab/<hash>`, `records/<key>.json`, ...). An upload never
 * replaces an existing object; nothing ever lists the remote.
 *
 * @module
 */

/** A remote failed in a way that no retry of this command fixes (unreachable, access denied). */
export class RemoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemoteError";
  }
}

/** The outcome of an upload: written now, or already there (left as it was). */
export type PutResult = "written" | "exists";

/** Object storage as the remote cache uses it. */
export interface RemoteBackend {
  /** How the remote is shown in messages (never with credentials). */
  readonly description: string;
  /** Checks that the remote answers and may be used (throws RemoteError otherwise). */
  check(opts: { forWrite: boolean }): Promise<void>;
  /** The object's size, or null when there is none. */
  size(name: string): Promise<number | null>;
  /** Downloads an object to a local file (created anew); false when there is none. */
  download(name: string, dest: string): Promise<boolean>;
  /** Uploads bytes unless an object of that name exists. */
  upload(name: string, bytes: Uint8Array): Promise<PutResult>;
  /** Releases connections. */
  close(): void;
}

/** Requests made through a backend, for progress lines and tests. */
export interface RequestCounts {
  checks: number;
  downloads: number;
  uploads: number;
  /** Uploads that found the object already there (a race with another pusher). */
  uploadsExisting: number;
  bytesUp: number;
  bytesDown: number;
}

/**
 * A backend that counts every request it passes on.
 *
 * @example
 * ```ts
 * const remote = new CountingBackend(new FsBackend("/shared/cache"));
 * await remote.size("records/abc.json");
 * remote.counts.checks; // 1
 * ```
 */
export class CountingBackend implements RemoteBackend {
  readonly counts: RequestCounts = {
    checks: 0,
    downloads: 0,
    uploads: 0,
    uploadsExisting: 0,
    bytesUp: 0,
    bytesDown: 0,
  };

  constructor(readonly inner: RemoteBackend) {}

  get description(): string {
    return this.inner.description;
  }

  check(opts: { forWrite: boolean }): Promise<void> {
    return this.inner.check(opts);
  }

  size(name: string): Promise<number | null> {
    this.counts.checks++;
    return this.inner.size(name);
  }

  async download(name: string, dest: string): Promise<boolean> {
    this.counts.downloads++;
    const ok = await this.inner.download(name, dest);
    if (ok) this.counts.bytesDown += (await Deno.stat(dest)).size;
    return ok;
  }

  async upload(name: string, bytes: Uint8Array): Promise<PutResult> {
    this.counts.uploads++;
    const r = await this.inner.upload(name, bytes);
    if (r === "written") this.counts.bytesUp += bytes.length;
    else this.counts.uploadsExisting++;
    return r;
  }

  close(): void {
    this.inner.close();
  }
}

/** The remote name of a blob. */
export function blobName(hash: string): string {
  return `blobs/sha256/${hash.slice(0, 2)}/${hash}`;
}

/** The remote name of a run record. */
export function recordName(key: string): string {
  return `records/${key}.json`;
}

/** The remote name of an archive bundle's manifest. */
export function archiveName(name: string): string {
  return `archives/${name}.json`;
}
