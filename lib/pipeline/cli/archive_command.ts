/**
 * The CLI's `archive` and `verify --archive` commands: options in, a bundle
 * (or a verdict on one) and readable lines out.
 *
 * @module
 */

import { resolve } from "node:path";
import {
  archiveTarget,
  type BundleProblem,
  defaultSelection,
  METADATA_FILE,
  planArchive,
  StaleError,
  stepsSelection,
  verifyBundle,
  writeArchive,
} from "../archive/mod.ts";
import { intOption, type ParsedArgs } from "./cli_args.ts";
import { type CommandEnv, lockStore, profileOf } from "./commands.ts";
import { UsageError } from "../spec/mod.ts";
import { formatBytes } from "./display.ts";
import { openProject } from "../build/mod.ts";
import { relPosix } from "../../files/mod.ts";
import { statusLines } from "./status_report.ts";

const rel = (p: string) => {
  const r = relPosix(Deno.cwd(), p);
  return r.startsWith("../../") ? p : r;
};

/** `archive` */
export async function cmdArchive(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length) throw new UsageError(`unexpected argument '${a.positionals[0]}'`);
  const engine = await openProject(
    (a.values.file as string | undefined) ?? "pipeline.yaml",
    a.values.store as string | undefined,
  );
  const profile = profileOf(engine, a);
  const steps = engine.pipeline.spec.steps;
  const named = a.values.steps as string[] | undefined;
  const selection = named ? stepsSelection(steps, named) : defaultSelection(steps);
  const now = new Date();
  const target = await archiveTarget(engine, profile, {
    out: a.values.out as string | undefined,
    tar: Boolean(a.values.tar),
    now,
  });
  const lock = await lockStore(engine, a, env, `archive --profile ${profile}`);
  try {
    let plan;
    try {
      plan = await planArchive(engine, profile, selection);
    } catch (e) {
      if (!(e instanceof StaleError)) throw e;
      env.err(
        `error: cannot archive profile '${profile}': ${e.stale.length} instance(s) are not up to date:`,
      );
      for (const l of statusLines(e.stale)) env.err(`  ${l}`);
      env.err(`run 'deno task reproduce --profile ${profile}' first, then archive again`);
      return 1;
    }
    const r = await writeArchive(engine, plan, target, now, env.signal);
    env.out(
      `archived ${r.files} file(s), ${formatBytes(r.bytes)}, from ${r.archived} instance(s) of ` +
        `profile ${profile} (${r.described} described with their provenance)`,
    );
    env.out(`  bundle    ${rel(r.dir)}/`);
    if (r.tar) env.out(`  tarball   ${rel(r.tar)}`);
    env.out(`  metadata  ${rel(`${r.dir}/${METADATA_FILE}`)} (RO-Crate 1.1)`);
    env.out(`  pin       ${rel(r.pin)} (gc keeps what the archive came from)`);
    env.out(`check it anywhere with: deno task verify --archive ${rel(r.dir)}`);
    return 0;
  } finally {
    lock.release();
  }
}

const LABEL: Record<BundleProblem["kind"], string> = {
  missing: "MISSING",
  size: "SIZE",
  corrupt: "CORRUPT",
  unlisted: "UNLISTED",
  metadata: "METADATA",
};

/** `verify --archive <bundle>`: needs neither a pipeline file nor a store. */
export async function cmdVerifyArchive(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length) throw new UsageError(`unexpected argument '${a.positionals[0]}'`);
  const path = resolve(String(a.values.archive));
  const st = await Deno.stat(path).catch(() => null);
  if (!st) throw new UsageError(`--archive: no such bundle '${a.values.archive}'`);
  const jobs = intOption(a.values.jobs, "jobs", navigator.hardwareConcurrency || 1);
  const r = await verifyBundle(path, { jobs });
  for (const p of r.problems) env.out(`${LABEL[p.kind].padEnd(9)} ${p.message}`);
  env.out(
    `verified archive ${rel(path)}: ${r.files} file(s), ${formatBytes(r.bytes)}, ` +
      `${r.actions} CreateAction(s): ${
        r.problems.length ? `${r.problems.length} problem(s)` : "all good"
      }`,
  );
  return r.problems.length ? 1 : 0;
}
