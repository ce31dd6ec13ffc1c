/**
 * Downloading one file whose SHA-256 is known, from a list of mirrors.
 *
 * Mirrors are tried in order; each is retried with exponential backoff on
 * transient faults (connection errors, 5xx, 408, 429, a dropped body) and
 * abandoned on permanent ones (404, 403, a wrong checksum). The bytes
 * received so far live in a `.part` file in a work directory (e.g. a step's
 * checkpoint directory), so an interrupted download, even one whose process
 * was killed, resumes with an HTTP Range request where the server honours
 * it and restarts cleanly where it does not. Only a complete file whose
 * checksum matches is moved to the destination, by an atomic rename: the
 * destination never holds partial or unverified data.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";

/** Why one mirror was given up. */
export interface MirrorFailure {
  url: string;
  reason: string;
}

/** Raised when every mirror failed; `failures` lists each one and why. */
export class DownloadError extends Error {
  constructor(
    /** The file that could not be fetched (the destination's base name). */
    readonly file: string,
    /** Every mirror tried, in order, with the reason it failed. */
    readonly failures: MirrorFailure[],
  ) {
    super(
      `could not download ${file}: ${
        failures.length === 0 ? "no mirror was given" : `all ${failures.length} mirror(s) failed`
      }` + failures.map((f) => `\n  - ${f.url}: ${f.reason}`).join(""),
    );
    this.name = "DownloadError";
  }
}

/** What to download and how hard to try. */
export interface DownloadOptions {
  /** Full URLs of the same file, one per mirror, tried in order. */
  urls: string[];
  /** The final path; it appears only once the file is complete and verified. */
  dest: string;
  /** Where partial data is kept between attempts and runs (created if missing). */
  workDir: string;
  /** The expected SHA-256 of the complete file, hex. */
  sha256: string;
  /** The exact size in bytes, when known (a larger body is rejected early). */
  size?: number;
  /** Upper bound on the body when `size` is unknown (default 1 GiB). */
  maxBytes?: number;
  /** Attempts per mirror that make no progress before moving on (default 4). */
  attempts?: number;
  /** First backoff delay in ms, doubled after each failed attempt (default 1000). */
  backoffMs?: number;
  /** Largest backoff delay in ms (default 30000). */
  maxBackoffMs?: number;
  /** An attempt is abandoned when no byte arrives for this long, in ms (default 60000). */
  idleTimeoutMs?: number;
  /** Called as bytes arrive: bytes of the file held so far, and its total size when known. */
  onProgress?: (bytes: number, total: number | undefined) => void;
  /** A line of news for the user (retries, resumes). */
  log?: (message: string) => void;
}

/** How a download ended. */
export interface DownloadResult {
  /** The destination path. */
  path: string;
  /** Size of the file in bytes. */
  bytes: number;
  /** The mirror that delivered the last bytes, or null when `dest` was already valid. */
  url: string | null;
  /** True when some bytes came from an earlier, interrupted attempt or run. */
  resumed: boolean;
}

/** Transient faults are retried on the same mirror; permanent ones move to the next mirror. */
type Outcome =
  | { kind: "done"; resumed: boolean }
  | { kind: "transient"; reason: string }
  | { kind: "permanent"; reason: string };

/** Cap on attempts that do make progress, so a server that trickles bytes still ends. */
const MAX_PROGRESS_ATTEMPTS = 1000;

/**
 * Downloads `opts.dest` from the first mirror that delivers bytes with the
 * expected SHA-256. When `dest` already holds such a file nothing is fetched.
 * Throws a {@link DownloadError} naming every mirror and its fault.
 */
