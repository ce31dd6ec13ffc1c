/**
 * The content-addressed store: blobs, trees, run records and the index, integrity checks and repair, verify, gc, the lock and publishing.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./gc.ts";
export * from "./io_failure.ts";
export * from "./integrity.ts";
export * from "./lock.ts";
export * from "./provenance.ts";
export * from "./publish.ts";
export * from "./record.ts";
export * from "./runs.ts";
export * from "./store.ts";
export * from "./verify.ts";
