/**
 * The training loop: epochs of stratified minibatches with Adam and cosine annealing, metrics per epoch, checkpoints.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./train_loop.ts";
