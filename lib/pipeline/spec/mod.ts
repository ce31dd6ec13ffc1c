/**
 * The pipeline file: its schema, YAML source with positions, validation, loading, matrix expansion, the step graph and diagnostics.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./cost.ts";
export * from "./diagnostics.ts";
export * from "./executor_section.ts";
export * from "./expand.ts";
export * from "./interpolate.ts";
export * from "./load.ts";
export * from "./overrides.ts";
export * from "./schema.ts";
export * from "./select.ts";
export * from "./validate.ts";
export * from "./validate_remotes.ts";
export { DEFAULT_RETRY_CAUSES, FAILURE_CAUSES } from "./validate_retries.ts";
