/** The instance limit: counted before expansion, refused with exit 2, `limits.instances` overrides it. */
import { equal, match, throws } from "node:assert/strict";
import { assertRefused, boundedCli, makeProject, removeProject, replaceIn } from "./helpers.ts";
import { PipelineError } from "../../lib/pipeline/spec/diagnostics.ts";
import { loadPipelineText, type Pipeline } from "../../lib/pipeline/spec/load.ts";

const probe = { isFile: (p: string) => p.startsWith("steps/"), glob: () => [] };

function load(text: string): Pipeline {
  return loadPipelineText(text, "/p/pipeline.yaml", probe);
}

Deno.test("a matrix of a million instances is refused before expansion, naming profile and axes", async () => {
  const dir = await makeProject();
  try {
    const values = Array.from({ length: 1000 }, (_, i) => i).join(", ");
    await replaceIn(
      dir,
      "pipeline.yaml",
      "  k: [1, 2, 3]\n",
      `  k: [1, 2, 3]\n  a: [${values}]\n  b: [${values}]\n`,
    );
    await replaceIn(dir, "pipeline.yaml", "    matrix: [k]\n", "    matrix: [a, b]\n");
    const r = await boundedCli(dir, ["reproduce", "--dry-run"]);
    await assertRefused(
      dir,
      r,
      /^pipeline\.yaml:19:3: profile 'default' has 1000005 instances, more than the limit of 100000: step 'square' has 1000000 \(a=1000 × b=1000\) \(.*limits: \{ instances: N \}/m,
    );
  } finally {
    await removeProject(dir);
  }
});

Deno.test("limits.instances lowers or raises the instance limit", async () => {
  const dir = await makeProject();
  try {
    // The mini pipeline has 8 instances under its default profile.
    await replaceIn(dir, "pipeline.yaml", "version: 1\n", "version: 1\nlimits: { instances: 7 }\n");
    const r = await boundedCli(dir, ["status"]);
    await assertRefused(dir, r, /profile 'default' has 8 instances, more than the limit of 7/);
    await replaceIn(dir, "pipeline.yaml", "instances: 7", "instances: 8");
    const r2 = await boundedCli(dir, ["status"]);
    equal(r2.code, 0, r2.stdout + r2.stderr);
  } finally {
    await removeProject(dir);
  }
});

function wideMatrix(limits: string): string {
  const values = (n: number) => Array.from({ length: n }, (_, i) => i).join(", ");
  return `version: 1
${limits}matrix:
  a: [${values(400)}]
  b: [${values(300)}]
steps:
  wide:
    module: steps/a.ts
    matrix: [a, b]
    outputs: { o: o.json }
  one:
    module: steps/a.ts
    outputs: { o: o.json }
`;
}

Deno.test("instance limit: 120,000 instances exceed the default; limits.instances lets them through", () => {
  throws(() => load(wideMatrix("")), (e: unknown) => {
    match(
      (e as PipelineError).message,
      /^\/p\/pipeline\.yaml:6:3: profile 'default' has 120001 instances, more than the limit of 100000: step 'wide' has 120000 \(a=400 × b=300\)/m,
    );
    return e instanceof PipelineError;
  });
  const p = load(wideMatrix("limits: { instances: 150000 }\n"));
  equal(p.spec.limits.instances, 150000);
});

Deno.test("instance limit: limits.instances must be a positive integer", () => {
  throws(() => load(wideMatrix("limits: { instances: -1 }\n")), (e: unknown) => {
    match(
      (e as PipelineError).message,
      /^\/p\/pipeline\.yaml:2:22: limits\.instances must be a positive integer, got number -1$/m,
    );
    return e instanceof PipelineError;
  });
});
