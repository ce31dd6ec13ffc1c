/**
 * The scheduler alone, with fake jobs: dependency order, slots, sharing,
 * failure policy, interruption. No store, no processes.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  type Job,
  type Resolution,
  runScheduler,
  type SchedulerHooks,
  type Task,
} from "../../lib/pipeline/build/scheduler.ts";

interface Outcome {
  ok: boolean;
}

/** A job the test ends by hand. */
class FakeJob implements Job<Outcome> {
  readonly result: Promise<Outcome>;
  #settle!: (o: Outcome) => void;
  cancelled = false;
  constructor(readonly id: string) {
    this.result = new Promise((r) => (this.#settle = r));
  }
  end(ok = true): void {
    this.#settle({ ok });
  }
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.end(false);
  }
}

/** A fake world: which tasks are done already, what each job does, and a log of events. */
class World {
  events: string[] = [];
  jobs = new Map<string, FakeJob>();
  running = new Set<string>();
  maxRunning = 0;
  resolves = new Map<string, number>();
  constructor(
    readonly plan: Record<
      string,
      {
        done?: boolean;
        slots?: number;
        memory?: number;
        share?: string;
        fail?: boolean;
        throws?: boolean;
      }
    >,
    /** Ends every job as soon as it starts (else the test ends them). */
    readonly auto = true,
  ) {}

