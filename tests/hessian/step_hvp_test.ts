/**
 * The `hessian` step with exact products (f64 and f32) and with central differences gives the
 * same lambda_max within the power iteration's tolerance on a small model, and records how its
 * products were made; bad `hvp` / `hessian_precision` settings are refused by name.
 */
import { equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../steps/hessian.ts";
import { stepContext, writeInputs } from "./_resume_fixture.ts";

const TOL = 1e-3;
const BASE = {
  hessian_samples: 40,
  power_max_iter: 100,
  power_tol: TOL,
  top_k: 2,
  split_steps: 3,
  slq_probes: 1,
  slq_steps: 4,
  exact_max_params: 0,
  hvp_epsilon: 1e-4,
  density_bins: 50,
};
const OUTPUTS = { hessian: "hessian.json", density: "density.csv" };

Deno.test("hessian step: exact (f64, f32) and central products give the same lambda_max within the power tolerance", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hessian-hvp-" });
  try {
    const inputs = await writeInputs(dir);
    const ins = Object.fromEntries(
      ["best_params", "best", "train_x", "train_y"].map((k) => [k, inputs[k]]),
    );
    const docs: Record<string, { lambda_max: number; hvp: Record<string, unknown> }> = {};
    for (
      const [name, hvp, precision] of [
        ["exact64", "exact", "f64"],
        ["exact32", "exact", "f32"],
        ["central", "central", "f64"],
      ]
    ) {
      const params = { ...BASE, hvp, hessian_precision: precision };
      const { ctx } = await stepContext(dir, name, "hessian", params, ins, OUTPUTS);
      await main(ctx);
      docs[name] = JSON.parse(await Deno.readTextFile(join(dir, name, "out/hessian.json")));
    }
    const ref = docs.exact64.lambda_max;
    ok(ref > 0);
    for (const name of ["exact32", "central"]) {
      const rel = Math.abs(docs[name].lambda_max - ref) / Math.abs(ref);
      ok(rel <= TOL, `${name}: lambda_max ${docs[name].lambda_max} vs ${ref} (rel. ${rel})`);
    }
    equal(docs.exact64.hvp.method, "exact (forward over reverse), f64");
    equal(docs.exact32.hvp.relative_error, null);
    equal(docs.central.hvp.method, "central-difference of exact float64 gradients");
    ok((docs.central.hvp.relative_error as number) < 1e-6);

    const bad = await stepContext(
      dir,
      "bad",
      "hessian",
      {
        ...BASE,
        hvp: "central",
        hessian_precision: "f32",
      },
      ins,
      OUTPUTS,
    );
    await rejects(main(bad.ctx), /needs 'hessian_precision: f64'/);
    const bad2 = await stepContext(
      dir,
      "bad2",
      "hessian",
      {
        ...BASE,
        hvp: "forward",
        hessian_precision: "f32",
      },
      ins,
      OUTPUTS,
    );
    await rejects(main(bad2.ctx), /parameter 'hvp' must be one of "exact", "central"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
