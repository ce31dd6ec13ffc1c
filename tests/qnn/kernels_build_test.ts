import { ok } from "node:assert/strict";
import { buildKernels, ENTRY, OUTPUT } from "../../kernels/build.ts";
import { generateEntry } from "../../kernels/generate.ts";

Deno.test("kernels: the committed kernels/build/qnn.wasm is byte-identical to a fresh build from source", async () => {
  const fresh = await buildKernels();
  const committed = await Deno.readFile(OUTPUT);
  ok(
    fresh.length === committed.length && fresh.every((b, i) => b === committed[i]),
    `kernels/build/qnn.wasm (${committed.length} bytes) differs from a fresh build (${fresh.length} bytes): ` +
      "run `deno run -A kernels/build.ts` and commit the result",
  );
});

Deno.test("kernels: the committed entry kernels/assembly/qnn.ts is the output of kernels/generate.ts", async () => {
  ok(
    (await Deno.readTextFile(ENTRY)) === await generateEntry(),
    "kernels/assembly/qnn.ts is stale: run `deno run -A kernels/build.ts` and commit the result",
  );
});
