/**
 * Bringing a profile up to date: the rebuilder (the one up-to-date decision), the scheduler (ready sets and slots), the instance runner and status.
 *
 * Files not exported here are private to this folder.
 *
 * @module
 */

export * from "./reproduce_build.ts";
export * from "./live_set.ts";
export * from "./project.ts";
export * from "./rebuilder.ts";
export * from "./scheduler.ts";
export * from "./status.ts";
export * from "./jobs.ts";
