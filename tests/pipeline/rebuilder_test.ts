/**
 * The rebuilder and the build through a fake executor: no step process is
 * spawned and no code graph is computed (the code of every step is fixed),
 * so these tests see the up-to-date decision alone.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { dirname, join } from "node:path";
import { build, type BuildObserver, computeStatus, Project } from "../../lib/pipeline/build/mod.ts";
import type { ExecHandle, ExecRequest, Executor } from "../../lib/pipeline/exec/mod.ts";
import type { CodeInfo } from "../../lib/pipeline/keys/mod.ts";
import { type Instance, loadPipeline } from "../../lib/pipeline/spec/mod.ts";
import { Store } from "../../lib/pipeline/store/mod.ts";
import type { ContextFile } from "../../lib/step/context.ts";
import { makeProject, removeProject, snapshotFiles } from "./helpers.ts";

/** A project whose steps' code is a fixed hash per step (no `deno info`). */
class FixedCodeProject extends Project {
  codeVersion: Record<string, string> = {};
  override codeOf(inst: Instance): Promise<CodeInfo> {
    const v = this.codeVersion[inst.step.name] ?? "v1";
    return Promise.resolve({
      files: { [inst.step.module]: `${inst.step.name}-${v}` },
      npm: [],
      readPaths: [],
      absolute: {},
    });
  }
}

/**
 * Runs nothing: reads the context file and writes every declared output as a
 * function of the instance's params and inputs (so equal inputs give equal bytes).
 */
class FakeExecutor implements Executor {
  readonly name = "fake";
  started: string[] = [];
  constructor(readonly project: Project, readonly failing = new Set<string>()) {}
  start(req: ExecRequest): ExecHandle {
    this.started.push(req.id);
    const result = (async () => {
      const ctx = JSON.parse(await Deno.readTextFile(req.command.at(-1)!)) as ContextFile;
      await Deno.mkdir(dirname(req.logPath), { recursive: true });
      await Deno.writeTextFile(req.logPath, `fake run of ${req.id}\n`);
      if (this.failing.has(req.id)) return { code: 1, signal: null };
      const step = this.project.pipeline.spec.steps.find((s) => s.name === ctx.step)!;
      const inputs: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(ctx.inputs)) {
        inputs[name] = typeof v === "string"
          ? await readAny(v)
          : await Promise.all(v.map((g) => readAny(g.path)));
      }
      const body = JSON.stringify({ step: ctx.step, params: ctx.params, inputs });
      for (const o of step.outputs) {
        const path = ctx.outputs[o.name];
        if (o.kind === "dir") {
          await Deno.mkdir(path, { recursive: true });
          await Deno.writeTextFile(join(path, "part.txt"), body);
        } else await Deno.writeTextFile(path, body);
      }
      return { code: 0, signal: null };
    })();
    return { result, cancel: () => {} };
  }
}

async function readAny(path: string): Promise<string> {
  const st = await Deno.stat(path);
  if (!st.isDirectory) return await Deno.readTextFile(path);
  const names: string[] = [];
  for await (const e of Deno.readDir(path)) names.push(e.name);
  names.sort();
  return (await Promise.all(names.map((n) => Deno.readTextFile(join(path, n))))).join("|");
}

const quiet: BuildObserver = {
  print: () => {},
  started: () => {},
  progress: () => {},
  stepLine: () => {},
  finished: () => {},
};

