/**
 * The step graph: edges from `inputs`, a deterministic topological order,
 * and cycle detection that names the cycle.
 *
 * @module
 */

import type { StepSpec } from "./schema.ts";

/** Topological order of the steps (file order among independent ones), or a cycle. */
export function topoOrder(steps: StepSpec[]): { order: StepSpec[]; cycle?: undefined } | {
  order?: undefined;
  cycle: string[];
} {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const deps = new Map<string, Set<string>>();
  for (const s of steps) {
    deps.set(s.name, new Set(s.inputs.map((i) => i.step).filter((n) => byName.has(n))));
  }
  const done = new Set<string>();
  const order: StepSpec[] = [];
  // Repeatedly take the first step (in file order) whose dependencies are done:
  // quadratic, but pipelines have tens of steps and the order is easy to predict.
  while (order.length < steps.length) {
    const next = steps.find((s) =>
      !done.has(s.name) && [...deps.get(s.name)!].every((d) => done.has(d))
    );
    if (!next) return { cycle: findCycle(steps.filter((s) => !done.has(s.name)), deps) };
    done.add(next.name);
    order.push(next);
  }
  return { order };
}

function findCycle(remaining: StepSpec[], deps: Map<string, Set<string>>): string[] {
  const names = new Set(remaining.map((s) => s.name));
  // Every remaining step has a remaining dependency, so walking dependencies
  // from any of them must revisit a step: that loop is a cycle.
  const path: string[] = [];
  const seenAt = new Map<string, number>();
  let cur = remaining[0].name;
  while (!seenAt.has(cur)) {
    seenAt.set(cur, path.length);
    path.push(cur);
    cur = [...deps.get(cur)!].find((d) => names.has(d))!;
  }
  // path[i] depends on path[i+1]; print it in data-flow order (producer first).
  const loop = path.slice(seenAt.get(cur)!).reverse();
  // Start at the step that comes first in the file, so the message is stable.
  const order = remaining.map((s) => s.name);
  const first = loop.reduce(
    (best, n, i) => (order.indexOf(n) < order.indexOf(loop[best]) ? i : best),
    0,
  );
  const rotated = [...loop.slice(first), ...loop.slice(0, first)];
  return [...rotated, rotated[0]];
}

/** Steps that `names` depend on, transitively, plus the named ones. */
export function upstreamClosure(steps: StepSpec[], names: Iterable<string>): Set<string> {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const out = new Set<string>();
  const stack = [...names];
  while (stack.length) {
    const n = stack.pop()!;
    if (out.has(n)) continue;
    out.add(n);
    for (const i of byName.get(n)?.inputs ?? []) stack.push(i.step);
  }
  return out;
}
