/**
 * The loss landscape: the PCA plane of the trajectory and the grid on it.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./pca_plane.ts";
export * from "./grid.ts";
