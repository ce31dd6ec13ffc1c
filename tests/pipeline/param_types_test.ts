/** Declared parameter types: checked at load time for the top level, every profile and typed axes. */
import { deepStrictEqual, equal } from "node:assert/strict";
import { PipelineError } from "../../lib/pipeline/spec/diagnostics.ts";
import { expandPipeline, loadPipelineText, type Pipeline } from "../../lib/pipeline/spec/load.ts";
import { keyOf, keyParts } from "../../lib/pipeline/keys/cache_key.ts";

const probe = { isFile: (p: string) => p === "steps/a.ts", glob: () => [] };

function load(text: string): Pipeline {
  return loadPipelineText(text, "/p/pipeline.yaml", probe);
}

function errors(text: string): string[] {
  try {
    load(text);
  } catch (e) {
    if (e instanceof PipelineError) {
      return e.message.split("\n").map((l) => l.replace(/^\/p\//, ""));
    }
    throw e;
  }
  throw new Error("expected the pipeline to be invalid");
}

/** A pipeline whose one step uses every parameter of `params`, with `profiles` and `matrix` as written. */
function pipeline(params: string, profiles = "", matrix = ""): string {
  return `version: 1
params:
${params}
${matrix}
steps:
  a:
    module: steps/a.ts
    params: [${[...params.matchAll(/^ {2}(\w+):/gm)].map((m) => m[1]).join(", ")}]
    outputs: { x: x.json }
${profiles}`;
}

Deno.test("typed parameters: a bad top-level value is reported at the value", () => {
  deepStrictEqual(errors(pipeline("  epochs: { value: -3, type: integer, min: 1 }")), [
    "pipeline.yaml:3:20: parameter 'epochs' must be an integer >= 1, got -3",
  ]);
  deepStrictEqual(
    errors(pipeline("  landscape_grid: { value: ten, type: integer, min: 2 }")),
    ["pipeline.yaml:3:28: parameter 'landscape_grid' must be an integer >= 2, got \"ten\""],
  );
  deepStrictEqual(
    errors(pipeline("  lr: { value: fast, type: number, min_exclusive: 0, nullable: true }")),
    ["pipeline.yaml:3:16: parameter 'lr' must be null or a number > 0, got \"fast\""],
  );
});

Deno.test("typed parameters: a profile's override is checked at its position in the profile", () => {
  const text = pipeline(
    "  batch_size: { value: 100, type: integer, min: 1 }\n  epochs: { value: 2, type: integer, min: 1 }",
    "profiles:\n  smoke:\n    params:\n      batch_size: 0\n  other: { params: { epochs: 1.5 } }",
  );
  deepStrictEqual(errors(text), [
    "pipeline.yaml:14:19: parameter 'batch_size' of profile 'smoke' must be an integer >= 1, got 0",
    "pipeline.yaml:15:30: parameter 'epochs' of profile 'other' must be an integer >= 1, got 1.5",
  ]);
});

Deno.test("typed parameters: every type and its bounds", () => {
  const cases: [string, string][] = [
    ["{ value: 1.5, type: number, min: 0, max: 1 }", "must be a number in [0, 1], got 1.5"],
    [
      "{ value: 1, type: number, min_exclusive: 0, max_exclusive: 1 }",
      "must be a number in (0, 1), got 1",
    ],
    ["{ value: yes, type: boolean }", 'must be true or false, got "yes"'],
    ["{ value: 3, type: string }", "must be a string, got 3"],
    [
      "{ value: max, type: enum, choices: [mean, sqrt] }",
      'must be one of "mean", "sqrt", got "max"',
    ],
    ["{ value: null, type: integer }", "must be an integer, got null"],
    [
      "{ value: [1, 2, 3], type: list, items: number, length: 2 }",
      "must be a list of exactly 2 items of numbers, got a list",
    ],
    [
      "{ value: ftp://x, type: string, pattern: '^https?://' }",
      'must be a string matching "^https?://", got "ftp://x"',
    ],
  ];
  for (const [decl, message] of cases) {
    const e = errors(pipeline(`  x: ${decl}`));
    equal(e.length, 1, e.join("\n"));
    equal(e[0].startsWith("pipeline.yaml:3:") && e[0].includes(message), true, e[0]);
  }
});

Deno.test("typed parameters: nested items and map entries point at the nested value", () => {
  deepStrictEqual(
    errors(pipeline(
      "  betas:\n    value: [0.9, 1.5]\n    type: list\n    items: { type: number, min: 0, max_exclusive: 1 }",
    )),
    ["pipeline.yaml:4:18: parameter 'betas' item 2 must be a number in [0, 1), got 1.5"],
  );
  deepStrictEqual(
    errors(pipeline(
      "  lr_by_depth:\n    value: { 50: 0.01, x: -1 }\n    type: map\n    keys: integer\n    items: { type: number, min_exclusive: 0 }",
    )),
    [
      "pipeline.yaml:4:24: parameter 'lr_by_depth': key 'x' must be an integer",
      "pipeline.yaml:4:27: parameter 'lr_by_depth' entry 'x' must be a number > 0, got -1",
    ],
  );
});

Deno.test("typed parameters: mistakes in a declaration are reported with a did-you-mean", () => {
  deepStrictEqual(errors(pipeline("  n: { value: 1, type: integr }")), [
    "pipeline.yaml:3:24: parameter 'n': unknown type \"integr\" (did you mean 'integer'?)",
  ]);
  deepStrictEqual(errors(pipeline("  n: { value: 1, type: integer, minn: 1 }")), [
    "pipeline.yaml:3:33: unknown key 'minn' in parameter 'n' (did you mean 'min'?)",
  ]);
  deepStrictEqual(errors(pipeline("  n: { value: x, type: string, min: 1 }")), [
    "pipeline.yaml:3:32: parameter 'n': 'min' does not apply to type 'string' (type 'string' takes type, description, nullable, pattern, length, min_length, max_length)",
  ]);
  deepStrictEqual(errors(pipeline("  n: { value: 1 }")), [
    "pipeline.yaml:3:6: parameter 'n' must say its 'type' (one of integer, number, boolean, string, enum, list, map, any; a plain mapping value with a key 'value' or 'type' is written as '{ type: map, value: {...} }')",
  ]);
});

Deno.test("typed axes: top-level and profile values are checked", () => {
  const text = pipeline(
    "  n: 1",
    "profiles:\n  big: { matrix: { P: [4, 0] } }",
    "matrix:\n  P: { type: integer, min: 1, values: [4, 2.5] }",
  );
  deepStrictEqual(errors(text).map((l) => l.replace(/^[^ ]+ /, "")), [
    "a value of axis 'P' must be an integer >= 1, got 2.5",
    "a value of axis 'P' of profile 'big' must be an integer >= 1, got 0",
  ]);
});

Deno.test("typed parameters: the values are what the spec holds; the type stays out of the key", () => {
  const typed = load(pipeline(
    "  epochs: { value: 3, type: integer, min: 1, description: passes over the data }",
    "profiles:\n  smoke: { params: { epochs: 1 } }",
  ));
  const plain = load(pipeline("  epochs: 3", "profiles:\n  smoke: { params: { epochs: 1 } }"));
  deepStrictEqual(typed.spec.params, { epochs: 3 });
  deepStrictEqual(typed.spec.paramTypes.epochs, {
    type: "integer",
    min: 1,
    description: "passes over the data",
  });
  for (const profile of ["default", "smoke"]) {
    const [a, b] = [typed, plain].map((p) => expandPipeline(p, profile).instances[0]);
    deepStrictEqual(a.params, { epochs: profile === "smoke" ? 1 : 3 });
    const key = (i: typeof a) =>
      keyOf(keyParts(i, { files: {}, npm: [], readPaths: [], absolute: {} }, {}));
    equal(key(a), key(b));
  }
});
