/**
 * NumPy `.npy` files: the format of every array artifact.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./npy.ts";
