/**
 * The assertions of the report, charts and e2e tests, on node:assert (JSR,
 * where @std/assert lives, is not reachable from this project's machines).
 *
 * @module
 */

import { deepStrictEqual, ok, rejects, throws } from "node:assert/strict";

/** Deep, strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  deepStrictEqual(actual, expected, message);
}

/** Truthiness. */
export function assert(value: unknown, message?: string): asserts value {
  ok(value, message);
}

/** |actual - expected| <= tolerance. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance = 1e-9,
  message?: string,
): void {
  ok(
    Math.abs(actual - expected) <= tolerance,
    `${message ? message + ": " : ""}expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

/** The function throws (optionally with a message matching `pattern`). */
export function assertThrows(fn: () => unknown, pattern?: RegExp): void {
  throws(fn, pattern ?? Error);
}

/** The promise rejects (optionally with a message matching `pattern`). */
export async function assertRejects(fn: () => Promise<unknown>, pattern?: RegExp): Promise<void> {
  await rejects(fn, pattern ?? Error);
}

/** The text contains the substring. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  ok(text.includes(part), message ?? `expected the text to contain ${JSON.stringify(part)}`);
}
