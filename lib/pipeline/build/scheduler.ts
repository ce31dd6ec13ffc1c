/**
 * The scheduler: ready sets and slots, nothing else. It walks tasks in
 * topological order, asks `resolve` about each task whose dependencies are
 * all done (the answer — done already, or run with so many slots — comes from
 * the caller, which asks the rebuilder), launches what fits in the free
 * slots (and, with a budget, the free memory), stops launching after a failure unless `keepGoing`, and cancels
 * everything running when the signal aborts. It knows no store, no keys and
 * no processes, so it is tested alone with fake jobs.
 *
 * @module
 */

/** One node of the graph to bring up to date. */
export interface Task {
  id: string;
  /** Ids of the tasks it needs (each must come earlier in the task list). */
  deps: string[];
}

/** A running job. */
export interface Job<R extends JobOutcome> {
  readonly result: Promise<R>;
  /** Asks the job to stop; its result still settles. Idempotent. */
  cancel(): void;
}

/** What the scheduler needs to know of how a job ended. */
export interface JobOutcome {
  ok: boolean;
}

/** The caller's answer for a task whose dependencies are done. */
export type Resolution<R extends JobOutcome> =
  | { kind: "done" }
  | {
    kind: "run";
    /** Slots the job occupies while it runs (at most the total). */
    slots: number;
    /** Memory the job holds while it runs (any unit, the budget's; at most the budget). */
    memory?: number;
    /** Tasks with the same share key never run at once; a waiting one is resolved again later. */
    share?: string;
    /** Prepares the launch (may take time); returns the function that starts the job. */
    prepare(): Promise<() => Job<R>>;
  };

/** The caller's side of a scheduling pass. */
export interface SchedulerHooks<R extends JobOutcome> {
  /** Decides a task whose dependencies are all done. Called again while it waits for slots. */
  resolve(id: string): Promise<Resolution<R>>;
  /** A job ended (before the scheduler moves on, so it may read logs). */
  finished(id: string, outcome: R): Promise<void> | void;
  /** `resolve` or `prepare` threw: the task has failed. */
  errored(id: string, error: Error): void;
}

/** Options of one scheduling pass. */
export interface SchedulerOptions {
  /** In topological order. */
  tasks: Task[];
  /** Total slots (at least 1). */
  slots: number;
  /** Memory budget shared by running jobs (absent: unlimited). */
  memory?: number;
  /** Go on with independent tasks after a failure. */
  keepGoing: boolean;
  signal: AbortSignal;
}

/** What happened to each task. */
export interface SchedulerSummary {
  /** Resolved as already done. */
  done: string[];
  /** Ran and succeeded. */
  ran: string[];
  /** Ran and failed, or could not be resolved. */
  failed: string[];
  /** Not run: an upstream task failed, or the pass stopped early. */
  notRun: string[];
  interrupted: boolean;
}

type State = "pending" | "running" | "done" | "failed" | "blocked";

/**
 * Brings `tasks` up to date: resolves, launches within slots, waits.
 *
 * @example
 * ```ts
 * const summary = await runScheduler({
 *   tasks: [{ id: "a", deps: [] }, { id: "b", deps: ["a"] }],
 *   slots: 2,
 *   keepGoing: false,
 *   signal: new AbortController().signal,
 * }, {
 *   resolve: () => Promise.resolve({ kind: "done" }),
 *   finished: () => {},
 *   errored: () => {},
 * });
 * // summary.done: ["a", "b"]
 * ```
 */
export async function runScheduler<R extends JobOutcome>(
  opts: SchedulerOptions,
  hooks: SchedulerHooks<R>,
): Promise<SchedulerSummary> {
  const state = new Map<string, State>(opts.tasks.map((t) => [t.id, "pending"]));
  const running = new Map<string, { job: Job<R>; share?: string; settled: Promise<void> }>();
  const summary: SchedulerSummary = {
    done: [],
    ran: [],
    failed: [],
    notRun: [],
    interrupted: false,
  };
  let free = opts.slots;
  let freeMemory = opts.memory ?? Infinity;
  let stop = false;
  // Set whenever something may have become ready (a finish, a task resolved as done).
  let wake = true;

  const onAbort = () => {
    stop = true;
    summary.interrupted = true;
    for (const r of running.values()) r.job.cancel();
  };
  opts.signal.addEventListener("abort", onAbort);
  if (opts.signal.aborted) onAbort();

  const fail = (id: string) => {
    state.set(id, "failed");
    summary.failed.push(id);
    if (!opts.keepGoing) stop = true;
    wake = true;
  };

  /** Resolves one pending task, or launches it when it is ready and fits. */
  const step = async (task: Task): Promise<void> => {
    if (task.deps.some((d) => state.get(d) === "failed" || state.get(d) === "blocked")) {
      state.set(task.id, "blocked");
      wake = true;
      return;
    }
    if (!task.deps.every((d) => state.get(d) === "done")) return;
    const r = await hooks.resolve(task.id);
    if (r.kind === "done") {
      state.set(task.id, "done");
      summary.done.push(task.id);
      wake = true;
      return;
    }
    if (r.share !== undefined && [...running.values()].some((x) => x.share === r.share)) return;
    const slots = Math.max(1, Math.min(r.slots, opts.slots));
    if (slots > free) return;
    // A job larger than the whole budget runs alone rather than never.
    const memory = Math.min(r.memory ?? 0, opts.memory ?? Infinity);
    if (memory > freeMemory) return;
    const launch = await r.prepare();
    if (stop) return;
    // prepare() awaited: another task may have taken the slots or memory meanwhile.
    if (slots > free || memory > freeMemory) return;
    free -= slots;
    freeMemory -= memory;
    state.set(task.id, "running");
    const job = launch();
    const settled = job.result.then(async (outcome) => {
      try {
        await hooks.finished(task.id, outcome);
      } finally {
        free += slots;
        freeMemory += memory;
        running.delete(task.id);
        wake = true;
        if (outcome.ok) {
          state.set(task.id, "done");
          summary.ran.push(task.id);
        } else fail(task.id);
      }
    });
    running.set(task.id, { job, share: r.share, settled });
  };

  try {
    while (true) {
      // Launch (or resolve as done) everything ready, until nothing changes.
      while (wake && !stop) {
        wake = false;
        for (const task of opts.tasks) {
          if (stop) break;
          if (state.get(task.id) !== "pending") continue;
          try {
            await step(task);
          } catch (e) {
            fail(task.id);
            hooks.errored(task.id, e as Error);
          }
        }
      }
      if (running.size === 0) break;
      await Promise.race([...running.values()].map((r) => r.settled.catch(() => {})));
    }
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
  }
  for (const task of opts.tasks) {
    const s = state.get(task.id);
    if (s === "pending" || s === "blocked") summary.notRun.push(task.id);
  }
  return summary;
}
