/**
 * Helpers for the engine's integration tests: a temporary copy of a fixture
 * project (with the real lib/step/context.ts), and the CLI run as a
 * subprocess in it.
 *
 * @module
 */

import { equal, match, ok } from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunRecord } from "../../lib/pipeline/store/record.ts";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The engine's CLI. */
export const CLI = join(ROOT, "lib/pipeline/cli/main.ts");

async function copyDir(src: string, dest: string): Promise<void> {
  await Deno.mkdir(dest, { recursive: true });
  for await (const e of Deno.readDir(src)) {
    const s = join(src, e.name);
    const d = join(dest, e.name);
    const st = await Deno.stat(s); // follows symlinks: the copy holds real files
    if (st.isDirectory) await copyDir(s, d);
    else await Deno.copyFile(s, d);
  }
}

/** A temporary copy of `tests/fixtures/<name>` with `lib/step/context.ts` copied in. */
export async function makeProject(name = "mini"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pipeline-test-" });
  await copyDir(join(ROOT, "tests/fixtures", name), dir);
  await Deno.mkdir(join(dir, "lib/step"), { recursive: true });
  await Deno.copyFile(join(ROOT, "lib/step/context.ts"), join(dir, "lib/step/context.ts"));
  return dir;
}

/** What the study needs to run: its pipeline, steps, libraries, kernels and dependency pins. */
const STUDY_FILES = ["deno.json", "deno.lock", "pipeline.yaml", "steps", "lib", "kernels"];

/** A temporary copy of the study itself (not the fixture), to run its real pipeline. */
export async function copyStudy(prefix = "study-"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  for (const f of STUDY_FILES) {
    const r = await new Deno.Command("cp", { args: ["-rL", join(ROOT, f), dir] }).output();
    if (r.code !== 0) throw new Error(`cp ${f}: ${new TextDecoder().decode(r.stderr)}`);
  }
  return dir;
}

/** Removes a test project. */
export async function removeProject(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

/** The result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cliCommand(dir: string, args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", join(ROOT, "deno.json"), CLI, ...args],
    cwd: dir,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs the CLI in `dir` and waits for it. */
export async function cli(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = await cliCommand(dir, args, env).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Starts the CLI in `dir` without waiting; `done` collects its output. */
export function spawnCli(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): { child: Deno.ChildProcess; done: Promise<CliResult> } {
  const child = cliCommand(dir, args, env).spawn();
  const done = child.output().then((out) => {
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  });
  return { child, done };
}

/** Instance ids the run reported as finished successfully (`✓ id  1.2 s`), sorted. */
export function ran(stdout: string): string[] {
  return [...stdout.matchAll(/^✓ (.+?) {2}\d/gm)].map((m) => m[1]).sort();
}

/** Instance ids the run reported as failed. */
export function failed(stdout: string): string[] {
  return [...stdout.matchAll(/^✗ (.+?) {2}\d/gm)].map((m) => m[1]).sort();
}

/** Every run record of the project's store. */
export async function records(dir: string): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  try {
    for await (const e of Deno.readDir(join(dir, "artifacts/records"))) {
      if (e.name.endsWith(".json")) {
        out.push(JSON.parse(await Deno.readTextFile(join(dir, "artifacts/records", e.name))));
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

/** The record an instance resolved to last under a profile (via the index). */
export async function currentRecord(
  dir: string,
  id: string,
  profile = "default",
): Promise<RunRecord> {
  const idx = JSON.parse(
    await Deno.readTextFile(join(dir, "artifacts/index", profile, `${id}.json`)),
  );
  return JSON.parse(await Deno.readTextFile(join(dir, "artifacts/records", `${idx.key}.json`)));
}

/** Path of a blob in the project's store. */
export function blobPath(dir: string, hash: string): string {
  return join(dir, "artifacts/blobs/sha256", hash.slice(0, 2), hash);
}

/** Reads an output of an instance's current record as text. */
export async function outputText(
  dir: string,
  id: string,
  output: string,
  profile = "default",
): Promise<string> {
  const rec = await currentRecord(dir, id, profile);
  return await Deno.readTextFile(blobPath(dir, rec.outputs[output].hash));
}

/** Appends text to a project file. */
export async function appendTo(dir: string, rel: string, text: string): Promise<void> {
  await Deno.writeTextFile(join(dir, rel), text, { append: true });
}

/** Replaces text in a project file (the text must occur). */
export async function replaceIn(dir: string, rel: string, from: string, to: string): Promise<void> {
  const path = join(dir, rel);
  const text = await Deno.readTextFile(path);
  if (!text.includes(from)) throw new Error(`'${from}' not found in ${rel}`);
  await Deno.writeTextFile(path, text.replace(from, to));
}

/** Polls `fn` until it returns a value other than undefined (or fails after `ms`). */
export async function waitFor<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out waiting for a condition");
}

/** Whether a process is alive (Linux /proc). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // A zombie (state Z) has exited already.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Writes a file in the project (creating directories). */
export async function writeFile(dir: string, rel: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(join(dir, rel)), { recursive: true });
  await Deno.writeTextFile(join(dir, rel), text);
}

/** A generous bound that only a hang (or runaway expansion) exceeds. */
export const BOUND_MS = 20_000;

/**
 * Runs the CLI with a 256 MB heap, killed after BOUND_MS: a runaway load
 * shows as a failed assertion instead of a hung suite or machine.
 */
export async function boundedCli(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult & { killed: boolean }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--v8-flags=--max-old-space-size=256",
      "--config",
      join(ROOT, "deno.json"),
      CLI,
      ...args,
    ],
    cwd: dir,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, BOUND_MS);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      killed,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts a refused load: not killed, exit 2, the expected line, no stack trace, nothing run. */
export async function assertRefused(
  dir: string,
  r: CliResult & { killed: boolean },
  expect: RegExp,
) {
  equal(r.killed, false, `the CLI ran past ${BOUND_MS / 1000} s and was killed`);
  equal(r.code, 2, r.stdout + r.stderr);
  match(r.stderr, expect);
  match(r.stderr, /problems? in the pipeline file; nothing was run/);
  ok(!/RangeError|\n\s+at /.test(r.stderr), `a stack trace: ${r.stderr}`);
  equal(
    await Deno.stat(join(dir, "artifacts")).then(() => true, () => false),
    false,
    "nothing ran",
  );
}

/** Every regular file under `root` (relative path) with its size, inode and mtime, sorted. */
export async function snapshotFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      const st = await Deno.lstat(p);
      if (st.isDirectory) await walk(p);
      else {
        out.push(
          `${p.slice(root.length)} size=${st.size} ino=${st.ino} mtime=${st.mtime?.getTime()}`,
        );
      }
    }
  };
  await walk(root);
  return out.sort();
}
