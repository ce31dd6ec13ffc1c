/**
 * Unit: the `executor:` section of pipeline.yaml (validated with positions)
 * and the command-line flags over it (no Slurm needed).
 */
import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { PipelineError, UsageError } from "../../lib/pipeline/spec/diagnostics.ts";
import { loadPipelineText } from "../../lib/pipeline/spec/load.ts";
import { parseCommand } from "../../lib/pipeline/cli/cli_args.ts";
import {
  chooseExecutor,
  DEFAULT_POLL_SECONDS,
  DEFAULT_SLURM_JOBS,
  defaultJobs,
  joinDashValues,
} from "../../lib/pipeline/exec/executor_choice.ts";
import type { ExecutorSpec } from "../../lib/pipeline/spec/executor_section.ts";

const probe = { isFile: (p: string) => p === "steps/a.ts", glob: () => [] };

function withExecutor(section: string): string {
  return `version: 1
steps:
  a:
    module: steps/a.ts
    outputs: { x: x.json }
    resources: { cores: 2, memory: 4G, time: 2h }
${section}`;
}

function spec(section: string): ExecutorSpec | undefined {
  return loadPipelineText(withExecutor(section), "/p/pipeline.yaml", probe).spec.executor;
}

function errors(section: string): string[] {
  try {
    loadPipelineText(withExecutor(section), "/p/pipeline.yaml", probe);
  } catch (e) {
    if (e instanceof PipelineError) {
      return e.message.split("\n").map((l) => l.replace(/^\/p\//, ""));
    }
    throw e;
  }
  throw new Error("expected the pipeline to be invalid");
}

Deno.test("executor section: absent means local; a full Slurm section is read", () => {
  equal(spec(""), undefined);
  const s = spec(`executor:
  name: slurm
  partition: compute
  account: proj-42
  time: 1h30m
  extra: [--qos=long, "--constraint=avx2"]
  deno: /shared/bin/deno
  poll: 10s
`)!;
  deepStrictEqual({ ...s, pos: undefined }, {
    name: "slurm",
    pos: undefined,
    partition: "compute",
    account: "proj-42",
    time: "1h30m",
    timeSeconds: 5400,
    extra: ["--qos=long", "--constraint=avx2"],
    deno: "/shared/bin/deno",
    pollSeconds: 10,
  });
  equal(spec("executor: { name: local }\n")!.name, "local");
});

Deno.test("executor section: every problem at its line and column", () => {
  deepStrictEqual(
    errors(`executor:
  name: slrum
  partiton: x
  time: soon
  extra: [qos=x, --output=/tmp/x, --array=1-3]
  deno: bin/deno
  poll: -1
`),
    [
      "pipeline.yaml:8:9: unknown executor 'slrum' (valid executors: local, slurm)",
      "pipeline.yaml:9:3: unknown key 'partiton' in 'executor' (did you mean 'partition'?)",
      'pipeline.yaml:10:9: bad executor.time: "soon" (the default time limit of steps without resources.time: e.g. 30m, 2h, 1d, HH:MM:SS; a bare number is minutes)',
      "pipeline.yaml:11:11: executor.extra: 'qos=x' is not an sbatch flag (write e.g. --qos=normal, one flag with its value per entry)",
      "pipeline.yaml:11:18: executor.extra: sbatch flag '--output' cannot be set: the executor sets the job's output file",
      "pipeline.yaml:11:35: executor.extra: sbatch flag '--array' cannot be set: the executor makes job arrays itself (executor.array)",
      "pipeline.yaml:12:9: executor.deno 'bin/deno' must be an absolute path (or a bare name looked up on the nodes' PATH)",
      "pipeline.yaml:13:9: bad executor.poll: -1 (seconds between looks at the queue, e.g. 5 or 5s or 1m)",
    ].sort((a, b) => Number(a.split(":")[1]) - Number(b.split(":")[1])),
  );
  deepStrictEqual(errors("executor: { partition: x }\n"), [
    "pipeline.yaml:7:11: missing required key 'name' in 'executor'",
  ]);
  deepStrictEqual(errors("executor: slurm\n"), [
    "pipeline.yaml:7:11: 'executor' must be a mapping, got string \"slurm\"",
  ]);
});

Deno.test("command line over pipeline.yaml over defaults", () => {
  const local = chooseExecutor({}, undefined);
  equal(local.name, "local");
  equal(defaultJobs(local), navigator.hardwareConcurrency || 1);

  const file = spec(
    `executor: { name: slurm, partition: p1, account: a1, time: 2h, extra: [--qos=x], poll: 7 }\n`,
  );
  const fromFile = chooseExecutor({}, file);
  deepStrictEqual(fromFile, {
    name: "slurm",
    slurm: {
      partition: "p1",
      account: "a1",
      timeSeconds: 7200,
      extra: ["--qos=x"],
      deno: undefined,
      pollSeconds: 7,
    },
  });
  equal(defaultJobs(fromFile), DEFAULT_SLURM_JOBS);

  const a = parseCommand([
    "reproduce",
    "--slurm-partition",
    "p2",
    "--slurm-time",
    "30m",
    "--slurm-flag",
    "--qos=y",
    "--slurm-flag",
    "--mail-type=END",
    "--slurm-poll",
    "0.5",
    "--slurm-deno",
    "/opt/deno",
  ]);
  const both = chooseExecutor(a.values, file);
  deepStrictEqual(both.slurm, {
    partition: "p2",
    account: "a1",
    timeSeconds: 1800,
    extra: ["--qos=x", "--qos=y", "--mail-type=END"],
    deno: "/opt/deno",
    pollSeconds: 0.5,
  });
  // Job arrays: off unless asked for; `true` is the default size.
  deepStrictEqual(
    chooseExecutor({}, spec(`executor: { name: slurm, array: { max: 5, throttle: 2 } }\n`)).slurm
      .array,
    { max: 5, throttle: 2 },
  );
  deepStrictEqual(
    chooseExecutor({}, spec(`executor: { name: slurm, array: true }\n`)).slurm.array,
    { max: 1000 },
  );
  // --executor local wins over the file, and then Slurm flags make no sense.
  equal(
    chooseExecutor(parseCommand(["reproduce", "--executor", "local"]).values, file).name,
    "local",
  );
  equal(
    chooseExecutor(parseCommand(["reproduce", "--executor", "slurm"]).values, undefined).slurm
      .pollSeconds,
    DEFAULT_POLL_SECONDS,
  );
});

Deno.test("bad flags are usage errors that say what to do", () => {
  const bad = (args: string[], re: RegExp, file?: ExecutorSpec) =>
    throws(
      () => chooseExecutor(parseCommand(["reproduce", ...args]).values, file),
      (e: unknown) => {
        ok(e instanceof UsageError, String(e));
        match((e as Error).message, re);
        return true;
      },
    );
  bad(["--executor", "pbs"], /--executor must be one of local, slurm, got 'pbs'/);
  bad(
    ["--slurm-partition", "p"],
    /--slurm-partition applies to the Slurm executor: add --executor slurm/,
  );
  bad(["--executor", "slurm", "--slurm-time", "soon"], /--slurm-time: bad duration 'soon'/);
  bad(
    ["--executor", "slurm", "--slurm-flag", "--wrap=x"],
    /--slurm-flag: sbatch flag '--wrap' cannot be set/,
  );
  bad(["--executor", "slurm", "--slurm-poll", "0"], /--slurm-poll: bad interval '0'/);
  bad(["--executor", "slurm", "--slurm-deno", "rel/deno"], /--slurm-deno must be an absolute path/);
});

Deno.test("--slurm-flag takes a value that starts with a dash", () => {
  deepStrictEqual(joinDashValues(["--slurm-flag", "--qos=x", "--jobs", "4"]), [
    "--slurm-flag=--qos=x",
    "--jobs",
    "4",
  ]);
  deepStrictEqual(
    parseCommand(["reproduce", "--slurm-flag", "-p", "--only", "a", "b"]).values["slurm-flag"],
    ["-p"],
  );
  deepStrictEqual(parseCommand(["reproduce", "--slurm-flag=--x=1"]).values["slurm-flag"], [
    "--x=1",
  ]);
});
