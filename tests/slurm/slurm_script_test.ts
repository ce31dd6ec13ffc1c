/**
 * Unit: the batch script and sbatch flags of one instance (no Slurm needed):
 * resources become flags, the script runs exactly the step command, and a
 * node that cannot see the store, the project or deno fails with a clear
 * message (the script is run here with bash, as a node would).
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import type { ExecRequest } from "../../lib/pipeline/exec/executor.ts";
import {
  jobComment,
  planJob,
  SCRIPT_CHECK_EXIT,
  SCRIPT_ERROR_PREFIX,
  shellQuote,
  slurmTime,
} from "../../lib/pipeline/exec/slurm_script.ts";

function request(attempt: string, over: Partial<ExecRequest> = {}): ExecRequest {
  return {
    id: "train[P=4,d=50,seed=1001]",
    command: [
      "/usr/bin/deno",
      "run",
      "--allow-read=/a,/b",
      "/p/steps/train.ts",
      `${attempt}/context.json`,
    ],
    env: { NO_COLOR: "1" },
    cwd: "/p",
    logPath: "/p/artifacts/logs/default/x.log",
    resources: { cores: 2, memory: "1.5G", memoryMb: 1536, time: "2h", timeSeconds: 7200 },
    ...over,
  };
}

Deno.test("slurm time limits are D-HH:MM:SS, rounded up", () => {
  equal(slurmTime(90), "0-00:01:30");
  equal(slurmTime(86400 + 2 * 3600 + 61), "1-02:01:01");
  equal(slurmTime(0.2), "0-00:00:01");
  equal(slurmTime(59.5), "0-00:01:00");
});

Deno.test("shell quoting", () => {
  equal(shellQuote("/usr/bin/deno"), "/usr/bin/deno");
  equal(shellQuote("--allow-read=/a,/b"), "--allow-read=/a,/b");
  equal(shellQuote("a b"), "'a b'");
  equal(shellQuote("it's"), `'it'\\''s'`);
  equal(shellQuote("x[P=4]"), "'x[P=4]'");
});

Deno.test("resources, settings and extra flags become sbatch flags (extra flags last, so they win)", () => {
  const plan = planJob(request("/s/tmp/train.1"), {
    storeRoot: "/s",
    partition: "gpu",
    account: "proj1",
    timeSeconds: 600,
    extra: ["--qos=long", "--mem=8G"],
  });
  deepStrictEqual(plan.args, [
    "--parsable",
    "--job-name=train[P=4,d=50,seed=1001]",
    `--comment=${jobComment("/s")}`,
    "--output=/s/tmp/train.1/slurm.out",
    "--error=/s/tmp/train.1/slurm.err",
    "--chdir=/p",
    "--nodes=1",
    "--ntasks=1",
    "--cpus-per-task=2",
    "--mem=1536M",
    "--time=0-02:00:00", // the step's own limit beats the default
    "--partition=gpu",
    "--account=proj1",
    "--no-requeue",
    "--export=ALL",
    "--qos=long",
    "--mem=8G",
  ]);
  equal(plan.scriptFile, "/s/tmp/train.1/slurm-job.sh");
  match(
    plan.script,
    /^exec "\$deno" run --allow-read=\/a,\/b \/p\/steps\/train\.ts \/s\/tmp\/train\.1\/context\.json$/m,
  );
  match(plan.script, /^deno=\/usr\/bin\/deno$/m);
  match(plan.script, /^export NO_COLOR=1$/m);
});

Deno.test("defaults: no memory or time flag unless declared; the default time limit; deno on the nodes", () => {
  const req = request("/s/tmp/x.1", { resources: { cores: 1 } });
  const plain = planJob(req, { storeRoot: "/s", extra: [] });
  ok(!plain.args.some((a) => a.startsWith("--mem") || a.startsWith("--time")));
  const withDefault = planJob(req, {
    storeRoot: "/s",
    extra: [],
    timeSeconds: 1800,
    deno: "/opt/deno/bin/deno",
  });
  ok(withDefault.args.includes("--time=0-00:30:00"));
  match(withDefault.script, /^deno=\/opt\/deno\/bin\/deno$/m);
});

Deno.test("a % in a path is escaped for sbatch's file name patterns; white space leaves job names", () => {
  const plan = planJob(request("/s/tmp/a%20b.1", { id: "x[name=a b]" }), {
    storeRoot: "/s",
    extra: [],
  });
  ok(plan.args.includes("--output=/s/tmp/a%%20b.1/slurm.out"), plan.args.join(" "));
  ok(plan.args.includes("--job-name=x[name=a_b]"));
});

/** Runs a planned script with bash, as a node would. */
async function runScript(script: string, env: Record<string, string> = {}) {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "job.sh");
    await Deno.writeTextFile(file, script);
    const out = await new Deno.Command("bash", {
      args: [file],
      env: { PIPELINE_SLURM_CONTEXT_WAIT: "1", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the batch script runs exactly the step command in the pipeline directory", async () => {
  const attempt = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(attempt, "context.json"), "{}");
    const req = request(attempt, {
      command: ["/bin/sh", "-c", 'echo "$NO_COLOR $(pwd) $0"', `${attempt}/context.json`],
      cwd: attempt,
    });
    const r = await runScript(planJob(req, { storeRoot: "/s", extra: [] }).script);
    equal(r.code, 0, r.stderr);
    equal(r.stdout, `1 ${attempt} ${attempt}/context.json\n`);
  } finally {
    await Deno.remove(attempt, { recursive: true });
  }
});

Deno.test("a node that cannot see the store, the project or deno fails clearly", async () => {
  const attempt = await Deno.makeTempDir();
  try {
    // The context file is not there: the store is not shared with this node.
    const missing = planJob(request("/nonexistent/store/tmp/x.1", { cwd: attempt }), {
      storeRoot: "/s",
      extra: [],
    });
    const r1 = await runScript(missing.script);
    equal(r1.code, SCRIPT_CHECK_EXIT);
    equal(
      r1.stderr.trim(),
      `${SCRIPT_ERROR_PREFIX}the context file /nonexistent/store/tmp/x.1/context.json is not visible on node ${Deno.hostname()}: ` +
        "the store must be on a file system shared by the submit host and every compute node " +
        "(--store DIR or PIPELINE_STORE=DIR; see docs/slurm.md)",
    );

    await Deno.writeTextFile(join(attempt, "context.json"), "{}");
    const noProject = planJob(request(attempt, { cwd: "/nonexistent/project" }), {
      storeRoot: "/s",
      extra: [],
    });
    const r2 = await runScript(noProject.script);
    equal(r2.code, SCRIPT_CHECK_EXIT);
    match(
      r2.stderr,
      /pipeline-slurm: the pipeline directory \/nonexistent\/project is not accessible on node .*: the project must be on a shared file system too/,
    );

    const noDeno = planJob(request(attempt, { cwd: attempt }), {
      storeRoot: "/s",
      extra: [],
      deno: "/nonexistent/bin/deno",
    });
    const r3 = await runScript(noDeno.script);
    equal(r3.code, SCRIPT_CHECK_EXIT);
    match(
      r3.stderr,
      /pipeline-slurm: no deno at \/nonexistent\/bin\/deno on node .* \(set --slurm-deno PATH or executor\.deno in pipeline\.yaml\)/,
    );
  } finally {
    await Deno.remove(attempt, { recursive: true });
  }
});
