/**
 * Progress of a push or pull: objects and bytes done of those known so far,
 * the rate and an ETA. Redrawn in place on a terminal; elsewhere a line at
 * most every few seconds, so logs stay short.
 *
 * @module
 */

import { formatBytes } from "../../files/mod.ts";

/** Formats seconds as `12 s`, `4m05s` or `1h02m`. */
function eta(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * Counts planned and finished transfers and reports them.
 *
 * @example
 * ```ts
 * const p = new Progress("push", (l) => console.error(l), false);
 * p.plan(1024);
 * p.done(1024);
 * p.finish(); // "push: 1 object(s), 1.0 KiB of 1.0 KiB, ..."
 * ```
 */
export class Progress {
  #plannedBytes = 0;
  #doneBytes = 0;
  #plannedObjects = 0;
  #doneObjects = 0;
  readonly #start = performance.now();
  #last = 0;
  #drawn = false;

  constructor(
    readonly verb: string,
    readonly write: (line: string) => void,
    readonly tty: boolean,
    readonly everyMs = 3000,
  ) {}

  /** A transfer of `bytes` will happen. */
  plan(bytes: number): void {
    this.#plannedBytes += bytes;
    this.#plannedObjects++;
  }

  /** A transfer of `bytes` finished. */
  done(bytes: number): void {
    this.#doneBytes += bytes;
    this.#doneObjects++;
    const now = performance.now();
    if (now - this.#last >= (this.tty ? 200 : this.everyMs)) {
      this.#last = now;
      this.#show(false);
    }
  }

  /** The current line. */
  line(): string {
    const secs = (performance.now() - this.#start) / 1000;
    const rate = secs > 0 ? this.#doneBytes / secs : 0;
    const left = this.#plannedBytes - this.#doneBytes;
    return `${this.verb}: ${this.#doneObjects}/${this.#plannedObjects} object(s), ${
      formatBytes(this.#doneBytes)
    } of ${formatBytes(this.#plannedBytes)}, ${formatBytes(rate)}/s, ETA ${
      left <= 0 ? "0 s" : rate > 0 ? eta(left / rate) : "?"
    }`;
  }

  #show(final: boolean): void {
    if (this.tty) {
      this.write(`\r\x1b[2K${this.line()}${final ? "\n" : ""}`);
      this.#drawn = !final;
    } else this.write(this.line() + "\n");
  }

  /** Ends the display (a last line when anything moved). */
  finish(): void {
    if (this.#doneObjects > 0 || this.#drawn) this.#show(true);
  }
}
