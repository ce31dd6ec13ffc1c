/**
 * Small step-side helpers shared by the tables, charts and report steps:
 * optional fan-in inputs, directory outputs, and the optional `seeds`
 * parameter. They read `StepContext` fields directly where the protocol's
 * accessors would throw, because a missing optional input is a note, not an
 * error.
 *
 * @module
 */

import type { GatheredInput, StepContext } from "../lib/step/context.ts";
import { StepError } from "../lib/step/context.ts";

/** A gathered input, or undefined when the step was not given it (an optional input). */
export function optionalGathered(ctx: StepContext, name: string): GatheredInput[] | undefined {
  const v = ctx.inputs[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    // A single upstream instance wired without a matrix: treat it as a list of one.
    return [{ id: `${name}`, matrix: {}, path: v }];
  }
  return v;
}

/** A single-path input, or undefined when the step was not given it (an optional input). */
export function optionalPath(ctx: StepContext, name: string): string | undefined {
  const v = ctx.inputs[name];
  if (v === undefined || typeof v === "string") return v;
  if (v.length === 0) return undefined;
  if (v.length > 1) {
    throw new StepError(
      `${ctx.id}: input '${name}' gathers ${v.length} instances; it takes one file`,
    );
  }
  return v[0].path;
}

/** The path of a directory output, declared as `name/` or `name`; created if absent. */
export async function outputDir(ctx: StepContext, name: string): Promise<string> {
  const path = ctx.outputs[`${name}/`] ?? ctx.outputs[name];
  if (path === undefined) {
    throw new StepError(`${ctx.id}: output '${name}/' is not declared for step '${ctx.step}'`);
  }
  await Deno.mkdir(path, { recursive: true });
  return path;
}

/** The path of a directory input, declared as `name/` or `name`. */
export function inputDir(ctx: StepContext, name: string): string {
  const v = ctx.inputs[`${name}/`] ?? ctx.inputs[name];
  if (typeof v !== "string") {
    throw new StepError(
      `${ctx.id}: input '${name}' ${v === undefined ? "is not declared" : "is a gathered list"}`,
    );
  }
  return v;
}

/** The optional `seeds` parameter (the profile's seed list, first = main seed). */
export function seedsParam(ctx: StepContext): number[] | undefined {
  const v = ctx.params["seeds"];
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  const nums = list.map(Number);
  if (nums.some((n) => !Number.isFinite(n))) {
    throw new StepError(`${ctx.id}: parameter 'seeds' must be a list of numbers`);
  }
  return nums;
}
