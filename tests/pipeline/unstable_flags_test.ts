import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { stepArgs } from "../../lib/pipeline/exec/step_command.ts";
import { PipelineError } from "../../lib/pipeline/spec/diagnostics.ts";
import { loadPipelineText } from "../../lib/pipeline/spec/load.ts";

const probe = { isFile: (p: string) => p === "steps/a.ts", glob: () => [] };

function pipeline(unstable: string): string {
  return `version: 1
steps:
  a:
    module: steps/a.ts
    outputs: { x: x.json }
${unstable}`;
}

Deno.test("unstable: a step's Deno unstable features load as written; absent means none", () => {
  const p = loadPipelineText(pipeline("    unstable: [webgpu, kv]\n"), "/p/pipeline.yaml", probe);
  deepStrictEqual(p.order[0].unstable, ["webgpu", "kv"]);
  const q = loadPipelineText(pipeline(""), "/p/pipeline.yaml", probe);
  equal(q.order[0].unstable, undefined);
});

Deno.test("unstable: unknown or repeated features are errors with a position", () => {
  for (
    const [text, re] of [
      [
        "    unstable: [--unstable-webgpu]\n",
        /6:16: unknown Deno unstable feature '--unstable-webgpu'/,
      ],
      ["    unstable: [webgpu, webgpu]\n", /listed twice/],
      ["    unstable: webgpu\n", /unstable features of step 'a'/],
    ] as const
  ) {
    try {
      loadPipelineText(pipeline(text), "/p/pipeline.yaml", probe);
      ok(false, `expected an error for ${text}`);
    } catch (e) {
      ok(e instanceof PipelineError, String(e));
      match(e.message, re);
    }
  }
});

Deno.test("unstable: the step command passes each feature as --unstable-<name> once", () => {
  const grants = { read: ["r"], write: ["w"], net: [], env: [] };
  const args = stepArgs({
    module: "m",
    contextFile: "c",
    config: null,
    grants,
    unstable: ["webgpu", "webgpu"],
  });
  deepStrictEqual(args.filter((a) => a.startsWith("--unstable")), ["--unstable-webgpu"]);
  ok(args.indexOf("--unstable-webgpu") < args.indexOf("m"));
  throws(() =>
    stepArgs({ module: "m", contextFile: "c", config: null, grants, unstable: ["a,b"] })
  );
});
