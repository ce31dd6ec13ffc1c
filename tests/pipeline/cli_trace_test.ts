/**
 * Integration: resource traces. A fixture step that touches 256 MiB and
 * spins for 2 s of CPU reports that (its own getrusage at exit) in its run
 * record and in `trace`, which warns that it exceeded its declared memory.
 */
import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { cli, removeProject } from "./helpers.ts";
import { checkHog, hogTrace, makeExperimentProject } from "./experiments_helpers.ts";

Deno.test("trace: a 256 MiB, 2 s step reports its peak memory and CPU locally", async () => {
  const dir = await makeExperimentProject({ hog: true });
  try {
    const { row, stderr } = await hogTrace(dir);
    checkHog(row);
    equal(row.declared_memory_mib, 100);
    match(
      stderr,
      /warning: step 'hog' peaked at \d+\.\d MiB, more than its declared memory of 100 MiB/,
    );
    const tsv = await cli(dir, ["trace", "hog", "--tsv"]);
    match(tsv.stdout.split("\n")[0], /^instance\tstep\tstatus\thost\tcores\tstart\twall_s\t/);
    const html = await cli(dir, ["trace", "--html", "trace"]);
    equal(html.code, 0, html.stderr);
    const page = await Deno.readTextFile(join(dir, "trace/index.html"));
    ok(page.includes("<svg") && page.includes("OVER declared memory"));
  } finally {
    await removeProject(dir);
  }
});
