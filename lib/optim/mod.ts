/**
 * Optimisers with PyTorch semantics: Adam and cosine annealing.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./adam.ts";
export * from "./cosine.ts";