export async function download(opts: DownloadOptions): Promise<DownloadResult> {
  const expected = opts.sha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected)) {
    throw new Error(`download: '${opts.sha256}' is not a SHA-256 hex digest`);
  }
  const existing = await sizeOf(opts.dest);
  if (existing !== undefined && (await sha256File(opts.dest)) === expected) {
    return { path: opts.dest, bytes: existing, url: null, resumed: false };
  }
  await Deno.mkdir(opts.workDir, { recursive: true });
  const part = partialPath(opts.workDir, opts.dest, expected);
  const attempts = opts.attempts ?? 4;
  const backoff = opts.backoffMs ?? 1000;
  const maxBackoff = opts.maxBackoffMs ?? 30000;
  const failures: MirrorFailure[] = [];

  for (const url of opts.urls) {
    let failed = 0;
    let progressed = 0;
    let made = 0;
    let reason = "";
    while (failed < attempts && progressed < MAX_PROGRESS_ATTEMPTS) {
      const before = (await sizeOf(part)) ?? 0;
      const outcome = await attempt(url, part, expected, opts);
      made++;
      if (outcome.kind === "done") {
        const bytes = (await sizeOf(part))!;
        await moveAtomically(part, opts.dest);
        return { path: opts.dest, bytes, url, resumed: outcome.resumed };
      }
      reason = outcome.reason;
      if (outcome.kind === "permanent") break;
      // An attempt that added bytes is not held against the mirror: a flaky
      // link that drops every few megabytes still completes by resuming.
      if (((await sizeOf(part)) ?? 0) > before) {
        progressed++;
        failed = 0;
      } else {
        failed++;
      }
      if (failed < attempts) {
        const delay = Math.min(maxBackoff, backoff * 2 ** Math.max(0, failed - 1));
        opts.log?.(`${url}: ${reason}; retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    const tries = made > 1 ? ` (after ${made} attempts)` : "";
    failures.push({ url, reason: reason + tries });
    opts.log?.(`${url}: giving up: ${reason}${tries}`);
  }
  throw new DownloadError(basename(opts.dest), failures);
}

/** The path of the partial data for `dest` in `workDir`, keyed by the expected hash. */
export function partialPath(workDir: string, dest: string, sha256: string): string {
  // The hash in the name keeps a partial of one expected file from ever
  // being resumed into another.
  return join(workDir, `${basename(dest)}.${sha256.toLowerCase().slice(0, 16)}.part`);
}

/** The SHA-256 of a file, lowercase hex, read in chunks. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** One request to one mirror, appending to or restarting the partial file. */
async function attempt(
  url: string,
  part: string,
  expected: string,
  opts: DownloadOptions,
): Promise<Outcome> {
  let start = (await sizeOf(part)) ?? 0;
  if (opts.size !== undefined && start > opts.size) {
    await removeIfExists(part);
    start = 0;
  }
  if (opts.size !== undefined && start === opts.size) {
    // A previous run stopped after the last byte but before the rename.
    return await verify(part, expected, true);
  }
  const idleMs = opts.idleTimeoutMs ?? 60000;
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(), idleMs);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(), idleMs);
  };
  try {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: start > 0 ? { Range: `bytes=${start}-` } : {},
        signal: abort.signal,
      });
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        // Retrying cannot help: the process may not contact this host.
        return permanent(`no network permission for ${new URL(url).host} (${msg(e)})`);
      }
      return transient(
        abort.signal.aborted ? `no answer within ${idleMs} ms` : `request failed: ${msg(e)}`,
      );
    }
    touch();

    if (res.status === 416 && start > 0) {
      // The server has nothing after our offset: the partial file is either
      // complete or not this file at all; the checksum tells.
      await res.body?.cancel();
      return await verify(part, expected, true);
    }
    if (!res.ok) {
      await res.body?.cancel();
      const what = `HTTP ${res.status}${res.statusText ? " " + res.statusText : ""}`;
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      return retryable ? transient(what) : permanent(what);
    }

    let offset = 0;
    let total: number | undefined;
    const length = numberHeader(res.headers.get("content-length"));
    if (res.status === 206) {
      const range = parseContentRange(res.headers.get("content-range"));
      if (!range || range.first !== start) {
        await res.body?.cancel();
        await removeIfExists(part);
        return transient(
          `server answered the range request with an unexpected range ` +
            `(${res.headers.get("content-range")}); restarting from byte 0`,
        );
      }
      offset = start;
      total = range.total;
      if (start > 0) opts.log?.(`${url}: resuming at byte ${start}`);
    } else {
      // 200: the server ignored the Range header (or none was sent); the
      // body is the whole file, so whatever was kept is dropped.
      if (start > 0) opts.log?.(`${url}: server does not resume; restarting from byte 0`);
      total = length;
    }
    const cap = opts.size ?? opts.maxBytes ?? 1024 ** 3;
    if (total !== undefined && (total > cap || (opts.size !== undefined && total !== opts.size))) {
      await res.body?.cancel();
      await removeIfExists(part);
      return permanent(
        `server offers ${total} bytes, expected ${
          opts.size !== undefined ? `exactly ${opts.size}` : `at most ${cap}`
        }`,
      );
    }
    if (!res.body) return transient("response has no body");

    let held = offset;
    let oversized = false;
    let lost: string | undefined;
    {
      using file = await Deno.open(part, {
        write: true,
        create: true,
        truncate: offset === 0,
        append: offset > 0,
      });
      try {
        for await (const chunk of res.body) {
          touch();
          if (held + chunk.length > cap) {
            oversized = true;
            abort.abort();
            break;
          }
          await writeAll(file, chunk);
          held += chunk.length;
          opts.onProgress?.(held, total ?? opts.size);
        }
      } catch (e) {
        lost = abort.signal.aborted ? `no data for ${idleMs} ms` : msg(e);
      }
    }
    if (oversized) {
      await removeIfExists(part);
      return permanent(`server sent more than the ${cap} bytes expected`);
    }
    if (lost !== undefined) return transient(`connection lost after byte ${held}: ${lost}`);
    if (total !== undefined && held < total) {
      return transient(`body ended at byte ${held} of ${total}`);
    }
    return await verify(part, expected, offset > 0);
  } finally {
    clearTimeout(timer);
  }
}

/** Checks the partial file's hash; a mismatch discards it. */
async function verify(part: string, expected: string, resumed: boolean): Promise<Outcome> {
  const got = await sha256File(part);
  if (got === expected) return { kind: "done", resumed };
  await removeIfExists(part);
  const what = `checksum mismatch: SHA-256 ${got}, expected ${expected}`;
  // Resumed bytes may come from an earlier, different response: worth one
  // clean retry. A fresh full body with the wrong hash is the mirror's fault.
  return resumed ? transient(`${what} (on resumed data; restarting from byte 0)`) : permanent(what);
}

/** Renames `from` to `to`; across file systems, copies beside `to` first so the final step is still a rename. */
async function moveAtomically(from: string, to: string): Promise<void> {
  try {
    await Deno.rename(from, to);
  } catch (e) {
    if ((e as { code?: string }).code !== "EXDEV") throw e;
    const tmp = join(dirname(to), `.${basename(to)}.${crypto.randomUUID()}.tmp`);
    try {
      await Deno.copyFile(from, tmp);
      await Deno.rename(tmp, to);
    } catch (e2) {
      await removeIfExists(tmp);
      throw e2;
    }
    await removeIfExists(from);
  }
}

/** `bytes first-last/total` (total may be `*`). */
function parseContentRange(
  header: string | null,
): { first: number; last: number; total: number | undefined } | undefined {
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(header ?? "");
  if (!m) return undefined;
  return {
    first: Number(m[1]),
    last: Number(m[2]),
    total: m[3] === "*" ? undefined : Number(m[3]),
  };
}

function numberHeader(v: string | null): number | undefined {
  return v !== null && /^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined;
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  let at = 0;
  while (at < chunk.length) at += await file.write(chunk.subarray(at));
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? info.size : undefined;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

function transient(reason: string): Outcome {
  return { kind: "transient", reason };
}

function permanent(reason: string): Outcome {
  return { kind: "permanent", reason };
}

/** An error's message with its causes, e.g. `fetch failed: ... dns error: ...`. */
function msg(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? msg(e.cause) : "";
  // Deno's cause repeats the request URL; keep only what went wrong.
  const short = cause.replace(/^error sending request for url \([^)]*\):\s*/, "");
  return short && !e.message.includes(short) ? `${e.message}: ${short}` : e.message;
}
