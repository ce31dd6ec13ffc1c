/**
 * A Slurm job's output, followed from the submit host: the job writes its
 * stdout and stderr to two files on the shared store; each look copies the
 * new complete lines into the instance's log (as the local executor writes
 * it) and hands them to the caller. Files are reopened on every look, so a
 * network file system shows what the node has written and closed.
 *
 * @module
 */

import { dirname } from "node:path";
import { SCRIPT_ERROR_PREFIX } from "./slurm_script.ts";

type Stream = "stdout" | "stderr";

interface Source {
  stream: Stream;
  path: string;
  offset: number;
  decoder: TextDecoder;
  partial: string;
  seen: boolean;
}

/** Copies a job's two output files, line by line, into one log. */
export class JobLog {
  #log: Deno.FsFile | undefined;
  #sources: Source[];
  #enc = new TextEncoder();
  /** The first line the batch script wrote about a failed check (without its prefix). */
  scriptError: string | undefined;

  constructor(
    readonly logPath: string,
    files: { stdout: string; stderr: string },
    readonly onLine?: (stream: Stream, line: string) => void,
  ) {
    this.#sources = (["stdout", "stderr"] as const).map((stream) => ({
      stream,
      path: files[stream],
      offset: 0,
      decoder: new TextDecoder(),
      partial: "",
      seen: false,
    }));
  }

  /** Creates (truncates) the log, or appends to it (a retry after earlier attempts). */
  async open(append = false): Promise<void> {
    await Deno.mkdir(dirname(this.logPath), { recursive: true });
    this.#log = await Deno.open(this.logPath, {
      write: true,
      create: true,
      truncate: !append,
      append,
    });
  }

  /** Whether either output file has been seen at all (the node could write to the store). */
  get anyOutputSeen(): boolean {
    return this.#sources.some((s) => s.seen);
  }

  /** A line of the executor's own (job id, state changes) into the log only. */
  note(line: string): void {
    this.#write(line);
  }

  /** Copies whatever complete lines were added since the last look. */
  async pump(): Promise<void> {
    for (const s of this.#sources) await this.#read(s, false);
  }

  /** Copies the rest (including an unterminated last line); the log stays open for a last note. */
  async finish(): Promise<void> {
    for (const s of this.#sources) await this.#read(s, true);
  }

  /** Closes the log (idempotent). */
  close(): void {
    try {
      this.#log?.close();
    } catch { /* already closed */ }
    this.#log = undefined;
  }

  #write(line: string): void {
    if (!this.#log) return;
    const data = this.#enc.encode(line + "\n");
    let off = 0;
    while (off < data.length) off += this.#log.writeSync(data.subarray(off));
  }

  #emit(s: Source, line: string): void {
    this.#write(line);
    if (s.stream === "stderr" && this.scriptError === undefined) {
      if (line.startsWith(SCRIPT_ERROR_PREFIX)) {
        this.scriptError = line.slice(SCRIPT_ERROR_PREFIX.length);
      }
    }
    this.onLine?.(s.stream, line);
  }

  async #read(s: Source, final: boolean): Promise<void> {
    let f: Deno.FsFile;
    try {
      f = await Deno.open(s.path, { read: true });
    } catch {
      return; // not created yet (pending job), or not visible here
    }
    s.seen = true;
    try {
      await f.seek(s.offset, Deno.SeekMode.Start);
      const buf = new Uint8Array(64 * 1024);
      while (true) {
        const n = await f.read(buf);
        if (n === null || n === 0) break;
        s.offset += n;
        s.partial += s.decoder.decode(buf.subarray(0, n), { stream: true });
      }
    } finally {
      f.close();
    }
    if (final) s.partial += s.decoder.decode();
    let nl: number;
    while ((nl = s.partial.indexOf("\n")) >= 0) {
      this.#emit(s, s.partial.slice(0, nl).replace(/\r$/, ""));
      s.partial = s.partial.slice(nl + 1);
    }
    if (final && s.partial) {
      this.#emit(s, s.partial);
      s.partial = "";
    }
  }
}
