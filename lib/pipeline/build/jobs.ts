/**
 * Cluster jobs in flight, written down in the store (`jobs/<key>.json`) as
 * soon as `sbatch` answers, so an engine restarted after a crash can follow
 * them to their end instead of cancelling them (adoption). A job file goes
 * away when its attempt has settled (recorded, failed or cancelled).
 *
 * @module
 */

import type { Executor, Rung } from "../exec/mod.ts";
import type { Instance } from "../spec/mod.ts";
import type { AttemptRecord, Store } from "../store/mod.ts";
import type { Project } from "./project.ts";
import { computeStatus } from "./status.ts";

/** What the store keeps about one submitted job. */
export interface JobFile {
  format: 1;
  key: string;
  /** The instance id. */
  id: string;
  profile: string;
  executor: string;
  /** The cluster's job id. */
  job: string;
  /** The attempt's staging directory (the job reads and writes there). */
  attemptDir: string;
  /** 1-based attempt number, and where it stands on the resource ladders. */
  attempt: number;
  rung: Rung;
  /** The attempts before this one. */
  attempts: AttemptRecord[];
  /** When the run (its first attempt) started, and when this job was submitted. */
  started: string;
  submitted: string;
}

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

function isJobFile(x: unknown): x is JobFile {
  const j = x as JobFile;
  return typeof j === "object" && j !== null && j.format === 1 && typeof j.key === "string" &&
    typeof j.job === "string" && typeof j.attemptDir === "string" &&
    typeof j.attempt === "number" && Array.isArray(j.attempts);
}

/** The store's job files that parse. */
export async function readJobs(store: Store): Promise<JobFile[]> {
  return (await store.readJobFiles()).filter(isJobFile);
}

/** Writes a job file atomically (it must exist before the engine does anything else). */
export async function writeJob(store: Store, job: JobFile): Promise<void> {
  await store.writeJsonAtomic(store.jobFilePath(job.key), job);
}

/**
 * Before a run: the jobs an earlier (killed) engine left that still work for
 * an instance this run brings up to date are returned by key, to be adopted;
 * every other job of the store is cancelled (and waited for) by the executor,
 * and its job file dropped.
 */
export async function recoverJobs(
  project: Project,
  executor: Executor,
  profile: string,
  instances: Instance[],
  forced: Set<string>,
  note: (message: string) => void,
): Promise<Map<string, JobFile>> {
  const store = project.store;
  const files = (await readJobs(store)).filter((f) => f.executor === executor.name);
  const adopt = new Map<string, JobFile>();
  if (!executor.reconcile || files.length === 0) return adopt;
  const statuses = await computeStatus(project, profile, instances, forced);
  const wanted = new Set(statuses.filter((s) => !s.upToDate && s.key).map((s) => s.key!));
  const candidates: JobFile[] = [];
  for (const f of files) {
    if (wanted.has(f.key) && await exists(f.attemptDir)) candidates.push(f);
  }
  const kept = await executor.reconcile(new Set(candidates.map((f) => f.job)));
  for (const f of files) {
    if (kept.has(f.job) && candidates.includes(f)) adopt.set(f.key, f);
    else await store.dropJobFile(f.key);
  }
  if (adopt.size) {
    note(
      `following ${adopt.size} job(s) an earlier run left on this store: ${
        [...adopt.values()].map((f) => `${f.job} (${f.id})`).join(", ")
      }`,
    );
  }
  return adopt;
}
