/** The pipeline file's archive keys: `name`, `description`, `license` and a step's `archive`. */
import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { PipelineError } from "../../lib/pipeline/spec/diagnostics.ts";
import { loadPipelineText, type Pipeline } from "../../lib/pipeline/spec/load.ts";

const probe = { isFile: (p: string) => p.startsWith("steps/"), glob: () => [] };

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

const pipeline = (train: string, top = "") =>
  `version: 1
${top}matrix: { P: [4, 9] }
steps:
  train:
    module: steps/train.ts
    matrix: [P]
    outputs: { trajectory: trajectory.npy, metrics: metrics.csv, best: best.json }
${train}  report:
    module: steps/report.ts
    inputs: { runs: train.metrics }
    outputs: { report: report/ }
    publish: report
`;

Deno.test("archive keys load: study name, description, license; step archive selections", () => {
  const p = load(pipeline(
    "    archive: [trajectory, metrics]\n",
    "name: A study\ndescription: What it shows.\nlicense: CC-BY-4.0\n",
  ));
  equal(p.spec.name, "A study");
  equal(p.spec.description, "What it shows.");
  equal(p.spec.license, "CC-BY-4.0");
  deepStrictEqual(p.spec.steps.map((s) => s.archive), [["trajectory", "metrics"], undefined]);
  deepStrictEqual(load(pipeline("    archive: true\n")).spec.steps[0].archive, true);
  deepStrictEqual(load(pipeline("    archive: false\n")).spec.steps[0].archive, false);
  equal(load(pipeline("")).spec.name, undefined);
});

Deno.test("archive keys: each mistake at its line and column, with a hint", () => {
  deepStrictEqual(errors(pipeline("    archive: [trajectori, metrics, metrics]\n")), [
    "pipeline.yaml:8:15: 'archive' of step 'train' names no output 'trajectori' (did you mean 'trajectory'? valid outputs of 'train': trajectory, metrics, best)",
    "pipeline.yaml:8:36: output 'metrics' is listed twice in 'archive' of step 'train'",
  ]);
  deepStrictEqual(errors(pipeline("    archive: yes\n")), [
    `pipeline.yaml:8:14: 'archive' of step 'train' must be true, false or a list of output names, got string "yes"`,
  ]);
  deepStrictEqual(errors(pipeline("    archive: []\n")), [
    "pipeline.yaml:8:14: 'archive' of step 'train' lists no output (name at least one output, or write false)",
  ]);
  deepStrictEqual(errors(pipeline("    archiv: true\n", "name: [a]\n")), [
    "pipeline.yaml:2:7: 'name' must be a non-empty string, got a list",
    "pipeline.yaml:9:5: unknown key 'archiv' in step 'train' (did you mean 'archive'?)",
  ]);
  throws(() => load(pipeline("    archive: [3]\n")), /an entry of 'archive' of step 'train'/);
});
