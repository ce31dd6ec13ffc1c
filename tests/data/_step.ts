/**
 * Running a step's `main` in a test: a context on temporary directories,
 * with its log and progress captured instead of printed.
 *
 * @module
 */

import { makeContext, type StepContext } from "../../lib/step/context.ts";

/** A context for `step` whose outputs are `<dir>/out/<name><ext>`, plus what it logged. */
export async function testContext(
  dir: string,
  step: string,
  params: Record<string, unknown>,
  inputs: Record<string, string>,
  outputs: Record<string, string>,
): Promise<{ ctx: StepContext; logs: string[]; file: Record<string, unknown> }> {
  for (const sub of ["out", "checkpoint", "scratch"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  const file = {
    protocol: 1 as const,
    id: step,
    step,
    matrix: {},
    params,
    inputs,
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([k, ext]) => [k, `${dir}/out/${k}${ext}`]),
    ),
    checkpoint_dir: `${dir}/checkpoint`,
    scratch_dir: `${dir}/scratch`,
    cores: 1,
  };
  const ctx = makeContext(file);
  const logs: string[] = [];
  ctx.log = (m) => logs.push(m);
  ctx.progress = () => {};
  return { ctx, logs, file };
}

/** A temporary directory for `fn`, removed afterwards. */
export async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
