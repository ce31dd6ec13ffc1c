/** Integration: what reruns after which change (the real CLI in a temporary copy of the fixture). */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  appendTo,
  cli,
  makeProject,
  outputText,
  ran,
  removeProject,
  replaceIn,
} from "./helpers.ts";

const ALL = [
  "count",
  "gen",
  "merge",
  "split",
  "square[k=1]",
  "square[k=2]",
  "square[k=3]",
  "total",
];

Deno.test("cache: a second run runs nothing; only what a change reaches reruns", async (t) => {
  const dir = await makeProject();
  try {
    await t.step("first run runs everything", async () => {
      const r = await cli(dir, ["reproduce"]);
      equal(r.code, 0, r.stderr);
      deepStrictEqual(ran(r.stdout), ALL);
      ok(r.stdout.includes("ran 8, cached 0, failed 0"));
      equal(JSON.parse(await outputText(dir, "total", "total")).sum, 840);
    });

    await t.step("nothing changed: nothing runs", async () => {
      const r = await cli(dir, ["reproduce"]);
      equal(r.code, 0, r.stderr);
      deepStrictEqual(ran(r.stdout), []);
      ok(r.stdout.includes("ran 0, cached 8, failed 0"), r.stdout);
    });

    await t.step(
      "editing a module imported indirectly reruns exactly that step and its dependents",
      async () => {
        await replaceIn(dir, "lib/deep.ts", "OFFSET = 0", "OFFSET = 1");
        const r = await cli(dir, ["reproduce"]);
        equal(r.code, 0, r.stderr);
        deepStrictEqual(ran(r.stdout), ["square[k=1]", "square[k=2]", "square[k=3]", "total"]);
        equal(JSON.parse(await outputText(dir, "total", "total")).sum, 852);
      },
    );

    await t.step("editing a byte of an unrelated module reruns nothing", async () => {
      await replaceIn(dir, "lib/unrelated.ts", "UNUSED = 1", "UNUSED = 2");
      const r = await cli(dir, ["reproduce"]);
      equal(r.code, 0, r.stderr);
      deepStrictEqual(ran(r.stdout), []);
    });

    await t.step("identical bytes from a rerun stop the cascade (early cutoff)", async () => {
      await appendTo(dir, "lib/deep.ts", "// a comment changes the code, not the result\n");
      const r = await cli(dir, ["reproduce"]);
      equal(r.code, 0, r.stderr);
      deepStrictEqual(ran(r.stdout), ["square[k=1]", "square[k=2]", "square[k=3]"]);
      ok(r.stdout.includes("ran 3, cached 5"), r.stdout);
    });

    await t.step(
      "a file referenced through new URL(..., import.meta.url) is part of the code",
      async () => {
        await Deno.writeTextFile(`${dir}/lib/weights.json`, '{ "weight": 2 }\n');
        const r = await cli(dir, ["reproduce"]);
        equal(r.code, 0, r.stderr);
        deepStrictEqual(ran(r.stdout), ["total"]);
        equal(JSON.parse(await outputText(dir, "total", "total")).sum, 1704);
      },
    );

    await t.step("changing one matrix value reruns only that instance's chain", async () => {
      await replaceIn(dir, "pipeline.yaml", "k: [1, 2, 3]", "k: [1, 2, 4]");
      const r = await cli(dir, ["reproduce"]);
      equal(r.code, 0, r.stderr);
      deepStrictEqual(ran(r.stdout), ["square[k=4]", "total"]);
      const total = JSON.parse(await outputText(dir, "total", "total"));
      deepStrictEqual(total.ids, [
        'square[k=1]:{"k":1}',
        'square[k=2]:{"k":2}',
        'square[k=4]:{"k":4}',
      ]);
    });

    await t.step(
      "a param change reruns the step that declares it and what its outputs reach",
      async () => {
        await replaceIn(dir, "pipeline.yaml", "n: 4", "n: 3");
        const r = await cli(dir, ["reproduce"]);
        equal(r.code, 0, r.stderr);
        deepStrictEqual(ran(r.stdout), [
          "gen",
          "merge",
          "split",
          "square[k=1]",
          "square[k=2]",
          "square[k=4]",
          "total",
        ]);
        equal(
          (await outputText(dir, "merge", "merged")).trim(),
          "n1.txt: 1\nn2.txt: 2\nn3.txt: 3\nsub/count.txt: 3",
        );
      },
    );

    await t.step("going back to earlier values reuses the earlier records", async () => {
      await replaceIn(dir, "pipeline.yaml", "n: 3", "n: 4");
      const r = await cli(dir, ["reproduce"]);
      equal(r.code, 0, r.stderr);
      deepStrictEqual(ran(r.stdout), []);
    });
  } finally {
    await removeProject(dir);
  }
});

Deno.test("cache: --force reruns a step; identical outputs leave downstream cached", async () => {
  const dir = await makeProject();
  try {
    equal((await cli(dir, ["reproduce", "--only", "total"])).code, 0);
    const r = await cli(dir, ["reproduce", "--only", "total", "--force", "gen"]);
    equal(r.code, 0, r.stderr);
    deepStrictEqual(ran(r.stdout), ["gen"]);
  } finally {
    await removeProject(dir);
  }
});
