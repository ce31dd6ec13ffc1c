/**
 * Integration, local executor: `retries` (no ladders locally) and the
 * `--memory` budget's command line.
 */
import { deepStrictEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import { cli, failed, makeProject, ran, records, removeProject, replaceIn } from "./helpers.ts";

/** gen fails on its first attempt (the mark lives in its checkpoint, which survives). */
const FLAKY = `  const mark = \`\${ctx.checkpoint_dir}/tried\`;
  if (!(await Deno.stat(mark).then(() => true, () => false))) {
    await Deno.writeTextFile(mark, "1");
    throw new Error("first attempt fails");
  }
  const numbers`;

Deno.test("local retries: a step failure is retried only when asked, from its checkpoint", async () => {
  const dir = await makeProject();
  try {
    await replaceIn(dir, "steps/gen.ts", "  const numbers", FLAKY);
    // retries: N alone does not cover the step's own failure.
    await replaceIn(dir, "pipeline.yaml", "    params: [n]\n", "    params: [n]\n    retries: 2\n");
    const r1 = await cli(dir, ["reproduce", "--only", "gen"]);
    equal(r1.code, 1, r1.stdout + r1.stderr);
    deepStrictEqual(failed(r1.stdout), ["gen"]);
    match(r1.stdout, /exited with code 1 \(not retried: retries do not cover fail\)/);

    await replaceIn(dir, "steps/gen.ts", "first attempt fails", "first attempt fails again");
    await replaceIn(dir, "pipeline.yaml", "retries: 2\n", "retries: { count: 1, on: [fail] }\n");
    const r2 = await cli(dir, ["reproduce", "--only", "gen"]);
    equal(r2.code, 0, r2.stdout + r2.stderr);
    deepStrictEqual(ran(r2.stdout), ["gen"]);
    match(
      r2.stdout,
      /^gen \| attempt 2 of 2: fail on attempt 1: resubmitted as it was \(cores=1\)$/m,
    );
    const [rec] = await records(dir);
    deepStrictEqual(rec.attempts?.map((a) => [a.attempt, a.outcome]), [[1, "fail"], [2, "ok"]]);
    const log = await Deno.readTextFile(join(dir, "artifacts/logs/default/gen.log"));
    match(log, /^engine: attempt 1 of 2, cores=1\n(.*\n)*Error: first attempt fails again\n/m);
    match(log, /^engine: attempt 2 of 2 \(fail on attempt 1: resubmitted as it was\), cores=1$/m);
    match(log, /^generating 4 numbers$/m);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("local --memory: a budget for the whole run; a usage error with Slurm or a bad size", async () => {
  const dir = await makeProject();
  try {
    await replaceIn(
      dir,
      "pipeline.yaml",
      "    matrix: [k]\n",
      "    matrix: [k]\n    resources: { memory: 600M }\n",
    );
    const r = await cli(dir, ["reproduce", "--memory", "1G"]);
    equal(r.code, 0, r.stdout + r.stderr);
    match(r.stdout, /ran 8, cached 0, failed 0/);
    const bad = await cli(dir, ["reproduce", "--memory", "lots"]);
    equal(bad.code, 2, bad.stderr);
    match(bad.stderr, /--memory: bad size 'lots'/);
    const slurm = await cli(dir, ["reproduce", "--memory", "1G", "--executor", "slurm"]);
    equal(slurm.code, 2, slurm.stderr);
    match(slurm.stderr, /--memory is the local executor's budget/);
  } finally {
    await removeProject(dir);
  }
});
