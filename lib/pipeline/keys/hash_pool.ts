/**
 * Hashing many files on several cores: a small pool of workers.
 *
 * @module
 */

import type { FileDigest } from "./hash.ts";

/** A pool of `size` hashing workers. */
export class HashPool {
  #workers: Worker[] = [];
  #idle: Worker[] = [];
  #queue: { path: string; resolve: (d: FileDigest) => void; reject: (e: Error) => void }[] = [];
  #next = 0;
  #pending = new Map<number, { resolve: (d: FileDigest) => void; reject: (e: Error) => void }>();

  constructor(size: number) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const w = new Worker(new URL("./hash_worker.ts", import.meta.url), { type: "module" });
      w.onmessage = (
        e: MessageEvent<{ id: number; hash?: string; size?: number; error?: string }>,
      ) => {
        const p = this.#pending.get(e.data.id);
        this.#pending.delete(e.data.id);
        if (p) {
          if (e.data.error !== undefined) p.reject(new Error(e.data.error));
          else p.resolve({ hash: e.data.hash!, size: e.data.size! });
        }
        this.#idle.push(w);
        this.#pump();
      };
      this.#workers.push(w);
      this.#idle.push(w);
    }
  }

  /** SHA-256 and size of a file. */
  hash(path: string): Promise<FileDigest> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ path, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#idle.length && this.#queue.length) {
      const w = this.#idle.pop()!;
      const job = this.#queue.shift()!;
      const id = this.#next++;
      this.#pending.set(id, job);
      w.postMessage({ id, path: job.path });
    }
  }

  /** Stops the workers. */
  close(): void {
    for (const w of this.#workers) w.terminate();
  }
}
