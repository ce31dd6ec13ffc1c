/**
 * I/O failures of the store as one clear line: what was being done, where,
 * and for a full disk how much space was needed and how much was free.
 *
 * @module
 */

import { formatBytes, freeBytes } from "../../files/mod.ts";

/** A store operation that failed for a reason outside the engine (disk full, permissions). */
export class StoreIoError extends Error {
  override name = "StoreIoError";
}

/** True for errors of the operating system (full disk, permissions, missing paths). */
export function isIoError(e: unknown): e is Error {
  return e instanceof Error && (
    e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied ||
    e instanceof Deno.errors.AlreadyExists || e instanceof Deno.errors.IsADirectory ||
    /\(os error \d+\)/.test(e.message)
  );
}

/** True when `e` says the device is full. */
export function isDiskFull(e: unknown): boolean {
  return e instanceof Error && /No space left on device|os error 28\)/.test(e.message);
}

/**
 * One line for an I/O failure while doing `what` in `where`, e.g.
 * `publishing 'report' to out/default/report: no space left on device (needs 812.0 KiB, 301.0 KiB free)`.
 *
 * @example
 * ```ts
 * throw await storeIoError(e, "publishing 'report'", dest, 831488);
 * ```
 */
export async function storeIoError(
  e: unknown,
  what: string,
  where: string,
  needed?: number,
): Promise<StoreIoError> {
  if (isDiskFull(e)) {
    const free = await freeBytes(where);
    const parts = [
      needed !== undefined ? `needs ${formatBytes(needed)}` : "",
      free !== null ? `${formatBytes(free)} free` : "",
    ].filter(Boolean);
    return new StoreIoError(
      `${what} in ${where}: no space left on device${parts.length ? ` (${parts.join(", ")})` : ""}`,
    );
  }
  const msg = e instanceof Error ? e.message.replace(/\s*\(os error \d+\)/, "") : String(e);
  return new StoreIoError(`${what} in ${where}: ${msg}`);
}
