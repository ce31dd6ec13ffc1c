/**
 * Small study-side helpers: the portable PRNG, CSV, checkpoint files.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./checkpoint.ts";
export * from "./csv.ts";
export * from "./prng.ts";
