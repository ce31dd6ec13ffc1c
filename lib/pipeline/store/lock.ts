/**
 * The store lock, taken by commands that change the store (reproduce, gc,
 * verify). It is a file created exclusively, holding who took it; a holder
 * that is gone (same host, process no longer alive) is replaced with a note.
 * Read-only commands never take it.
 *
 * @module
 */

import { randomSuffix } from "./store.ts";

/** What the lock file says about its holder. */
export interface LockInfo {
  pid: number;
  host: string;
  time: string;
  command: string;
  /** Process start time (Linux clock ticks since boot) to tell a reused pid apart. */
  start?: number;
  nonce: string;
}

/** The lock is held by someone else and the caller asked not to wait. Exit code 3. */
export class LockHeldError extends Error {
  constructor(readonly holder: LockInfo | null, readonly path: string) {
    super(`the store is locked by ${describeHolder(holder)} (${path})`);
    this.name = "LockHeldError";
  }
}

/** A readable description of a lock holder. */
export function describeHolder(h: LockInfo | null): string {
  if (!h) return "another process (lock file unreadable)";
  return `pid ${h.pid} on ${h.host} since ${h.time}: ${h.command}`;
}

/**
 * Start time of a running process (field 22 of /proc/<pid>/stat), or
 * undefined when there is no such process or it has already exited (zombie).
 */
export function processStart(pid: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name (field 2) may contain spaces; fields resume after its ")".
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (rest[0] === "Z" || rest[0] === "X") return undefined;
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

/** Whether a process on this host is alive (unknown -> assumed alive). */
export function processAlive(pid: number, start?: number): boolean {
  let hasProc = false;
  try {
    hasProc = Deno.statSync("/proc/self").isDirectory;
  } catch { /* no procfs */ }
  if (!hasProc) return true;
  const s = processStart(pid);
  if (s === undefined) return false;
  return start === undefined || s === start;
}

function readLock(path: string): { info: LockInfo | null; age: number } | null {
  try {
    const st = Deno.statSync(path);
    const age = Date.now() - (st.mtime?.getTime() ?? Date.now());
    try {
      return { info: JSON.parse(Deno.readTextFileSync(path)) as LockInfo, age };
    } catch {
      return { info: null, age };
    }
  } catch {
    return null;
  }
}

/** Options of `acquireLock`. */
export interface LockOptions {
  command: string;
  wait: boolean;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: (holder: LockInfo | null) => void;
  /** Called when a stale lock is taken over. */
  onStale?: (holder: LockInfo | null) => void;
  pollMs?: number;
  signal?: AbortSignal;
}

/** A held lock. */
export interface HeldLock {
  info: LockInfo;
  release(): void;
}

/** Takes the lock at `path`, waiting (polling) for the holder unless `wait` is false. */
export async function acquireLock(path: string, opts: LockOptions): Promise<HeldLock> {
  const host = Deno.hostname();
  const info: LockInfo = {
    pid: Deno.pid,
    host,
    time: new Date().toISOString(),
    command: opts.command,
    start: processStart(Deno.pid),
    nonce: randomSuffix(),
  };
  let announced = false;
  while (true) {
    try {
      Deno.writeTextFileSync(path, JSON.stringify(info, null, 2) + "\n", { createNew: true });
      return {
        info,
        release(): void {
          const cur = readLock(path);
          if (cur?.info?.nonce === info.nonce) {
            try {
              Deno.removeSync(path);
            } catch { /* already gone */ }
          }
        },
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const cur = readLock(path);
    if (!cur) continue; // released between our attempt and the read
    const h = cur.info;
    // Stale: the holder is gone from this host, or the file stayed unreadable
    // (a holder killed between creating and writing it) for a while.
    const stale = h ? h.host === host && !processAlive(h.pid, h.start) : cur.age > 10_000;
    if (stale) {
      const aside = `${path}.stale-${randomSuffix()}`;
      try {
        Deno.renameSync(path, aside);
        const moved = readLock(aside);
        if (h && moved?.info?.nonce !== h.nonce) {
          // Another process replaced the stale lock first and we moved its fresh
          // one aside: put it back (link fails if yet another lock appeared).
          try {
            Deno.linkSync(aside, path);
          } catch { /* nothing better to do */ }
        } else opts.onStale?.(h);
        Deno.removeSync(aside);
      } catch { /* another process took it over first */ }
      continue;
    }
    if (!opts.wait) throw new LockHeldError(h, path);
    if (!announced) {
      opts.onWait?.(h);
      announced = true;
    }
    if (opts.signal?.aborted) throw new DOMException("interrupted", "AbortError");
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}
