/**
 * The Hessian of the training loss: exact Gauss-Newton and curvature products, and the analyses (power iteration, SLQ, the split).
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./analysis.ts";
export * from "./operators.ts";
export * from "./journal.ts";
