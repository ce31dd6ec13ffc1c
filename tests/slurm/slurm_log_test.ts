/**
 * Unit: following a job's two output files into one log (no Slurm needed),
 * and the executor against stand-in Slurm tools: a missing sbatch, an
 * sbatch that refuses the job, a job that ran where the store is not seen.
 */
import { deepStrictEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import { JobLog } from "../../lib/pipeline/exec/slurm_log.ts";
import { SlurmClient } from "../../lib/pipeline/exec/slurm_client.ts";
import { SlurmExecutor } from "../../lib/pipeline/exec/slurm_executor.ts";

Deno.test("job output: new complete lines as they come, the rest at the end, script errors noticed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "slurm.out");
    const err = join(dir, "slurm.err");
    const lines: string[] = [];
    const log = new JobLog(
      join(dir, "logs/x.log"),
      { stdout: out, stderr: err },
      (s, l) => lines.push(`${s}:${l}`),
    );
    await log.open();
    log.note("slurm: job 1 submitted");
    await log.pump(); // nothing yet (a pending job has no files)
    equal(log.anyOutputSeen, false);
    await Deno.writeTextFile(out, "one\ntw");
    await log.pump();
    deepStrictEqual(lines, ["stdout:one"]);
    // A multi-byte character split across two writes.
    const bytes = new TextEncoder().encode("o\n\u00e9t\u00e9\n");
    await Deno.writeFile(out, bytes.subarray(0, 4), { append: true });
    await Deno.writeTextFile(
      err,
      "pipeline-slurm: the context file is not visible\n::progress:: 0.5 half\n",
    );
    await log.pump();
    await Deno.writeFile(out, bytes.subarray(4), { append: true });
    await Deno.writeTextFile(out, "last without newline", { append: true });
    await log.finish();
    log.note("slurm: job 1 COMPLETED");
    log.close();
    deepStrictEqual(lines, [
      "stdout:one",
      "stdout:two",
      "stderr:pipeline-slurm: the context file is not visible",
      "stderr:::progress:: 0.5 half",
      "stdout:\u00e9t\u00e9",
      "stdout:last without newline",
    ]);
    equal(log.scriptError, "the context file is not visible");
    equal(log.anyOutputSeen, true);
    equal(
      await Deno.readTextFile(join(dir, "logs/x.log")),
      [
        "slurm: job 1 submitted",
        ...lines.map((l) => l.slice(l.indexOf(":") + 1)),
        "slurm: job 1 COMPLETED",
        "",
      ].join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A directory of stand-in Slurm tools (shell scripts). */
async function fakeTools(tools: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [name, body] of Object.entries(tools)) {
    await Deno.writeTextFile(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return dir;
}

async function runOnce(
  bin: string,
  more: { resources?: { cores: number }; estimateSeconds?: number } = {},
): Promise<{ code: number | null; error?: string; log: string; notes: string[] }> {
  const dir = await Deno.makeTempDir();
  try {
    const attempt = join(dir, "tmp/x.1");
    await Deno.mkdir(attempt, { recursive: true });
    const notes: string[] = [];
    const ex = new SlurmExecutor({
      storeRoot: dir,
      extra: [],
      pollSeconds: 0.1,
      client: new SlurmClient(bin),
      note: (m) => notes.push(m),
    });
    const h = ex.start({
      id: "x",
      command: ["/bin/true", join(attempt, "context.json")],
      env: {},
      cwd: dir,
      logPath: join(dir, "logs/x.log"),
      resources: { cores: 1 },
      ...more,
    });
    const r = await h.result;
    ex.close();
    const log = await Deno.readTextFile(join(dir, "logs/x.log")).catch(() => "");
    return { code: r.code, error: r.error, log, notes };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("no usable sbatch: every step fails with what to check", async () => {
  const bin = await fakeTools({});
  try {
    const r = await runOnce(bin);
    equal(r.code, null);
    match(
      r.error!,
      /^cannot run sbatch \(cannot run sbatch: .*\): is Slurm's client installed and on PATH/,
    );
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("a job sbatch refuses fails with sbatch's message, in the result and the log", async () => {
  const bin = await fakeTools({
    sbatch: `[ "$1" = --version ] && { echo "slurm 22.05.8"; exit 0; }
echo "sbatch: error: Batch job submission failed: Requested node configuration is not available" >&2; exit 1`,
    squeue: "exit 0",
  });
  try {
    const r = await runOnce(bin);
    equal(
      r.error,
      "sbatch failed: sbatch: error: Batch job submission failed: Requested node configuration is not available",
    );
    match(r.log, /^slurm: sbatch failed: .*Requested node configuration is not available$/m);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("a job that ran on a node which does not see the store: a note first, then a clear failure", async () => {
  const bin = await fakeTools({
    sbatch: `[ "$1" = --version ] && { echo "slurm 22.05.8"; exit 0; }
echo 42`,
    squeue: `case "$*" in *--me*) exit 0 ;; esac
echo "42|COMPLETED|None|node7"`,
    scontrol:
      `echo "JobId=42 JobName=x JobState=COMPLETED Reason=None ExitCode=0:0 NodeList=node7"`,
    sinfo: `printf 'node7\\nnode8\\n'`,
  });
  try {
    const r = await runOnce(bin);
    const local = /^(ext2\/ext3|ext4|xfs|btrfs|tmpfs|overlay)/.test(
      new TextDecoder().decode(
        (await new Deno.Command("stat", { args: ["-f", "-c", "%T", Deno.cwd()] }).output()).stdout,
      ),
    );
    if (local) {
      match(
        r.notes.join("\n"),
        /the store .* is on a local file system .* but jobs may run on other nodes \(node7, node8\)/,
      );
    }
    match(
      r.error!,
      /^Slurm job 42 ended \(COMPLETED\) but its output files never appeared in .*\/tmp\/x\.1: the store must be on a file system shared by the submit host and every compute node/,
    );
    match(r.log, /^slurm: job 42 COMPLETED on node7, exit code 0:0$/m);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("a job with no time limit and a cost estimate: the log suggests resources.time", async () => {
  const bin = await fakeTools({
    sbatch: `[ "$1" = --version ] && { echo "slurm 22.05.8"; exit 0; }
echo 43`,
    squeue: `case "$*" in *--me*) exit 0 ;; esac
echo "43|COMPLETED|None|node7"`,
    scontrol:
      `echo "JobId=43 JobName=x JobState=COMPLETED Reason=None ExitCode=0:0 NodeList=node7"`,
    sinfo: `printf 'node7\\n'`,
  });
  try {
    const r = await runOnce(bin, { resources: { cores: 2 }, estimateSeconds: 1200 });
    // 1200 CPU s on 2 cores = 600 s; twice that, in whole 5 minutes: 20 minutes.
    match(
      r.log,
      /^slurm: note: no time limit declared for x; its cost model estimates 1200 CPU s \(600 s on 2 cores\): consider resources.time: 0-00:20:00$/m,
    );
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});
