/** The step side: typed parameter readers of `lib/step/context.ts` (the second line of defence). */
import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { makeContext, StepError } from "../../lib/step/context.ts";

function ctx(params: Record<string, unknown>) {
  return makeContext({
    protocol: 1,
    id: "train[P=4]",
    step: "train",
    matrix: { P: 4 },
    params,
    inputs: {},
    outputs: {},
    checkpoint_dir: "/c",
    scratch_dir: "/s",
    cores: 1,
  });
}

Deno.test("typed readers return values of the right type", () => {
  const c = ctx({
    P: 4,
    lr: 0.5,
    name: "x",
    flag: true,
    agg: "mean",
    betas: [0.9, 0.999],
    table: { 10: 0.01 },
    n: null,
  });
  equal(c.int("P"), 4);
  equal(c.number("lr"), 0.5);
  equal(c.string("name"), "x");
  equal(c.bool("flag"), true);
  equal(c.choice("agg", ["mean", "sqrt"] as const), "mean");
  deepStrictEqual(c.list("betas", "number"), [0.9, 0.999]);
  deepStrictEqual(c.map("table", "number"), { 10: 0.01 });
  equal(c.nullable.int("n"), null);
  equal(c.nullable.int("P"), 4);
  equal(c.has("n"), true);
  equal(c.has("absent"), false);
  equal(c.param("P"), 4); // the untyped reader the mini fixture uses
});

Deno.test("typed readers throw a StepError naming the parameter and the value", () => {
  const c = ctx({ epochs: 2.5, batch: "0", agg: "max", n: null, betas: [0.9, "x"] });
  const cases: [() => unknown, string][] = [
    [() => c.int("epochs"), "train[P=4]: parameter 'epochs' must be an integer, got 2.5"],
    [() => c.number("batch"), "parameter 'batch' must be a number, got \"0\""],
    [() => c.choice("agg", ["mean", "sqrt"]), 'must be one of "mean", "sqrt", got "max"'],
    [() => c.int("n"), "parameter 'n' must be an integer, got null"],
    [() => c.nullable.string("epochs"), "parameter 'epochs' must be null or a string, got 2.5"],
    [() => c.list("betas", "number"), 'must be a list of numbers, got [0.9,"x"]'],
    [() => c.int("nope"), "parameter 'nope' is not declared for step 'train'"],
  ];
  for (const [f, message] of cases) {
    throws(f, (e) => e instanceof StepError && e.message.includes(message));
  }
});
