/**
 * The files the engine keeps about runs: run records (one per key, the proof
 * that a key's outputs exist), index entries (the last key of an instance
 * under a profile, for "why does this rerun?") and tree manifests (the
 * content of a directory output).
 *
 * @module
 */

import type { KeyParts } from "../keys/mod.ts";
import type { MatrixValue } from "../spec/mod.ts";

/** Version of the record/index/manifest formats (also folded into the engine salt). */
export const RECORD_FORMAT = 1;

/** A stored output. For a directory, `hash`/`size` are those of its tree manifest blob. */
export interface OutputEntry {
  hash: string;
  size: number;
  kind: "file" | "dir";
  /** The declared file name (without a trailing slash). */
  file: string;
}

/** Written last, atomically, after a successful run: `records/<key>.json`. */
export interface RunRecord {
  format: number;
  key: string;
  step: string;
  id: string;
  matrix: Record<string, MatrixValue>;
  /** The profile the instance ran under (informational: the key does not depend on it). */
  profile: string;
  parts: KeyParts;
  outputs: Record<string, OutputEntry>;
  started: string;
  ended: string;
  seconds: number;
  host: string;
  deno: string;
  executor: string;
  cores: number;
  /** The run's log (stdout and stderr), stored as a blob. */
  log: { hash: string; size: number } | null;
  /** Every attempt, the successful last one included (absent in older records). */
  attempts?: AttemptRecord[];
  /**
   * What the step's process used, as its runtime measured it at exit
   * (absent for records made before traces, or when the step exited early).
   * Informational: never part of a key.
   */
  usage?: ResourceUsage;
}

/** One attempt of a run (a retry after a time limit, a preemption, ...). */
export interface AttemptRecord {
  /** 1-based. */
  attempt: number;
  started: string;
  ended: string;
  seconds: number;
  /** `ok`, or what ended it (`timeout`, `out_of_memory`, `preempted`, `fail`, ...). */
  outcome: string;
  /** Why it failed, as reported. */
  error?: string;
  /** The cluster job, if any. */
  job?: string;
  /** What it asked for. */
  resources: { cores: number; memoryMb?: number; timeSeconds?: number };
  /** Whether an engine restarted meanwhile and adopted the job. */
  adopted?: boolean;
}

/** A step process's resource use (see docs/experiments.md, "Resource traces"). */
export interface ResourceUsage {
  /** Peak resident set size, MiB. */
  max_rss_mib: number;
  cpu_user_s: number;
  cpu_sys_s: number;
  /** The host the step ran on (a cluster node), as the step saw it. */
  host: string;
}

/** `index/<profile>/<instance>.json`: the key an instance last resolved to under a profile. */
export interface IndexEntry {
  format: number;
  id: string;
  step: string;
  profile: string;
  key: string;
  parts: KeyParts;
  /** When the instance was last resolved (ran or found cached). */
  time: string;
}

/** One file of a directory output. */
export interface TreeEntry {
  hash: string;
  size: number;
}

/** A directory output: relative path (with `/`) -> file blob. Stored as a blob itself. */
export interface TreeManifest {
  format: "pipeline-tree/1";
  entries: Record<string, TreeEntry>;
}

/** `pins/<name>.json`: things `gc` must keep. Every field is optional. */
export interface PinFile {
  description?: string;
  /** Blob hashes (files, logs or tree manifests: a pinned manifest keeps its files too). */
  blobs?: string[];
  /** Run record keys (a pinned record keeps its outputs and log). */
  records?: string[];
}
