/**
 * Archives: bundles of final artifacts with RO-Crate metadata, their plan and their verification.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./archive.ts";
export * from "./archive_plan.ts";
export * from "./archive_verify.ts";
export * from "./ro_crate.ts";
