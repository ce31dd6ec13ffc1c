/**
 * The Slurm commands the executor uses (sbatch, squeue, scontrol, sacct,
 * scancel), run as child processes and parsed. Works without accounting:
 * squeue and `scontrol show job` know a job until MinJobAge after its end;
 * sacct is only asked when the job has left them.
 *
 * @module
 */

import { baseState, type JobInfo, parseExitCode } from "./slurm_state.ts";

/** The output of one command. */
export interface CommandOutput {
  /** Exit code; -1 when the program could not be started. */
  code: number;
  stdout: string;
  stderr: string;
}

/** A Slurm command failed; `message` carries its stderr. */
export class SlurmCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SlurmCommandError";
  }
}

/** Messages of transient controller trouble, worth a retry. */
const TRANSIENT =
  /timed out|temporarily unavailable|try again|unable to contact|connection refused|communication|busy/i;

/** Runs Slurm's command-line tools. */
export class SlurmClient {
  /** `bin`: a directory holding the tools (default: found on PATH). */
  constructor(readonly bin?: string) {}

  #prog(name: string): string {
    return this.bin ? `${this.bin}/${name}` : name;
  }

  /** Runs one tool; never throws (a missing program gives code -1). */
  async run(name: string, args: string[]): Promise<CommandOutput> {
    try {
      const out = await new Deno.Command(this.#prog(name), {
        args,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    } catch (e) {
      return { code: -1, stdout: "", stderr: `cannot run ${name}: ${(e as Error).message}` };
    }
  }

  /** Submits a batch script; returns the job id. Retries transient controller errors. */
  async submit(args: string[], scriptFile: string, retries = 3): Promise<string> {
    for (let attempt = 0;; attempt++) {
      const out = await this.run("sbatch", [...args, scriptFile]);
      const id = out.stdout.trim().split(";")[0];
      if (out.code === 0 && /^\d+$/.test(id)) return id;
      const msg = (out.stderr.trim() || out.stdout.trim() || `exit code ${out.code}`)
        .split("\n").slice(-3).join("; ");
      if (attempt < retries && out.code !== -1 && TRANSIENT.test(msg)) {
        await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
        continue;
      }
      throw new SlurmCommandError(`sbatch failed: ${msg}`);
    }
  }

  /**
   * The queue's view of these jobs (finished ones too, while the controller
   * still holds them). Jobs it no longer knows are absent from the map.
   */
  async queue(ids: string[]): Promise<Map<string, JobInfo>> {
    const map = new Map<string, JobInfo>();
    if (ids.length === 0) return map;
    const out = await this.run("squeue", [
      "--noheader",
      // One line per array element (pending elements are otherwise shown as one range).
      "--array",
      "--states=all",
      `--jobs=${ids.join(",")}`,
      "--format=%i|%T|%r|%N",
    ]);
    if (out.code !== 0) {
      // Asked only about jobs it has forgotten, squeue fails with this.
      if (/invalid job id/i.test(out.stderr)) return map;
      throw new SlurmCommandError(`squeue failed: ${out.stderr.trim() || `exit ${out.code}`}`);
    }
    for (const line of out.stdout.split("\n")) {
      const [id, state, reason, nodes] = line.trim().split("|");
      if (!id || !state) continue;
      map.set(id, {
        id,
        state: baseState(state),
        reason: reason && reason !== "None" ? reason : undefined,
        nodes: nodes || undefined,
      });
    }
    return map;
  }

  /** `scontrol show job`: state, reason, nodes and exit code; null when the controller forgot the job. */
  async showJob(id: string): Promise<JobInfo | null> {
    const out = await this.run("scontrol", ["show", "job", "--oneliner", id]);
    if (out.code !== 0) {
      if (/invalid job id/i.test(out.stderr)) return null;
      throw new SlurmCommandError(`scontrol failed: ${out.stderr.trim() || `exit ${out.code}`}`);
    }
    const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S*)`).exec(out.stdout)?.[1];
    const state = field("JobState");
    if (!state) return null;
    const reason = field("Reason");
    const nodes = field("NodeList");
    return {
      id,
      state: baseState(state),
      reason: reason && reason !== "None" ? reason : undefined,
      nodes: nodes && nodes !== "(null)" ? nodes : undefined,
      ...parseExitCode(field("ExitCode")),
    };
  }

  /** sacct's record of a job (only with accounting); null when there is none. */
  async accounting(id: string): Promise<JobInfo | null> {
    const out = await this.run("sacct", [
      "--noheader",
      "--parsable2",
      "--allocations",
      `--jobs=${id}`,
      "--format=JobID,State,ExitCode,NodeList",
    ]);
    if (out.code !== 0) return null;
    for (const line of out.stdout.split("\n")) {
      const [jid, state, exit, nodes] = line.trim().split("|");
      if (jid !== id || !state) continue;
      return { id, state: baseState(state), nodes: nodes || undefined, ...parseExitCode(exit) };
    }
    return null;
  }

  /** Cancels jobs (SIGTERM, then SIGKILL after the cluster's KillWait). Returns an error message or undefined. */
  async cancel(ids: string[]): Promise<string | undefined> {
    if (ids.length === 0) return undefined;
    const out = await this.run("scancel", ids);
    // Jobs that ended meanwhile are not a problem.
    if (out.code === 0 || /already completing or completed|invalid job id/i.test(out.stderr)) {
      return undefined;
    }
    return `scancel ${ids.join(" ")} failed: ${out.stderr.trim() || `exit ${out.code}`}`;
  }

  /** Cancels jobs synchronously (for an engine that is exiting right now). */
  cancelSync(ids: string[]): void {
    if (ids.length === 0) return;
    try {
      new Deno.Command(this.#prog("scancel"), {
        args: ids,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).outputSync();
    } catch { /* nothing more can be done while exiting */ }
  }

  /** Ids of this user's unfinished jobs whose comment is exactly `comment`. */
  async activeJobsWithComment(comment: string): Promise<string[]> {
    const out = await this.run("squeue", ["--me", "--noheader", "--array", "--format=%i|%k"]);
    if (out.code !== 0) {
      throw new SlurmCommandError(`squeue failed: ${out.stderr.trim() || `exit ${out.code}`}`);
    }
    const ids: string[] = [];
    for (const line of out.stdout.split("\n")) {
      const bar = line.indexOf("|");
      if (bar < 0) continue;
      if (line.slice(bar + 1).trim() === comment) ids.push(line.slice(0, bar).trim());
    }
    return ids;
  }

  /** Host names of the cluster's nodes (of one partition when given). */
  async nodeHosts(partition?: string): Promise<string[]> {
    const args = ["--noheader", "--format=%n"];
    if (partition) args.push(`--partition=${partition}`);
    const out = await this.run("sinfo", args);
    if (out.code !== 0) return [];
    return [...new Set(out.stdout.split("\n").map((l) => l.trim()).filter(Boolean))];
  }
}
