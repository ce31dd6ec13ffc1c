/**
 * MNIST and its preparation: IDX files, the download and the embedded digits, angle pooling, the overlapping patches, stratified batches.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./angle_pooling.ts";
export * from "./batches.ts";
export * from "./download.ts";
export * from "./embedded.ts";
export * from "./gather.ts";
export * from "./idx.ts";
export * from "./mnist.ts";
export * from "./patches.ts";
export * from "./stratify.ts";
