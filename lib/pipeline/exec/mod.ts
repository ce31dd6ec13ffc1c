/**
 * Executors: how a step command runs (locally, through Slurm), and the command line a step is started with.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./executor.ts";
export * from "./executor_choice.ts";
export * from "./step_command.ts";
export * from "./retry.ts";
