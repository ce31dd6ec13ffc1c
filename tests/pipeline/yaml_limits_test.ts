/**
 * YAML aliases: bombs and self-references are refused at load time with a
 * position and exit 2 (bounded CLI runs), and merge keys (`<<: *base`) work.
 */
import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import { assertRefused, boundedCli, makeProject, removeProject, replaceIn } from "./helpers.ts";
import { PipelineError } from "../../lib/pipeline/spec/diagnostics.ts";
import { loadPipelineText, type Pipeline } from "../../lib/pipeline/spec/load.ts";

const probe = { isFile: (p: string) => p.startsWith("steps/"), glob: () => [] };

function load(text: string): Pipeline {
  return loadPipelineText(text, "/p/pipeline.yaml", probe);
}

/** Nine levels of nine-way aliases (9^9 leaves once expanded), indented by `indent`. */
function aliasBomb(indent: string): string {
  const lines = [`${indent}l0: &l0 [${Array(9).fill("lol").join(", ")}]`];
  for (let i = 1; i <= 8; i++) {
    lines.push(`${indent}l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(", ")}]`);
  }
  return lines.join("\n");
}

/** The 1-based numbers of the lines of `text` matching `re`. */
function linesMatching(text: string, re: RegExp): number[] {
  return text.split("\n").flatMap((l, i) => (re.test(l) ? [i + 1] : []));
}

Deno.test("an alias bomb in the file or in params is refused quickly with its position", async (t) => {
  const dir = await makeProject();
  try {
    const original = await Deno.readTextFile(join(dir, "pipeline.yaml"));
    const cases = [
      {
        name: "whole file",
        text: original.replace("version: 1\n", `version: 1\n${aliasBomb("")}\n`),
      },
      {
        name: "inside params",
        text: original.replace("  delay_ms: 0\n", `  delay_ms: 0\n  bomb:\n${aliasBomb("    ")}\n`),
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        await Deno.writeTextFile(join(dir, "pipeline.yaml"), c.text);
        for (const args of [["status"], ["reproduce", "--dry-run"]]) {
          const r = await boundedCli(dir, args);
          await assertRefused(
            dir,
            r,
            /^pipeline\.yaml:\d+:\d+: YAML: aliases expand to more than/m,
          );
          const line = Number(/^pipeline\.yaml:(\d+):/m.exec(r.stderr)![1]);
          ok(linesMatching(c.text, /\bl\d: &l\d/).includes(line), `line ${line}`);
        }
      });
    }
  } finally {
    await removeProject(dir);
  }
});

Deno.test("a self-referencing anchor is refused at the alias, without a stack trace", async () => {
  const dir = await makeProject();
  try {
    await replaceIn(dir, "pipeline.yaml", "  delay_ms: 0\n", "  delay_ms: 0\n  loop: &a [1, *a]\n");
    const r = await boundedCli(dir, ["status"]);
    await assertRefused(
      dir,
      r,
      /^pipeline\.yaml:9:16: YAML: alias '\*a' refers to a node that contains it \(/m,
    );
  } finally {
    await removeProject(dir);
  }
});

Deno.test("merge keys: the merged mapping's entries, overridden by explicit keys", () => {
  const p = load(`version: 1
params:
  base: &base { lr: 0.1, epochs: 3, seed: 1 }
  more: &more { epochs: 9, batch: 32 }
  tuned: { <<: *base, epochs: 5 }
  both: { seed: 7, <<: [*base, *more] }
steps:
  a: &step
    module: steps/a.ts
    params: [base]
    outputs: { o: o.json }
  b:
    <<: *step
    module: steps/b.ts
`);
  deepStrictEqual(p.spec.params.tuned, { lr: 0.1, epochs: 5, seed: 1 });
  // Earlier mappings of the list win over later ones; explicit keys win over both.
  deepStrictEqual(p.spec.params.both, { seed: 7, lr: 0.1, epochs: 3, batch: 32 });
  const b = p.spec.steps.find((s) => s.name === "b")!;
  equal(b.module, "steps/b.ts");
  deepStrictEqual(b.params, ["base"]);
  deepStrictEqual(b.outputs.map((o) => o.name), ["o"]);
});

Deno.test("merge keys: a value that is not a mapping is refused at its position; a quoted '<<' is a plain key", () => {
  throws(
    () =>
      load(`version: 1
params:
  x: { <<: 3 }
steps: { a: { module: steps/a.ts, outputs: { o: o.json } } }
`),
    (e: unknown) => {
      match(
        (e as PipelineError).message,
        /^\/p\/pipeline\.yaml:3:12: YAML: the merge key '<<' takes a mapping or a list of mappings, got number 3 \(/m,
      );
      return e instanceof PipelineError;
    },
  );
  const p = load(`version: 1
params:
  x: { "<<": 3 }
steps: { a: { module: steps/a.ts, outputs: { o: o.json } } }
`);
  deepStrictEqual(p.spec.params.x, { "<<": 3 });
});
