/**
 * Cache keys: what identifies a result (code graph, parameters, inputs), canonical JSON and hashing.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./cache_key.ts";
export * from "./canonical_json.ts";
export * from "./code_graph.ts";
export * from "./hash.ts";
export * from "./hash_pool.ts";
export * from "./source_digest.ts";
