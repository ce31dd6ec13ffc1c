/**
 * The remote cache: push, pull and share run records and blobs with a file
 * system path or S3-compatible object storage, and archive bundles by name.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./archive_sync.ts";
export * from "./backend.ts";
export * from "./fs_backend.ts";
export * from "./profile_sync.ts";
export * from "./progress.ts";
export * from "./remote_choice.ts";
export * from "./s3_backend.ts";
export * from "./transfer.ts";
