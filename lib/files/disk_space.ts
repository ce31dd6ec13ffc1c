/**
 * Free space of the file system that holds a path, for messages about a full
 * disk (Deno has no statfs; `df` is on every POSIX system).
 *
 * @module
 */

/**
 * Bytes available to an unprivileged writer on the file system of `path`,
 * or null when it cannot be told.
 *
 * @example
 * ```ts
 * const free = await freeBytes("/tmp"); // e.g. 1048576
 * ```
 */
export async function freeBytes(path: string): Promise<number | null> {
  try {
    const out = await new Deno.Command("df", {
      args: ["-P", "-B1", path],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return null;
    const last = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
    const avail = Number(last.split(/\s+/)[3]);
    return Number.isFinite(avail) ? avail : null;
  } catch {
    return null;
  }
}
