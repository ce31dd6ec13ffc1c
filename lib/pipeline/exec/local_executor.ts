/**
 * The local executor: each command is a child process of the engine, its
 * output copied line by line to the log and to the caller.
 *
 * @module
 */

import { dirname } from "node:path";
import type { ExecHandle, ExecRequest, ExecResult, Executor } from "./executor.ts";

/** Writes all of `data` to a file synchronously. */
function writeAllSync(file: Deno.FsFile, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += file.writeSync(data.subarray(off));
}

/** Runs commands as local child processes. */
export class LocalExecutor implements Executor {
  readonly name = "local";

  /** `graceMs`: how long a cancelled command gets between SIGTERM and SIGKILL. */
  constructor(readonly graceMs = 5000) {}

  start(req: ExecRequest): ExecHandle {
    let child: Deno.ChildProcess | undefined;
    let cancelled = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const cancel = (): void => {
      if (cancelled) return;
      cancelled = true;
      if (!child) return;
      try {
        child.kill("SIGTERM");
      } catch { /* already ended */ }
      killTimer = setTimeout(() => {
        try {
          child?.kill("SIGKILL");
        } catch { /* already ended */ }
      }, this.graceMs);
    };
    const result = (async (): Promise<ExecResult> => {
      await Deno.mkdir(dirname(req.logPath), { recursive: true });
      const log = await Deno.open(req.logPath, {
        write: true,
        create: true,
        truncate: !req.appendLog,
        append: req.appendLog,
      });
      const enc = new TextEncoder();
      try {
        try {
          child = new Deno.Command(req.command[0], {
            args: req.command.slice(1),
            cwd: req.cwd,
            env: req.env,
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
          }).spawn();
        } catch (e) {
          return {
            code: null,
            signal: null,
            error: `cannot start ${req.command[0]}: ${(e as Error).message}`,
          };
        }
        if (cancelled) {
          cancelled = false;
          cancel();
        }
        const pump = async (stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr") => {
          let buf = "";
          const emit = (line: string) => {
            writeAllSync(log, enc.encode(line + "\n"));
            req.onLine?.(name, line);
          };
          for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf("\n")) >= 0) {
              emit(buf.slice(0, nl).replace(/\r$/, ""));
              buf = buf.slice(nl + 1);
            }
          }
          if (buf) emit(buf);
        };
        const [status] = await Promise.all([
          child.status,
          pump(child.stdout, "stdout"),
          pump(child.stderr, "stderr"),
        ]);
        return {
          code: status.signal ? null : status.code,
          signal: status.signal ?? null,
          // Killed by a signal we did not send: someone (or the kernel's OOM killer) stopped it.
          ...(status.signal && !cancelled ? { cause: "cancelled" as const } : {}),
        };
      } finally {
        if (killTimer !== undefined) clearTimeout(killTimer);
        log.close();
      }
    })();
    return { result, cancel };
  }
}
