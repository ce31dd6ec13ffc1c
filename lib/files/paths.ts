/**
 * Small path helpers shared by the engine (file URLs, POSIX relative paths).
 *
 * @module
 */

import { fileURLToPath, pathToFileURL } from "node:url";
import { relative } from "node:path";

/** Absolute path of a `file:` URL. */
export function fromFileUrl(url: string): string {
  return fileURLToPath(url);
}

/** `file:` URL of an absolute path. */
export function toFileUrl(path: string): URL {
  return pathToFileURL(path);
}

/** `to` relative to `from`, with `/` separators. */
export function relPosix(from: string, to: string): string {
  return relative(from, to).split("\\").join("/");
}
