/**
 * The run history: one entry per `reproduce` (`runs/<id>.json`), saying when
 * it ran, under which profile and overrides, at which git commit, what each
 * instance resolved to and how it ended. While an entry is listed, `gc`
 * keeps the records (and so the outputs) it names; `runs --drop` releases
 * them.
 *
 * @module
 */

import { join } from "node:path";
import type { MatrixValue } from "../spec/mod.ts";
import type { Store } from "./store.ts";

/** Version of the run entry format. */
export const RUN_FORMAT = 1;

/** How one instance ended in a run. */
export type InstanceOutcome = "ran" | "cached" | "failed" | "not-run";

/** One instance of a run: the key it resolved to (null when it did not resolve). */
export interface RunInstance {
  id: string;
  step: string;
  key: string | null;
  outcome: InstanceOutcome;
}

/** `runs/<id>.json`. */
export interface RunEntry {
  format: number;
  /** `<UTC time to the millisecond>-<4 hex>` (`20261201T205918.732Z-4d06`), sortable by time. */
  id: string;
  /** The `--name` given, if any (unique among listed runs). */
  name: string | null;
  started: string;
  ended: string;
  seconds: number;
  /** The profile the run used: the base profile, or its experiment profile with overrides. */
  profile: string;
  base: string;
  overrides: { params: Record<string, unknown>; matrix: Record<string, MatrixValue[]> };
  /** The project's git commit and whether its work tree had changes (null outside git). */
  git: { commit: string; dirty: boolean } | null;
  counts: { ran: number; cached: number; failed: number; not_run: number };
  outcome: "ok" | "failed" | "interrupted";
  instances: RunInstance[];
}

/** Where run entries live. */
export function runsDir(store: Store): string {
  return join(store.root, "runs");
}

/** A fresh run id for a run started at `time`. */
export function newRunId(time: Date): string {
  // Milliseconds keep two runs of the same second in order.
  const t = time.toISOString().replace(/[-:]/g, "");
  const r = crypto.getRandomValues(new Uint8Array(2));
  return `${t}-${[...r].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Writes a run entry atomically (temp file + rename). */
export async function writeRun(store: Store, run: RunEntry): Promise<void> {
  const dir = runsDir(store);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${run.id}.tmp`);
  await Deno.writeTextFile(tmp, JSON.stringify(run, null, 2) + "\n");
  await Deno.rename(tmp, join(dir, `${run.id}.json`));
}

/** Every listed run, newest first. A malformed entry is an error (gc must not guess). */
export async function listRuns(store: Store): Promise<RunEntry[]> {
  const out: RunEntry[] = [];
  try {
    for await (const e of Deno.readDir(runsDir(store))) {
      if (!e.isFile || !e.name.endsWith(".json") || e.name.startsWith(".")) continue;
      const path = join(runsDir(store), e.name);
      let run: RunEntry;
      try {
        run = JSON.parse(await Deno.readTextFile(path));
      } catch (err) {
        throw new Error(`run entry ${path} is not valid JSON (${(err as Error).message})`);
      }
      if (run?.format !== RUN_FORMAT || !Array.isArray(run.instances)) {
        throw new Error(`run entry ${path} is not a run entry (format ${RUN_FORMAT})`);
      }
      out.push(run);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort((a, b) => b.id.localeCompare(a.id));
}

/** The run named `ref` (its name, its id, or a unique id prefix), or undefined. */
export function findRun(runs: RunEntry[], ref: string): RunEntry | undefined {
  const exact = runs.find((r) => r.name === ref || r.id === ref);
  if (exact) return exact;
  const pre = runs.filter((r) => r.id.startsWith(ref));
  return pre.length === 1 ? pre[0] : undefined;
}

/** Removes a run entry (its results become collectable unless something else keeps them). */
export async function dropRun(store: Store, run: RunEntry): Promise<void> {
  await Deno.remove(join(runsDir(store), `${run.id}.json`));
}

/** The record keys the listed runs keep alive. */
export async function runKeys(store: Store): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const r of await listRuns(store)) {
    for (const i of r.instances) if (i.key) keys.add(i.key);
  }
  return keys;
}
