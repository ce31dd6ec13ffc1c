/**
 * fetch_mnist's `local` mode through the engine: the directory is the source
 * `mnist_local`, so its files' content (not its path) is in the key.
 */
import { assert, assertEquals } from "./_assert.ts";
import { join } from "node:path";
import { encodeMnistImages, encodeMnistLabels } from "../../lib/data/idx.ts";
import { cli, copyStudy, ran, removeProject } from "../pipeline/helpers.ts";

/** Four small uncompressed IDX files under their official names. */
async function writeSmallMnist(dir: string): Promise<void> {
  let s = 7;
  const noise = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  const set = (name: string, count: number) => {
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
    return [
      [
        `${name}-images-idx3-ubyte`,
        encodeMnistImages(Uint8Array.from({ length: count * 784 }, noise), count),
      ],
      [`${name}-labels-idx1-ubyte`, encodeMnistLabels(labels)],
    ] as const;
  };
  for (const [file, bytes] of [...set("train", 40), ...set("t10k", 20)]) {
    await Deno.writeFile(join(dir, file), bytes);
  }
}

Deno.test("fetch_mnist local: the files' content is in the key, status names the changed file", async () => {
  const study = await copyStudy("study-local-");
  const data = await Deno.makeTempDir({ prefix: "mnist-local-" });
  try {
    await writeSmallMnist(data);
    await Deno.writeTextFile(join(data, "README"), "not part of the source (glob *-ubyte*)\n");
    const yaml = join(study, "pipeline.yaml");
    const original = await Deno.readTextFile(yaml);
    const text = original
      .replace("  mnist_source:\n    value: embedded", "  mnist_source:\n    value: local")
      .replace(
        "  mnist_local_dir:\n    value: null",
        `  mnist_local_dir:\n    value: ${JSON.stringify(data)}`,
      );
    // Both edits must have applied, or this test would quietly run the embedded digits.
    assert(
      text.includes("value: local") && text.includes(JSON.stringify(data)),
      "pipeline.yaml edited",
    );
    await Deno.writeTextFile(yaml, text);
    const only = ["--only", "fetch_mnist"];
    const first = await cli(study, ["reproduce", ...only]);
    assertEquals(first.code, 0, first.stdout + first.stderr);
    assertEquals(ran(first.stdout), ["fetch_mnist"]);

    // A file outside the glob changes nothing.
    await Deno.writeTextFile(join(data, "README"), "edited\n");
    const same = await cli(study, ["reproduce", ...only]);
    assertEquals(ran(same.stdout), [], same.stdout);

    // One byte of the training labels: status names the file, reproduce reruns the step.
    const labels = join(data, "train-labels-idx1-ubyte");
    const bytes = await Deno.readFile(labels);
    bytes[8] = (bytes[8] + 1) % 10;
    await Deno.writeFile(labels, bytes);
    const st = await cli(study, ["status"]);
    assert(
      new RegExp(`fetch_mnist +would run +source changed: ${labels}`).test(st.stdout),
      st.stdout,
    );
    const again = await cli(study, ["reproduce", ...only]);
    assertEquals(again.code, 0, again.stdout + again.stderr);
    assertEquals(ran(again.stdout), ["fetch_mnist"]);
  } finally {
    await removeProject(study);
    await removeProject(data);
  }
});
