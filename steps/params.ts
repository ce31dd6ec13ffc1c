/**
 * Typed readers for the study's step parameters, with errors that name the
 * parameter and what `pipeline.yaml` should say instead.
 *
 * @module
 */

import { type StepContext, StepError } from "../lib/step/context.ts";

/** A finite number parameter. */
export function readNumber(ctx: StepContext, name: string): number {
  const v = ctx.param(name);
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new StepError(
      `${ctx.id}: parameter '${name}' must be a number, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** An integer parameter (at least `min`). */
export function readInt(ctx: StepContext, name: string, min = 0): number {
  const v = readNumber(ctx, name);
  if (!Number.isInteger(v) || v < min) {
    throw new StepError(`${ctx.id}: parameter '${name}' must be an integer >= ${min}, got ${v}`);
  }
  return v;
}

/** An optional integer parameter (null means "not set"). */
export function readOptionalInt(ctx: StepContext, name: string, min = 0): number | null {
  return ctx.param(name) === null ? null : readInt(ctx, name, min);
}

/** The `aggregate` parameter: "mean" (the paper) or "sqrt" (sum / sqrt(P)). */
export function readAggregate(ctx: StepContext): "mean" | "sqrt" {
  const v = ctx.param("aggregate");
  if (v !== "mean" && v !== "sqrt") {
    throw new StepError(
      `${ctx.id}: parameter 'aggregate' must be "mean" or "sqrt", got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** Adam's (beta1, beta2) from `adam_betas`. */
export function readBetas(ctx: StepContext): [number, number] {
  const v = ctx.param("adam_betas");
  if (
    !Array.isArray(v) || v.length !== 2 ||
    !v.every((b) => typeof b === "number" && b >= 0 && b < 1)
  ) {
    throw new StepError(
      `${ctx.id}: parameter 'adam_betas' must be two numbers in [0, 1), got ${JSON.stringify(v)}`,
    );
  }
  return [v[0], v[1]];
}

/**
 * The initial learning rate for depth `d`: `lr` when it is a number,
 * otherwise the entry for `d` in the `lr_by_depth` table.
 */
export function learningRateFor(ctx: StepContext, d: number): number {
  const fixed = ctx.param("lr");
  if (fixed !== null) {
    if (typeof fixed !== "number" || !(fixed > 0)) {
      throw new StepError(
        `${ctx.id}: parameter 'lr' must be a positive number or null, got ${JSON.stringify(fixed)}`,
      );
    }
    return fixed;
  }
  const table = ctx.param("lr_by_depth");
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    throw new StepError(
      `${ctx.id}: parameter 'lr_by_depth' must be a mapping depth -> learning rate`,
    );
  }
  const lr = (table as Record<string, unknown>)[String(d)];
  if (typeof lr !== "number" || !(lr > 0)) {
    throw new StepError(
      `${ctx.id}: no learning rate for depth d=${d}: add '${d}: <rate>' to 'lr_by_depth' ` +
        `(it has ${Object.keys(table).join(", ") || "no entries"}) or set 'lr'`,
    );
  }
  return lr;
}
