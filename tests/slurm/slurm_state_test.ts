/** Unit: Slurm job states and how a finished job maps to a step result (no Slurm needed). */
import { deepStrictEqual, equal, match } from "node:assert/strict";
import {
  baseState,
  isActive,
  isQueued,
  jobOutcome,
  parseExitCode,
  signalName,
} from "../../lib/pipeline/exec/slurm_state.ts";

const ours = { cancelledByUs: false };

Deno.test("states: active, queued, base names", () => {
  equal(baseState("CANCELLED by 0"), "CANCELLED");
  equal(baseState("running"), "RUNNING");
  for (const s of ["PENDING", "RUNNING", "COMPLETING", "SUSPENDED", "CONFIGURING"]) {
    equal(isActive(s), true, s);
  }
  for (const s of ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL"]) {
    equal(isActive(s), false, s);
  }
  equal(isQueued("PENDING"), true);
  equal(isQueued("RUNNING"), false);
  deepStrictEqual(parseExitCode("3:0"), { exitCode: 3, signal: 0 });
  deepStrictEqual(parseExitCode("0:15"), { exitCode: 0, signal: 15 });
  deepStrictEqual(parseExitCode("garbage"), {});
  equal(signalName(9), "SIGKILL");
  equal(signalName(42), "SIG42");
});

Deno.test("exit codes and signals map as a local process would report them", () => {
  deepStrictEqual(jobOutcome({ id: "1", state: "COMPLETED", exitCode: 0, signal: 0 }, ours), {
    code: 0,
    signal: null,
  });
  deepStrictEqual(jobOutcome({ id: "1", state: "FAILED", exitCode: 3, signal: 0 }, ours), {
    code: 3,
    signal: null,
  });
  deepStrictEqual(jobOutcome({ id: "1", state: "FAILED", exitCode: 0, signal: 11 }, ours), {
    code: null,
    signal: "SIGSEGV",
  });
  match(
    jobOutcome(
      { id: "7", state: "FAILED", exitCode: 0, signal: 0, reason: "JobLaunchFailure" },
      ours,
    )
      .error!,
    /Slurm job 7 failed before the step ran \(JobLaunchFailure\)/,
  );
});

Deno.test("cancellation: ours is a plain stop, anyone else's is an explained failure", () => {
  deepStrictEqual(
    jobOutcome({ id: "5", state: "CANCELLED", exitCode: 0, signal: 15 }, { cancelledByUs: true }),
    { code: null, signal: "SIGTERM" },
  );
  const r = jobOutcome({ id: "5", state: "CANCELLED", exitCode: 0, signal: 9 }, ours);
  equal(r.signal, "SIGKILL");
  match(
    r.error!,
    /^Slurm job 5 was cancelled \(scancel, or an administrator\); a rerun resumes from the step's checkpoint$/,
  );
});

Deno.test("limits, node failures and preemption are named, with what to do", () => {
  match(
    jobOutcome({ id: "2", state: "TIMEOUT" }, { ...ours, time: "--time=0-00:30:00" }).error!,
    /Slurm job 2 reached its time limit \(--time=0-00:30:00\); raise the step's resources\.time \(or --slurm-time\); a rerun resumes/,
  );
  match(
    jobOutcome({ id: "2", state: "OUT_OF_MEMORY" }, { ...ours, memory: "--mem=4096M" }).error!,
    /ran out of memory \(--mem=4096M\); raise the step's resources\.memory/,
  );
  match(
    jobOutcome({ id: "2", state: "NODE_FAIL" }, ours).error!,
    /its node failed \(NODE_FAIL\); a rerun resumes/,
  );
  match(jobOutcome({ id: "2", state: "PREEMPTED" }, ours).error!, /was preempted; a rerun resumes/);
  match(
    jobOutcome({ id: "2", state: "REVOKED", reason: "x" }, ours).error!,
    /ended in state REVOKED \(x\)/,
  );
});

Deno.test("a failed check of the batch script is the error the user sees", () => {
  const r = jobOutcome({ id: "3", state: "FAILED", exitCode: 97, signal: 0 }, {
    ...ours,
    scriptError: "the context file /s/tmp/x/context.json is not visible on node n1: ...",
  });
  equal(r.error, "the context file /s/tmp/x/context.json is not visible on node n1: ...");
});

Deno.test("each end carries the cause the retry decision reads (OUT_OF_MEMORY injected)", () => {
  const ctx = { cancelledByUs: false };
  const cause = (state: string) => jobOutcome({ id: "7", state }, ctx).cause;
  equal(cause("OUT_OF_MEMORY"), "out_of_memory");
  equal(cause("TIMEOUT"), "timeout");
  equal(cause("PREEMPTED"), "preempted");
  equal(cause("NODE_FAIL"), "node_fail");
  equal(cause("BOOT_FAIL"), "node_fail");
  equal(cause("CANCELLED"), "cancelled");
  equal(jobOutcome({ id: "7", state: "CANCELLED" }, { cancelledByUs: true }).cause, undefined);
  // A step failure has no cause of its own: the runner counts a non-zero exit as `fail`.
  equal(jobOutcome({ id: "7", state: "FAILED", exitCode: 1 }, ctx).cause, undefined);
});
