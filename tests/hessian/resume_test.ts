/**
 * The `hessian` step resumes after a kill: a run stopped (by the step's
 * test-only `stopAfter`, right after a checkpoint, as a kill would leave it)
 * in the power iteration and again in the split / SLQ phases, then rerun,
 * writes hessian.json and density.csv byte-identical to an uninterrupted run.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../steps/hessian.ts";
import { JournalStop } from "../../lib/hessian/journal.ts";
import { stepContext, writeInputs } from "./_resume_fixture.ts";

const PARAMS = {
  hessian_samples: 40,
  power_max_iter: 8,
  power_tol: 1e-9,
  top_k: 3,
  split_steps: 3,
  slq_probes: 1,
  slq_steps: 5,
  exact_max_params: 0,
  hvp: "exact",
  hessian_precision: "f32",
  hvp_epsilon: 1e-4,
  density_bins: 50,
};
const OUTPUTS = { hessian: "hessian.json", density: "density.csv" };

Deno.test("hessian step: killed twice mid-analysis, resumed to byte-identical hessian.json and density.csv", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hessian-resume-" });
  try {
    const inputs = await writeInputs(dir);
    const pick = (names: string[]) => Object.fromEntries(names.map((k) => [k, inputs[k]]));
    const ins = pick(["best_params", "best", "train_x", "train_y"]);

    const whole = await stepContext(dir, "whole", "hessian", PARAMS, ins, OUTPUTS);
    await main(whole.ctx);

    const killed = await stepContext(dir, "killed", "hessian", PARAMS, ins, OUTPUTS);
    // 8 power products, then 3 + 3 split products, then SLQ: stop inside the power iteration,
    // then inside the curvature term.
    await rejects(main(killed.ctx, { stopAfter: 5 }), JournalStop);
    await rejects(main(killed.ctx, { stopAfter: 13 }), JournalStop);
    await main(killed.ctx);
    ok(
      killed.logs.some((l) => /resuming from the checkpoint: 13 products/.test(l)),
      killed.logs.join("\n"),
    );

    for (const f of Object.values(OUTPUTS)) {
      deepStrictEqual(
        await Deno.readFile(join(dir, "killed/out", f)),
        await Deno.readFile(join(dir, "whole/out", f)),
        `${f} differs after resuming`,
      );
    }
    const doc = JSON.parse(await Deno.readTextFile(join(dir, "whole/out/hessian.json")));
    equal(doc.products.power, 8);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
