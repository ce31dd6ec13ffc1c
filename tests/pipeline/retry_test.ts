/**
 * The retry decision (state + ladder -> next attempt) and the `retries:` and
 * resource-ladder syntax, without any executor.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { PipelineError } from "../../lib/pipeline/spec/diagnostics.ts";
import { loadPipelineText } from "../../lib/pipeline/spec/load.ts";
import type { Resources } from "../../lib/pipeline/spec/schema.ts";
import { nextAttempt, retryPolicy } from "../../lib/pipeline/exec/retry.ts";

const probe = { isFile: (p: string) => p === "steps/a.ts", glob: () => [] };

function step(extra: string) {
  const text =
    `version: 1\nsteps:\n  a:\n    module: steps/a.ts\n    outputs: { x: x.json }\n${extra}`;
  return loadPipelineText(text, "/p/pipeline.yaml", probe).spec.steps.find((s) => s.name === "a")!;
}

function errors(extra: string): string {
  try {
    step(extra);
  } catch (e) {
    if (e instanceof PipelineError) return e.message;
    throw e;
  }
  throw new Error("expected an error");
}

const LADDER: Resources = {
  cores: 1,
  memory: "4G",
  memoryMb: 4096,
  memoryLadderMb: [4096, 8192, 16384],
  time: "2h",
  timeSeconds: 7200,
  timeLadderSeconds: [7200, 28800],
};
const FIRST = { memory: 0, time: 0 };

Deno.test("retries: ladders and policies in pipeline.yaml", () => {
  const s = step("    resources: { memory: [4G, 8G, 16G], time: [2h, 8h] }\n    retries: 3\n");
  deepStrictEqual(s.resources, { ...LADDER, cores: 1 });
  deepStrictEqual(s.retries, {
    count: 3,
    on: ["out_of_memory", "timeout", "preempted", "node_fail", "cancelled"],
  });
  deepStrictEqual(step("    retries: { count: 2, on: [fail] }\n").retries, {
    count: 2,
    on: ["fail"],
  });
  // A single value is as before.
  const one = step("    resources: { memory: 4G, time: 2h }\n").resources;
  deepStrictEqual(one, { cores: 1, memory: "4G", memoryMb: 4096, time: "2h", timeSeconds: 7200 });
  match(errors("    resources: { memory: [8G, 4G] }\n"), /larger than the one before/);
  match(errors("    retries: { count: 2, on: [oom] }\n"), /unknown cause .*"oom"/);
  match(errors("    retries: -1\n"), /retries of step 'a' must be an integer from 0 to 20/);
});

Deno.test("retries: the effective policy (a ladder alone climbs its rungs)", () => {
  deepStrictEqual(retryPolicy(undefined, { cores: 1 }), { count: 0, on: [] });
  deepStrictEqual(retryPolicy(undefined, LADDER), {
    count: 2,
    on: ["out_of_memory", "timeout"],
  });
  const mine = { count: 1, on: ["fail" as const] };
  equal(retryPolicy(mine, LADDER), mine);
});

Deno.test("retries: out of memory and time limits climb the ladder", () => {
  const policy = retryPolicy(undefined, LADDER);
  const oom = nextAttempt(policy, LADDER, 1, FIRST, "out_of_memory");
  ok(oom.retry);
  deepStrictEqual(oom.rung, { memory: 1, time: 0 });
  equal(oom.resources.memoryMb, 8192);
  equal(oom.resources.timeSeconds, 7200);
  match(oom.why, /out_of_memory on attempt 1: memory 4096M -> 8192M/);
  const t = nextAttempt(policy, LADDER, 2, oom.rung, "timeout");
  ok(t.retry);
  deepStrictEqual(t.rung, { memory: 1, time: 1 });
  equal(t.resources.timeSeconds, 28800);
  equal(t.resources.memoryMb, 8192);
  // Attempts used up.
  const end = nextAttempt(policy, LADDER, 3, t.rung, "out_of_memory");
  equal(end.retry, false);
  match(end.why, /all 3 attempts used/);
});

Deno.test("retries: the top of a ladder, and causes that are not retried", () => {
  const policy = { count: 5, on: ["out_of_memory" as const, "timeout" as const] };
  const top = { memory: 2, time: 1 };
  const oom = nextAttempt(policy, LADDER, 1, top, "out_of_memory");
  equal(oom.retry, false, "more of the same memory fails the same way");
  const t = nextAttempt(policy, LADDER, 1, top, "timeout");
  ok(t.retry, "the same limit again still progresses from the checkpoint");
  deepStrictEqual(t.rung, top);
  match(t.why, /same time limit/);
  equal(nextAttempt(policy, LADDER, 1, FIRST, "fail").retry, false);
  equal(nextAttempt(policy, LADDER, 1, FIRST, undefined).retry, false);
});

Deno.test("retries: preemption and node failure go again as they were; fail only when asked", () => {
  const r: Resources = { cores: 2, memoryMb: 1000, memory: "1000M" };
  const policy = retryPolicy(
    { count: 1, on: ["preempted", "node_fail", "cancelled", "fail"] },
    r,
  );
  for (const cause of ["preempted", "node_fail", "cancelled", "fail"] as const) {
    const d = nextAttempt(policy, r, 1, FIRST, cause);
    ok(d.retry, cause);
    deepStrictEqual(d.resources, r);
    match(d.why, /resubmitted as it was/);
    equal(nextAttempt(policy, r, 2, FIRST, cause).retry, false);
  }
  const none = nextAttempt(retryPolicy(undefined, r), r, 1, FIRST, "cancelled");
  equal(none.retry, false);
  equal(none.why, "the step has no retries");
  const n = retryPolicy({ count: 2, on: ["timeout"] }, r);
  match((nextAttempt(n, r, 1, FIRST, "fail") as { why: string }).why, /do not cover fail/);
});
