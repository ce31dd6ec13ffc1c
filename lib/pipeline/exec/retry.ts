/**
 * The retry decision: given a step's policy, its resources (with ladders)
 * and how an attempt ended, whether to try again and with what. Pure, so it
 * is unit-tested without any executor.
 *
 * @module
 */

import type { FailureCause, Resources, RetryPolicy } from "../spec/mod.ts";

/** Where an attempt stands on the resource ladders (0: the first rung). */
export interface Rung {
  memory: number;
  time: number;
}

/** The decision after a failed attempt. */
export type RetryDecision =
  | { retry: true; rung: Rung; resources: Resources; why: string }
  | { retry: false; why: string };

/** A resources ladder's rung as a value for the executor (`memory`/`time` as written, in MB and s). */
export function resourcesAt(r: Resources, rung: Rung): Resources {
  const out: Resources = { ...r };
  if (r.memoryLadderMb) {
    out.memoryMb = r.memoryLadderMb[Math.min(rung.memory, r.memoryLadderMb.length - 1)];
    out.memory = `${out.memoryMb}M`;
  }
  if (r.timeLadderSeconds) {
    out.timeSeconds = r.timeLadderSeconds[Math.min(rung.time, r.timeLadderSeconds.length - 1)];
    out.time = `${out.timeSeconds}s`;
  }
  return out;
}

/**
 * The effective policy of a step: its `retries:`, else as many retries as its
 * ladders have rungs above the first (for the cause each ladder answers).
 */
export function retryPolicy(
  retries: RetryPolicy | undefined,
  r: Resources,
): RetryPolicy {
  if (retries) return retries;
  const on: FailureCause[] = [];
  if (r.memoryLadderMb) on.push("out_of_memory");
  if (r.timeLadderSeconds) on.push("timeout");
  const rungs = Math.max(r.memoryLadderMb?.length ?? 1, r.timeLadderSeconds?.length ?? 1);
  return { count: rungs - 1, on };
}

/** A short text of the resources an attempt asks for (for the log). */
export function describeResources(r: Resources): string {
  const parts = [`cores=${r.cores}`];
  if (r.memoryMb !== undefined) parts.push(`memory=${Math.ceil(r.memoryMb)}M`);
  if (r.timeSeconds !== undefined) parts.push(`time=${Math.ceil(r.timeSeconds)}s`);
  return parts.join(" ");
}

/**
 * Whether attempt `attempt` (1-based) that ended with `cause` is tried again.
 * OUT_OF_MEMORY and TIMEOUT climb their ladder; at the top, a TIMEOUT is
 * retried as it was (the next attempt resumes from the checkpoint, so it
 * progresses) and an OUT_OF_MEMORY is not (it would fail the same way).
 * PREEMPTED, NODE_FAIL and an outside cancellation are retried as they were.
 */
export function nextAttempt(
  policy: RetryPolicy,
  r: Resources,
  attempt: number,
  rung: Rung,
  cause: FailureCause | undefined,
): RetryDecision {
  if (cause === undefined) return { retry: false, why: "not a failure that is retried" };
  if (!policy.on.includes(cause)) {
    return {
      retry: false,
      why: policy.count === 0 ? "the step has no retries" : `retries do not cover ${cause}`,
    };
  }
  if (attempt > policy.count) {
    return { retry: false, why: `all ${policy.count + 1} attempts used` };
  }
  const next = { ...rung };
  let why = `${cause} on attempt ${attempt}`;
  if (cause === "out_of_memory") {
    const ladder = r.memoryLadderMb;
    if (!ladder || rung.memory + 1 >= ladder.length) {
      return { retry: false, why: "out of memory at the top of resources.memory" };
    }
    next.memory++;
    why += `: memory ${Math.ceil(ladder[rung.memory])}M -> ${Math.ceil(ladder[next.memory])}M`;
  } else if (cause === "timeout") {
    const ladder = r.timeLadderSeconds;
    if (ladder && rung.time + 1 < ladder.length) {
      next.time++;
      why += `: time ${ladder[rung.time]}s -> ${ladder[next.time]}s`;
    } else why += ": same time limit, resuming from the checkpoint";
  } else why += ": resubmitted as it was";
  return { retry: true, rung: next, resources: resourcesAt(r, next), why };
}
