/**
 * Domain-free helpers for files, used by the engine: POSIX-relative paths and
 * file URLs, globs, deterministic tar archives and media types by extension.
 *
 * @module
 */

export * from "./disk_space.ts";
export * from "./format_bytes.ts";
export * from "./glob.ts";
export * from "./media_types.ts";
export * from "./paths.ts";
export * from "./tar.ts";
