/** `compare` pairs instances by step and matrix values, then by id. */

import { deepStrictEqual } from "node:assert/strict";
import { pairInstances } from "../../lib/pipeline/cli/compare_command.ts";
import type { SideInstance } from "../../lib/pipeline/cli/experiment_data.ts";

function inst(id: string, step: string, matrix: Record<string, string | number>): SideInstance {
  return { id, step, matrix, params: {}, key: null, state: "ran", record: null };
}

Deno.test("compare pairs a plain run's instances with a sweep's by their matrix values, not their ids", () => {
  const plain = [
    inst("train[P=4]", "train", { P: 4, aggregate: "mean" }),
    inst("train[P=9]", "train", { P: 9, aggregate: "mean" }),
    inst("tables", "tables", {}),
  ];
  const sweep = [
    inst("train[P=4,aggregate=mean]", "train", { aggregate: "mean", P: 4 }),
    inst("train[P=4,aggregate=sqrt]", "train", { P: 4, aggregate: "sqrt" }),
    inst("train[P=9,aggregate=mean]", "train", { P: 9, aggregate: "mean" }),
    inst("tables", "tables", {}),
  ];
  const pairs = pairInstances(plain, sweep);
  deepStrictEqual(
    plain.map((a) => pairs.get(a)?.id),
    ["train[P=4,aggregate=mean]", "train[P=9,aggregate=mean]", "tables"],
  );
  // Records from before an axis existed have no value for it: the same id still pairs them.
  const old = [inst("train[P=4]", "train", { P: 4 })];
  deepStrictEqual(pairInstances(old, plain).get(old[0])?.id, "train[P=4]");
  // One instance of B is never paired twice.
  const twice = [inst("x", "s", { P: 4 }), inst("y", "s", { P: 4 })];
  const one = [inst("x", "s", { P: 4 })];
  deepStrictEqual(twice.map((a) => pairInstances(twice, one).get(a)?.id), ["x", undefined]);
});
