/**
 * Linear algebra for the analyses: vectors, operators, power iteration, Lanczos, stochastic Lanczos quadrature, spectral density, PCA, small dense eigensolvers.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./dense_eig.ts";
export * from "./density.ts";
export * from "./explicit.ts";
export * from "./lanczos.ts";
export * from "./operator.ts";
export * from "./pca.ts";
export * from "./power_iteration.ts";
export * from "./slq.ts";
