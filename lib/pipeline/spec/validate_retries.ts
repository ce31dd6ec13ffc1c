/**
 * Validation of a step's `retries:`: a count (`retries: 2`) or a count with
 * the causes to retry (`retries: { count: 2, on: [fail, timeout] }`).
 *
 * @module
 */

import { suggestionWithList } from "./diagnostics.ts";
import type { YNode } from "./yaml_source.ts";
import type { FailureCause, RetryPolicy } from "./schema.ts";
import { describe, type YamlChecker } from "./yaml_checker.ts";

/** Every cause `retries.on` may name. */
export const FAILURE_CAUSES: readonly FailureCause[] = [
  "out_of_memory",
  "timeout",
  "preempted",
  "node_fail",
  "cancelled",
  "fail",
];

/**
 * What `retries: N` retries: everything but a failure of the step itself
 * (exit code not 0), which usually fails again the same way.
 */
export const DEFAULT_RETRY_CAUSES: readonly FailureCause[] = FAILURE_CAUSES.filter((c) =>
  c !== "fail"
);

/** At most this many retries: a policy is a safety net, not a loop. */
const MAX_RETRIES = 20;

function count(v: YamlChecker, node: YNode, what: string): number | undefined {
  if (
    node.kind === "scalar" && typeof node.value === "number" && Number.isInteger(node.value) &&
    node.value >= 0 && node.value <= MAX_RETRIES
  ) return node.value;
  v.error(node.pos, `${what} must be an integer from 0 to ${MAX_RETRIES}, got ${describe(node)}`);
  return undefined;
}

/** `retries:` of a step. */
export function validateRetries(
  v: YamlChecker,
  node: YNode,
  name: string,
): RetryPolicy | undefined {
  const what = `retries of step '${name}'`;
  if (node.kind !== "map") {
    const n = count(v, node, what);
    return n === undefined ? undefined : { count: n, on: [...DEFAULT_RETRY_CAUSES] };
  }
  v.keys(node, ["count", "on"], `in the ${what}`, ["count"]);
  const c = v.entry(node, "count");
  const n = c ? count(v, c.value, `retries.count of step '${name}'`) : undefined;
  let on = [...DEFAULT_RETRY_CAUSES];
  const onE = v.entry(node, "on");
  if (onE) {
    on = [];
    const items = onE.value.kind === "seq" ? onE.value.items : [onE.value];
    for (const it of items) {
      const s = it.kind === "scalar" && typeof it.value === "string" ? it.value : undefined;
      if (s === undefined || !(FAILURE_CAUSES as readonly string[]).includes(s)) {
        v.error(
          it.pos,
          `retries.on of step '${name}': unknown cause ${describe(it)}`,
          suggestionWithList(String(s ?? ""), [...FAILURE_CAUSES], "causes"),
        );
        return undefined;
      }
      if (!on.includes(s as FailureCause)) on.push(s as FailureCause);
    }
  }
  return n === undefined ? undefined : { count: n, on };
}