async function withProject(
  fn: (p: FixedCodeProject, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await makeProject("mini");
  try {
    const pipeline = await loadPipeline(join(dir, "pipeline.yaml"));
    await fn(new FixedCodeProject(pipeline, new Store(join(dir, "artifacts"))), dir);
  } finally {
    await removeProject(dir);
  }
}

async function run(
  p: Project,
  profile = "default",
  opts: { forced?: string[]; failing?: string[]; keepGoing?: boolean } = {},
) {
  const ex = new FakeExecutor(p, new Set(opts.failing));
  const summary = await build(p, ex, quiet, {
    profile,
    instances: p.expansion(profile).instances,
    forced: new Set(opts.forced),
    jobs: 2,
    keepGoing: opts.keepGoing ?? false,
    signal: new AbortController().signal,
  });
  return { summary, started: ex.started.sort() };
}

Deno.test("rebuilder: a first build runs everything; a second runs nothing and status agrees", async () => {
  await withProject(async (p) => {
    const ids = p.expansion("default").instances.map((i) => i.id).sort();
    const first = await run(p);
    deepStrictEqual(first.started, ids);
    deepStrictEqual(first.summary.ran.sort(), ids);
    const second = await run(p);
    deepStrictEqual(second.started, []);
    deepStrictEqual(second.summary.cached.sort(), ids);
    const st = await computeStatus(p, "default", p.expansion("default").instances);
    ok(st.every((s) => s.upToDate), st.filter((s) => !s.upToDate).map((s) => s.inst.id).join());
  });
});

Deno.test("rebuilder: changed code reruns that step; equal outputs stop the rerun there", async () => {
  await withProject(async (p) => {
    await run(p);
    p.codeVersion.gen = "v2";
    const st = await computeStatus(p, "default", p.expansion("default").instances);
    const stale = st.filter((s) => !s.upToDate).map((s) => s.inst.id);
    ok(stale.includes("gen"));
    const gen = st.find((s) => s.inst.id === "gen")!;
    ok(gen.reasons.some((r) => r.includes("steps/gen.ts")), gen.reasons.join("; "));
    // Everything below gen waits for it (its key depends on gen's output).
    const sq = st.find((s) => s.inst.id.startsWith("square"))!;
    ok(sq.reasons.some((r) => r.startsWith("upstream will rerun (gen)")), sq.reasons.join("; "));
    equal(sq.key, undefined);
    // The fake gen writes the same bytes under new code: only gen reruns (early cutoff).
    const again = await run(p);
    deepStrictEqual(again.started, ["gen"]);
  });
});

Deno.test("rebuilder: a forced instance runs; its unchanged output leaves downstream cached", async () => {
  await withProject(async (p) => {
    await run(p);
    const st = await computeStatus(
      p,
      "default",
      p.expansion("default").instances,
      new Set(["gen"]),
    );
    const gen = st.find((s) => s.inst.id === "gen")!;
    ok(!gen.upToDate && gen.reasons.includes("forced"));
    const r = await run(p, "default", { forced: ["gen"] });
    deepStrictEqual(r.started, ["gen"]);
    equal(r.summary.cached.length, p.expansion("default").instances.length - 1);
  });
});

Deno.test("rebuilder: inspecting changes nothing in the store, even with damage found", async () => {
  await withProject(async (p) => {
    const { summary } = await run(p);
    const genOut = summary.records.get("gen")!.outputs.numbers;
    const blob = p.store.blobPath(genOut.hash);
    await Deno.chmod(blob, 0o644).catch(() => {});
    await Deno.writeTextFile(blob, "x"); // wrong size
    const before = await snapshotFiles(p.store.root);
    const st = await computeStatus(p, "default", p.expansion("default").instances);
    deepStrictEqual(await snapshotFiles(p.store.root), before);
    const gen = st.find((s) => s.inst.id === "gen")!;
    ok(!gen.upToDate);
    ok(gen.reasons.some((r) => r.startsWith("stored outputs damaged")), gen.reasons.join("; "));
  });
});

Deno.test("rebuilder: using a damaged record quarantines the blob and reruns its producer", async () => {
  await withProject(async (p) => {
    const { summary } = await run(p);
    const genOut = summary.records.get("gen")!.outputs.numbers;
    const blob = p.store.blobPath(genOut.hash);
    await Deno.chmod(blob, 0o644).catch(() => {});
    await Deno.writeTextFile(blob, "x"); // truncated: the size no longer matches the record
    // Inspecting saw the damage without repairing it; using the record repairs it.
    const notes: string[] = [];
    const ex = new FakeExecutor(p);
    const r = await build(p, ex, { ...quiet, print: (t) => notes.push(t) }, {
      profile: "default",
      instances: p.expansion("default").instances,
      forced: new Set(),
      jobs: 1,
      keepGoing: false,
      signal: new AbortController().signal,
    });
    equal(r.failed.length, 0);
    ok(ex.started.includes("gen"), ex.started.join());
    ok(notes.some((n) => n.includes("corrupt blob")), notes.join("\n"));
  });
});

Deno.test("rebuilder: a failed instance is not recorded; its dependents do not run", async () => {
  await withProject(async (p) => {
    const r = await run(p, "default", { failing: ["gen"] });
    deepStrictEqual(r.summary.failed, ["gen"]);
    ok(r.summary.notRun.length > 0);
    // Only gen and the independent count may have started (both are ready at once).
    deepStrictEqual(r.started.filter((id) => id !== "count"), ["gen"]);
    const st = await computeStatus(p, "default", p.expansion("default").instances);
    ok(st.find((s) => s.inst.id === "gen")!.reasons.includes("never run"));
    // With keepGoing the independent step runs, the dependents of gen still do not.
    const k = await run(p, "default", { failing: ["gen"], keepGoing: true });
    ok(k.summary.ran.includes("count") || k.summary.cached.includes("count"));
    deepStrictEqual(k.started.filter((id) => id !== "count"), ["gen"]);
    deepStrictEqual(k.summary.failed, ["gen"]);
  });
});
