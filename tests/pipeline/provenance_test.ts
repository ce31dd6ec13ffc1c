/** Integration: the engine tells a step what produced its inputs, and that never enters a key. */
import { deepStrictEqual, equal, notEqual } from "node:assert/strict";
import { canonicalJson } from "../../lib/pipeline/keys/canonical_json.ts";
import { sha256Hex } from "../../lib/pipeline/keys/hash.ts";
import {
  appendTo,
  cli,
  currentRecord,
  makeProject,
  outputText,
  ran,
  removeProject,
  replaceIn,
} from "./helpers.ts";

const LINEAGE = `  lineage:
    module: steps/lineage.ts
    inputs: { total: total.total }
    outputs: { upstream: upstream.json }
profiles:
`;

Deno.test("provenance: upstream records reach the context, transitively, outside the key", async () => {
  const dir = await makeProject();
  try {
    await replaceIn(dir, "pipeline.yaml", "profiles:\n", LINEAGE);
    const only = ["--only", "lineage"];
    equal((await cli(dir, ["reproduce", ...only])).code, 0);
    const ids = ["gen", "square[k=1]", "square[k=2]", "square[k=3]", "total"];
    const expected = async () =>
      await Promise.all(ids.map(async (id) => {
        const rec = await currentRecord(dir, id);
        return {
          id,
          step: rec.step,
          key: rec.key,
          code: sha256Hex(canonicalJson(rec.parts.code)),
          npm: rec.parts.npm,
        };
      }));
    const first = await expected();
    // Every upstream instance, each after what it reads.
    deepStrictEqual(JSON.parse(await outputText(dir, "lineage", "upstream")), first);
    const lineage = await currentRecord(dir, "lineage");
    deepStrictEqual(Object.keys(lineage.parts).sort(), [
      "code",
      "engine",
      "inputs",
      "npm",
      "params",
    ]);

    // A code edit upstream that leaves gen's bytes as they were: gen reruns (new key, new code
    // hash), so the provenance downstream changes, but no downstream key does.
    await appendTo(dir, "steps/gen.ts", "// a comment changes the code hash, not the output\n");
    const r = await cli(dir, ["reproduce", ...only]);
    equal(r.code, 0, r.stderr);
    deepStrictEqual(ran(r.stdout), ["gen"]);
    const gen = await currentRecord(dir, "gen");
    notEqual(gen.key, first[0].key);
    equal((await currentRecord(dir, "square[k=1]")).key, first[1].key);
    equal((await currentRecord(dir, "lineage")).key, lineage.key);

    // Rerun by force, the step sees the new provenance under the same key.
    const f = await cli(dir, ["reproduce", ...only, "--force", "lineage"]);
    deepStrictEqual(ran(f.stdout), ["lineage"]);
    equal((await currentRecord(dir, "lineage")).key, lineage.key);
    const now = JSON.parse(await outputText(dir, "lineage", "upstream"));
    deepStrictEqual(now, await expected());
    notEqual(now[0].code, first[0].code);
  } finally {
    await removeProject(dir);
  }
});