  hooks(): SchedulerHooks<Outcome> {
    return {
      resolve: (id): Promise<Resolution<Outcome>> => {
        this.resolves.set(id, (this.resolves.get(id) ?? 0) + 1);
        const p = this.plan[id] ?? {};
        if (p.throws) return Promise.reject(new Error(`cannot resolve ${id}`));
        // A task sharing a key with one that finished is found done (its record now exists).
        if (p.done || (p.share && this.events.includes(`ok ${p.share}`))) {
          return Promise.resolve({ kind: "done" });
        }
        return Promise.resolve({
          kind: "run",
          slots: p.slots ?? 1,
          memory: p.memory,
          share: p.share,
          prepare: () =>
            Promise.resolve(() => {
              const job = new FakeJob(id);
              this.jobs.set(id, job);
              this.running.add(id);
              this.maxRunning = Math.max(this.maxRunning, this.running.size);
              this.events.push(`start ${id}`);
              if (this.auto) queueMicrotask(() => job.end(!p.fail));
              return job;
            }),
        });
      },
      finished: (id, o) => {
        this.running.delete(id);
        this.events.push(`${o.ok ? "ok" : "failed"} ${id}`);
        if (o.ok && this.plan[id]?.share) this.events.push(`ok ${this.plan[id].share}`);
      },
      errored: (id, e) => {
        this.events.push(`error ${id}: ${e.message}`);
      },
    };
  }
}

const never = new AbortController().signal;

function chain(...ids: string[]): Task[] {
  return ids.map((id, i) => ({ id, deps: i ? [ids[i - 1]] : [] }));
}

Deno.test("scheduler: a task starts only after its dependencies ended", async () => {
  const w = new World({});
  const s = await runScheduler(
    { tasks: chain("a", "b", "c"), slots: 4, keepGoing: false, signal: never },
    w.hooks(),
  );
  assertEquals(w.events, ["start a", "ok a", "start b", "ok b", "start c", "ok c"]);
  assertEquals(s.ran, ["a", "b", "c"]);
  assertEquals(s.done, []);
  assertEquals(s.failed, []);
});

Deno.test("scheduler: tasks resolved as done chain through in one pass and run nothing", async () => {
  const w = new World({ a: { done: true }, b: { done: true }, c: {} });
  const s = await runScheduler(
    { tasks: chain("a", "b", "c"), slots: 1, keepGoing: false, signal: never },
    w.hooks(),
  );
  assertEquals(s.done, ["a", "b"]);
  assertEquals(s.ran, ["c"]);
  assertEquals(w.events, ["start c", "ok c"]);
});

Deno.test("scheduler: never more slots in use than given; a big task is clamped to all slots", async () => {
  const tasks: Task[] = ["a", "b", "c", "d"].map((id) => ({ id, deps: [] }));
  const w = new World({ d: { slots: 99 } }, false);
  const run = runScheduler({ tasks, slots: 2, keepGoing: false, signal: never }, w.hooks());
  // Let the scheduler launch what fits.
  await new Promise((r) => setTimeout(r, 10));
  assertEquals([...w.running].sort(), ["a", "b"]);
  w.jobs.get("a")!.end();
  await new Promise((r) => setTimeout(r, 10));
  assertEquals([...w.running].sort(), ["b", "c"]);
  w.jobs.get("b")!.end();
  w.jobs.get("c")!.end();
  await new Promise((r) => setTimeout(r, 10));
  // d wants 99 slots: it runs alone, on all of them.
  assertEquals([...w.running], ["d"]);
  w.jobs.get("d")!.end();
  const s = await run;
  assertEquals(s.ran.sort(), ["a", "b", "c", "d"]);
  assertEquals(w.maxRunning, 2);
});

Deno.test("scheduler: tasks sharing a key never run at once; the second is resolved again", async () => {
  const tasks: Task[] = [{ id: "x1", deps: [] }, { id: "x2", deps: [] }];
  const w = new World({ x1: { share: "K" }, x2: { share: "K" } });
  const s = await runScheduler({ tasks, slots: 4, keepGoing: false, signal: never }, w.hooks());
  assertEquals(w.events.filter((e) => e.startsWith("start")), ["start x1"]);
  assertEquals(s.ran, ["x1"]);
  assertEquals(s.done, ["x2"]);
  assert((w.resolves.get("x2") ?? 0) >= 2, "x2 is resolved again once x1 has ended");
});

Deno.test("scheduler: after a failure nothing new starts; dependents are not run", async () => {
  // a fails; b depends on a; c is independent but comes later.
  const tasks: Task[] = [{ id: "a", deps: [] }, { id: "b", deps: ["a"] }, { id: "c", deps: [] }];
  const w = new World({ a: { fail: true } });
  const s = await runScheduler({ tasks, slots: 1, keepGoing: false, signal: never }, w.hooks());
  assertEquals(s.failed, ["a"]);
  assertEquals(s.ran, []);
  assertEquals(s.notRun.sort(), ["b", "c"]);
});

Deno.test("scheduler: with keepGoing independent tasks still run; dependents of a failure do not", async () => {
  const tasks: Task[] = [
    { id: "a", deps: [] },
    { id: "b", deps: ["a"] },
    { id: "b2", deps: ["b"] },
    { id: "c", deps: [] },
  ];
  const w = new World({ a: { fail: true } });
  const s = await runScheduler({ tasks, slots: 1, keepGoing: true, signal: never }, w.hooks());
  assertEquals(s.failed, ["a"]);
  assertEquals(s.ran, ["c"]);
  assertEquals(s.notRun.sort(), ["b", "b2"]);
  assert(!w.events.includes("start b"));
});

Deno.test("scheduler: a resolve that throws fails that task and is reported", async () => {
  const tasks: Task[] = [{ id: "a", deps: [] }, { id: "b", deps: ["a"] }];
  const w = new World({ a: { throws: true } });
  const s = await runScheduler({ tasks, slots: 1, keepGoing: false, signal: never }, w.hooks());
  assertEquals(s.failed, ["a"]);
  assertEquals(s.notRun, ["b"]);
  assertEquals(w.events, ["error a: cannot resolve a"]);
});

Deno.test("scheduler: an abort cancels running jobs and starts nothing more", async () => {
  const tasks: Task[] = [{ id: "a", deps: [] }, { id: "b", deps: [] }, { id: "c", deps: ["a"] }];
  const w = new World({}, false);
  const ac = new AbortController();
  const run = runScheduler({ tasks, slots: 2, keepGoing: false, signal: ac.signal }, w.hooks());
  await new Promise((r) => setTimeout(r, 10));
  assertEquals([...w.running].sort(), ["a", "b"]);
  ac.abort();
  const s = await run;
  assert(s.interrupted);
  assert(w.jobs.get("a")!.cancelled && w.jobs.get("b")!.cancelled);
  assertEquals(s.failed.sort(), ["a", "b"]);
  assertEquals(s.notRun, ["c"]);
});

Deno.test("scheduler: an already aborted signal runs nothing", async () => {
  const ac = new AbortController();
  ac.abort();
  const w = new World({});
  const s = await runScheduler(
    { tasks: chain("a", "b"), slots: 1, keepGoing: false, signal: ac.signal },
    w.hooks(),
  );
  assert(s.interrupted);
  assertEquals(w.events, []);
  assertEquals(s.notRun, ["a", "b"]);
});

Deno.test("scheduler: instances wait for memory as they wait for slots; a huge one runs alone", async () => {
  const tasks: Task[] = ["a", "b", "c", "d", "e"].map((id) => ({ id, deps: [] }));
  // 4 slots but 8 units of memory: a (5) and b (4) cannot run together; c, d take none.
  const w = new World({ a: { memory: 5 }, b: { memory: 4 }, e: { memory: 99 } }, false);
  const run = runScheduler(
    { tasks, slots: 4, memory: 8, keepGoing: false, signal: never },
    w.hooks(),
  );
  await new Promise((r) => setTimeout(r, 10));
  // b waits for memory while the free slots go to c and d (no memory declared).
  assertEquals([...w.running].sort(), ["a", "c", "d"]);
  w.jobs.get("a")!.end();
  await new Promise((r) => setTimeout(r, 10));
  assertEquals([...w.running].sort(), ["b", "c", "d"]);
  w.jobs.get("b")!.end();
  await new Promise((r) => setTimeout(r, 10));
  // e asks for more than the whole budget: it is clamped to it and runs when all of it is free.
  assertEquals([...w.running].sort(), ["c", "d", "e"]);
  w.jobs.get("c")!.end();
  w.jobs.get("d")!.end();
  w.jobs.get("e")!.end();
  const s = await run;
  assertEquals(s.ran.sort(), ["a", "b", "c", "d", "e"]);
});

Deno.test("scheduler: without a memory budget, declared memory does not hold anything back", async () => {
  const tasks: Task[] = ["a", "b"].map((id) => ({ id, deps: [] }));
  const w = new World({ a: { memory: 1e9 }, b: { memory: 1e9 } }, false);
  const run = runScheduler({ tasks, slots: 2, keepGoing: false, signal: never }, w.hooks());
  await new Promise((r) => setTimeout(r, 10));
  assertEquals([...w.running].sort(), ["a", "b"]);
  w.jobs.get("a")!.end();
  w.jobs.get("b")!.end();
  await run;
});
