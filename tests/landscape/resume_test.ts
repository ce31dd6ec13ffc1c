/**
 * The `landscape` step resumes after a kill: a run stopped after finished
 * grid rows (the step's test-only `stopAfterRows`, right after a checkpoint),
 * then rerun, writes landscape.json byte-identical to an uninterrupted run.
 */
import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../steps/landscape.ts";
import { GridStop } from "../../lib/landscape/grid.ts";
import { stepContext, writeInputs } from "../hessian/_resume_fixture.ts";

const PARAMS = {
  landscape_grid: 4,
  landscape_margin: 1,
  landscape_samples: 30,
  landscape_plane: "trajectory_mean",
};
const OUTPUTS = { landscape: "landscape.json" };

Deno.test("landscape step: killed after grid rows 1 and 3, resumed to a byte-identical landscape.json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "landscape-resume-" });
  try {
    const inputs = await writeInputs(dir);
    const ins = Object.fromEntries(
      ["trajectory", "best", "train_x", "train_y"].map((k) => [k, inputs[k]]),
    );
    const whole = await stepContext(dir, "whole", "landscape", PARAMS, ins, OUTPUTS);
    await main(whole.ctx);

    const killed = await stepContext(dir, "killed", "landscape", PARAMS, ins, OUTPUTS);
    await rejects(main(killed.ctx, { stopAfterRows: 1 }), GridStop);
    await rejects(main(killed.ctx, { stopAfterRows: 3 }), GridStop);
    await main(killed.ctx);
    ok(
      killed.logs.some((l) => /resuming from the checkpoint: 3 grid rows/.test(l)),
      killed.logs.join("\n"),
    );
    deepStrictEqual(
      await Deno.readFile(join(dir, "killed/out/landscape.json")),
      await Deno.readFile(join(dir, "whole/out/landscape.json")),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
