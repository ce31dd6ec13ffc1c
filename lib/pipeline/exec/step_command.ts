/**
 * The command line of one step instance, with least privilege: read its
 * code, inputs, context, checkpoint, scratch and staging directories (plus
 * declared extra paths), write only staging, checkpoint and scratch, network
 * and environment only as declared; the host name (for the resource trace); Deno unstable
 * features only as declared.
 *
 * @module
 */

export { interpolate } from "../spec/mod.ts";

/** What a step instance is allowed to touch. */
export interface StepGrants {
  read: string[];
  write: string[];
  net: string[];
  env: string[];
}

/** `deno run` arguments (without the deno binary) for a step module and its context file. */
export function stepArgs(opts: {
  module: string;
  contextFile: string;
  config: string | null;
  grants: StepGrants;
  /** Deno unstable features (`--unstable-<name>`), as declared by the step. */
  unstable?: string[];
}): string[] {
  const uniq = (xs: string[]) => [...new Set(xs)];
  const g = opts.grants;
  // Deno's permission lists are comma-separated with no escape: a path with a comma cannot be granted.
  for (const p of [...g.read, ...g.write]) {
    if (p.includes(",")) {
      throw new Error(
        `cannot grant access to '${p}': Deno permission lists cannot hold a path with a comma ` +
          `(rename or move the directory)`,
      );
    }
  }
  const args = ["run", "--no-prompt", "--quiet"];
  args.push(...(opts.config ? ["--config", opts.config] : ["--no-config"]));
  for (const f of uniq(opts.unstable ?? [])) {
    if (!/^[a-z][a-z0-9-]*$/.test(f)) throw new Error(`bad Deno unstable feature name '${f}'`);
    args.push(`--unstable-${f}`);
  }
  args.push(`--allow-read=${uniq(g.read).join(",")}`);
  args.push(`--allow-write=${uniq(g.write).join(",")}`);
  if (g.net.length) args.push(`--allow-net=${uniq(g.net).join(",")}`);
  if (g.env.length) args.push(`--allow-env=${uniq(g.env).join(",")}`);
  // The host name only, for the step's `::resources::` line (which node it ran on under Slurm).
  args.push("--allow-sys=hostname");
  args.push(opts.module, opts.contextFile);
  return args;
}
