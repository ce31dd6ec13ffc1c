/**
 * What the user sees while a pipeline runs: step output prefixed by the
 * instance id, one line per finished instance, and on a terminal a live
 * block (redrawn in place) of the running instances with their progress.
 * Without a terminal nothing is redrawn and progress lines stay in the logs.
 *
 * @module
 */

const enc = new TextEncoder();
/** At most this many lines in the live block (fewer on a short terminal). */
const MAX_LIVE_LINES = 20;

interface Running {
  id: string;
  start: number;
  fraction?: number;
  message?: string;
}

/** Formats seconds as `12.3 s`, `4m05s` or `1h02m`. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export { formatBytes } from "../../files/mod.ts";

/** Progress output for a run. */
export class Display {
  #running = new Map<string, Running>();
  #drawn = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #dirty = false;

  constructor(
    readonly tty: boolean,
    readonly write: (s: string) => void = (s) => Deno.stdout.writeSync(enc.encode(s)),
  ) {
    if (tty) {
      this.#timer = setInterval(() => this.#redraw(), 250);
      Deno.unrefTimer(this.#timer);
    }
  }

  /** A display for stdout (live only when stdout is a terminal). */
  static forStdout(): Display {
    return new Display(Deno.stdout.isTerminal());
  }

  /** An instance started. */
  started(id: string): void {
    this.#running.set(id, { id, start: performance.now() });
    this.#dirty = true;
  }

  /** A `::progress::` update from a running instance. */
  progress(id: string, fraction: number, message: string): void {
    const r = this.#running.get(id);
    if (!r) return;
    r.fraction = fraction;
    r.message = message;
    this.#dirty = true;
  }

  /** A line of a step's stdout. */
  stepLine(id: string, line: string): void {
    this.print(`${id} | ${line}`);
  }

  /** An instance finished. `detail` lines follow the status line (e.g. a log tail). */
  finished(id: string, ok: boolean, seconds: number, detail: string[] = []): void {
    this.#running.delete(id);
    this.print([`${ok ? "✓" : "✗"} ${id}  ${formatSeconds(seconds)}`, ...detail].join("\n"));
  }

  /** A permanent line (or lines). */
  print(text: string): void {
    this.#clear();
    this.write(text.endsWith("\n") ? text : text + "\n");
    this.#dirty = true;
    if (this.tty) this.#redraw();
  }

  /** Stops live redrawing and clears the live block. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clear();
  }

  #clear(): void {
    if (this.tty && this.#drawn > 0) {
      this.write(`\x1b[${this.#drawn}F\x1b[J`);
      this.#drawn = 0;
    }
  }

  #redraw(): void {
    if (!this.tty || this.#timer === undefined) return;
    if (!this.#dirty && this.#running.size === 0) return;
    this.#dirty = false;
    const size = (() => {
      try {
        // Some pseudo-terminals report no width at all.
        const { columns, rows } = Deno.consoleSize();
        return { cols: columns >= 20 ? columns : 80, rows: rows >= 5 ? rows : 24 };
      } catch {
        return { cols: 80, rows: 24 };
      }
    })();
    const cols = size.cols;
    const lines: string[] = [];
    const now = performance.now();
    for (const r of this.#running.values()) {
      const elapsed = formatSeconds((now - r.start) / 1000);
      let bar = "";
      if (r.fraction !== undefined) {
        const w = 20;
        const full = Math.round(Math.min(1, Math.max(0, r.fraction)) * w);
        bar = `[${"#".repeat(full)}${".".repeat(w - full)}] ${
          (r.fraction * 100).toFixed(0).padStart(3)
        }% `;
      }
      const line = `  ${r.id}  ${bar}${elapsed}${r.message ? `  ${r.message}` : ""}`;
      lines.push(line.length > cols - 1 ? line.slice(0, cols - 2) + "…" : line);
    }
    // A cluster queue can hold hundreds of instances: the block must fit the screen to be redrawn.
    const max = Math.max(2, Math.min(MAX_LIVE_LINES, size.rows - 2));
    if (lines.length > max) {
      const more = lines.length - (max - 1);
      lines.splice(max - 1, lines.length, `  … and ${more} more`);
    }
    this.#clear();
    if (lines.length) this.write(lines.join("\n") + "\n");
    this.#drawn = lines.length;
  }
}
