/**
 * Integration: the study's own pipeline.yaml with bad parameter values (in a
 * profile and at the top level) is refused by `reproduce` and
 * `reproduce --dry-run` at the values' positions, exit 2, nothing run.
 */
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { cli, removeProject, replaceIn, ROOT } from "./helpers.ts";

/** Line and column (1-based) of the first `needle` after `after` in `text`, plus `offset` columns. */
function position(text: string, after: string, needle: string, offset = 0): string {
  const at = text.indexOf(needle, text.indexOf(after));
  const before = text.slice(0, at).split("\n");
  return `${before.length}:${before.at(-1)!.length + 1 + offset}`;
}

Deno.test("the study's pipeline with batch_size: 0 in the smoke profile: exit 2, nothing run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "params-study-" });
  try {
    // Validation needs the pipeline file and its step modules, nothing else.
    await Deno.copyFile(join(ROOT, "pipeline.yaml"), join(dir, "pipeline.yaml"));
    await Deno.mkdir(join(dir, "steps"));
    for await (const e of Deno.readDir(join(ROOT, "steps"))) {
      await Deno.copyFile(join(ROOT, "steps", e.name), join(dir, "steps", e.name));
    }
    const file = join(dir, "pipeline.yaml");
    const smoke = "  smoke:\n";
    await replaceIn(dir, "pipeline.yaml", "      batch_size: 100\n", "      batch_size: 0\n");
    await replaceIn(dir, "pipeline.yaml", "  lr:\n    value: null\n", "  lr:\n    value: fast\n");
    const text = await Deno.readTextFile(file);
    ok(text.indexOf("batch_size: 0") > text.indexOf(smoke), "the edit is in the smoke profile");
    const expected = [
      `pipeline.yaml:${position(text, "  lr:\n", "value: fast", 7)}: parameter 'lr' must be ` +
      `null or a number > 0, got "fast"`,
      `pipeline.yaml:${position(text, smoke, "batch_size: 0", 12)}: parameter 'batch_size' of ` +
      `profile 'smoke' must be an integer >= 1, got 0`,
    ];
    for (const args of [["reproduce", "--profile", "smoke", "--dry-run"], ["reproduce"]]) {
      const r = await cli(dir, args);
      equal(r.code, 2, `${args.join(" ")}: ${r.stdout}\n${r.stderr}`);
      for (const line of expected) ok(r.stderr.includes(line), `${line}\nnot in\n${r.stderr}`);
      ok(!r.stdout.includes("fetch_mnist"), r.stdout);
      const entries = [];
      for await (const e of Deno.readDir(dir)) entries.push(e.name);
      equal(entries.sort().join(","), "pipeline.yaml,steps", "no store was created");
    }
  } finally {
    await removeProject(dir);
  }
});
