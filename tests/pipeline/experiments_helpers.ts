/**
 * The mini fixture set up for the experiment commands: a typed `scale`,
 * metrics on `total`, the `curve` step (a CSV series), optionally the `hog`
 * step (256 MiB, 2 s of CPU) for resource traces, in a git repository.
 *
 * @module
 */

import { join } from "node:path";
import { equal, ok } from "node:assert/strict";
import { cli, makeProject } from "./helpers.ts";

/** Runs git in `dir` (identity fixed, no user config). */
export async function git(dir: string, ...args: string[]): Promise<string> {
  const r = await new Deno.Command("git", {
    args: ["-c", "user.email=test@example.org", "-c", "user.name=test", ...args],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${dec.decode(r.stderr)}`);
  return dec.decode(r.stdout);
}

/** A temporary mini project for experiments, committed to a fresh git repository. */
export async function makeExperimentProject(opts: { hog?: boolean } = {}): Promise<string> {
  const dir = await makeProject("mini");
  const file = join(dir, "pipeline.yaml");
  let text = await Deno.readTextFile(file);
  text = text.replace("  scale: 2\n", "  scale: { value: 2, type: integer, min: 1 }\n");
  text = text.replace(
    "    publish: summary\n",
    "    publish: summary\n    metrics: { total.json: [sum] }\n",
  );
  const extra = `  curve:
    module: steps/curve.ts
    params: [scale, epochs]
    outputs: { history: history.csv, summary: summary.json }
    metrics: { history.csv: [loss], summary: [final_loss] }
` + (opts.hog
    ? `  hog:
    module: steps/hog.ts
    outputs: { done: done.json }
    resources: { memory: 100M }
`
    : "");
  text = text.replace("\nprofiles:\n", `\n${extra}profiles:\n`);
  await Deno.writeTextFile(file, text);
  await Deno.writeTextFile(join(dir, ".gitignore"), "artifacts/\nplots/\n");
  await git(dir, "init", "-q", ".");
  await git(dir, "add", "-A");
  await git(dir, "commit", "-qm", "the mini study");
  return dir;
}

/** The hog row of `trace --json` after running only the hog, with extra reproduce flags. */
export async function hogTrace(
  dir: string,
  flags: string[] = [],
  env: Record<string, string> = {},
): Promise<{ row: Record<string, unknown>; stderr: string }> {
  const r = await cli(dir, ["reproduce", "--only", "hog", "--name", "hog", ...flags], env);
  equal(r.code, 0, r.stdout + r.stderr);
  const t = await cli(dir, ["trace", "hog", "--json"], env);
  equal(t.code, 0, t.stderr);
  const row = JSON.parse(t.stdout).rows.find((x: { step: string }) => x.step === "hog");
  return { row, stderr: t.stderr };
}

/** The checks of a hog row: 256-512 MiB peak, at least 1.5 s of CPU, a host. */
export function checkHog(row: Record<string, unknown>): void {
  const rss = row.peak_rss_mib as number;
  ok(rss >= 256 && rss <= 512, `peak RSS ${rss} MiB`);
  const cpu = (row.cpu_user_s as number) + (row.cpu_sys_s as number);
  ok(cpu >= 1.5, `CPU ${cpu} s`);
  ok((row.wall_s as number) > 0);
  ok(typeof row.host === "string" && row.host.length > 0);
  equal(row.status, "ran");
}
