/** The cost model: `cost:` formulas, `cost_constants:`, `status --estimate`. */

import { equal, match, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import { evaluateCost, parseCost } from "../../lib/pipeline/spec/mod.ts";
import { cli, makeProject, removeProject } from "./helpers.ts";

Deno.test("cost formulas: arithmetic, precedence, functions, coalesce, if and string tests", () => {
  const f = (s: string, vars: Record<string, unknown> = {}) => evaluateCost(parseCost(s), vars);
  equal(f("1 + 2 * 3 ^ 2 / 6 - -1"), 5);
  equal(f("2 ^ 3 ^ 2"), 512);
  equal(f("max(1, k * 2, 3) + ceil(0.2) + floor(1.7) + min(4, 5)", { k: 4 }), 14);
  equal(f("coalesce(n, 7) * 2", { n: null }), 14);
  equal(f('if(src == "download", 60000, 8000)', { src: "embedded" }), 8000);
  equal(f("1.5e3 + .5"), 1500.5);
  throws(() => parseCost("1 +"), /unexpected end/);
  throws(() => parseCost("foo(1)"), /unknown function 'foo'/);
  throws(() => parseCost("(1 + 2"), /expected '\)'/);
  throws(() => f("x + 1"), /unknown name 'x'/);
  throws(() => f("x + 1", { x: null }), /null in '\+'/);
  throws(() => f("x", { x: "a" }), /not a number/);
  throws(() => f("1 / 0"), /not a finite number/);
});

Deno.test("status --estimate: each instance's CPU time from its step's cost and the constants", async () => {
  const dir = await makeProject();
  try {
    const file = join(dir, "pipeline.yaml");
    let text = await Deno.readTextFile(file);
    text = text.replace("version: 1\n", "version: 1\ncost_constants: costs.json\n");
    text = text.replace(
      "    params: [scale]\n",
      "    params: [scale]\n    cost: k * scale * per_unit + n\n",
    );
    await Deno.writeTextFile(file, text);
    await Deno.writeTextFile(
      join(dir, "costs.json"),
      JSON.stringify({ constants: { per_unit: 30 } }),
    );
    const r = await cli(dir, ["status", "--estimate"]);
    equal(r.code, 0, r.stderr);
    // square[k] = k * 2 * 30 + 4 (n: a parameter square does not declare, read from the profile).
    match(r.stdout, /square\[k=1\]\s+1m04s\s+CPU/);
    match(r.stdout, /square\[k=3\]\s+3m04s\s+CPU/);
    match(r.stdout, /gen\s+-/);
    match(r.stdout, /estimated: 6m12s CPU/);
    ok(!r.stdout.includes("failed"), r.stdout);
    // A formula that does not parse is a validation error with its position.
    await Deno.writeTextFile(file, text.replace("k * scale * per_unit + n", "k * * 2"));
    const bad = await cli(dir, ["status", "--estimate"]);
    equal(bad.code, 2);
    match(bad.stderr + bad.stdout, /cost formula 'k \* \* 2'/);
  } finally {
    await removeProject(dir);
  }
});
