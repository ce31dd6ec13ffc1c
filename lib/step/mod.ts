/**
 * The step protocol, shared by both sides of the wall: the context file the
 * engine writes and a step reads, progress lines, and `runStep`.
 *
 * Steps import `lib/step/context.ts` directly (a step's module graph is its
 * cache key); the engine imports this module.
 *
 * @module
 */

export * from "./context.ts";
