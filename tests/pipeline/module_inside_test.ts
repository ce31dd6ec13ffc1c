/** Step modules and code files must resolve inside the pipeline directory (after symlinks). */
import { basename, join } from "node:path";
import { assertRefused, boundedCli, makeProject, removeProject, replaceIn } from "./helpers.ts";

Deno.test("a step module or code file outside the pipeline directory is refused, and nothing runs", async (t) => {
  const dir = await makeProject();
  // A working step module outside the project: were it accepted, reproduce would run it.
  const outside = await Deno.makeTempFile({ prefix: "outside-", suffix: ".ts" });
  try {
    await Deno.copyFile(join(dir, "steps/merge.ts"), outside);
    const original = await Deno.readTextFile(join(dir, "pipeline.yaml"));
    await Deno.symlink(outside, join(dir, "steps/link.ts"));
    await Deno.symlink(outside, join(dir, "lib/link.ts"));
    const cases = [
      { name: "absolute", module: outside },
      { name: "dot-dot", module: `../${basename(outside)}` },
      { name: "symlink", module: "steps/link.ts" },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        await Deno.remove(join(dir, "artifacts"), { recursive: true }).catch(() => {});
        await Deno.writeTextFile(join(dir, "pipeline.yaml"), original);
        await replaceIn(dir, "pipeline.yaml", "module: steps/merge.ts", `module: ${c.module}`);
        const r = await boundedCli(dir, ["reproduce"]);
        const shown = c.module.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        await assertRefused(
          dir,
          r,
          new RegExp(
            `^pipeline\\.yaml:34:13: module '${shown}' of step 'merge' is outside the pipeline directory \\(`,
            "m",
          ),
        );
      });
    }
    await t.step("code glob through a symlink", async () => {
      await Deno.remove(join(dir, "artifacts"), { recursive: true }).catch(() => {});
      await Deno.writeTextFile(join(dir, "pipeline.yaml"), original);
      await replaceIn(
        dir,
        "pipeline.yaml",
        "module: steps/merge.ts",
        "module: steps/merge.ts\n    code: [lib/*.ts]",
      );
      const r = await boundedCli(dir, ["reproduce"]);
      await assertRefused(
        dir,
        r,
        /^pipeline\.yaml:35:12: code glob 'lib\/\*\.ts' of step 'merge' matches 'lib\/link\.ts', which resolves outside the pipeline directory/m,
      );
    });
  } finally {
    await Deno.remove(outside).catch(() => {});
    await removeProject(dir);
  }
});
