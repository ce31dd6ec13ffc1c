/**
 * Small assertion helpers for the data tests, on top of `node:assert`
 * (JSR's @std/assert is not reachable from this project's machines).
 *
 * @module
 */

import { deepStrictEqual, ok } from "node:assert/strict";

/** Fails unless `cond` is truthy. */
export function assert(cond: unknown, message?: string): asserts cond {
  ok(cond, message);
}

/** Deep, strict equality (typed arrays compare element-wise and by type). */
export function assertEquals(actual: unknown, expected: unknown, message?: string): void {
  deepStrictEqual(actual, expected, message);
}

function check(e: unknown, cls: new (...a: never[]) => Error, includes?: string): Error {
  if (!(e instanceof cls)) throw new Error(`expected a ${cls.name}, got ${String(e)}`);
  if (includes !== undefined && !e.message.includes(includes)) {
    throw new Error(
      `expected the error message to include ${JSON.stringify(includes)}:\n${e.message}`,
    );
  }
  return e;
}

/** Runs `fn`, requires it to throw `cls` whose message includes `includes`; returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  cls: new (...a: never[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (e) {
    return check(e, cls, includes) as E;
  }
  throw new Error("expected an error, none was thrown");
}

/** As {@link assertThrows} for a promise-returning `fn`. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  cls: new (...a: never[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    return check(e, cls, includes) as E;
  }
  throw new Error("expected a rejection, none came");
}
