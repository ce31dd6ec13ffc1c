import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { main } from "../../steps/preprocess.ts";
import { StepError } from "../../lib/step/context.ts";
import { encodeMnistImages, encodeMnistLabels } from "../../lib/data/idx.ts";
import { gzip } from "../../lib/data/gzip.ts";
import { poolAngles } from "../../lib/data/angle_pooling.ts";
import { readNpy } from "../../lib/io/npy.ts";
import { inTempDir, testContext } from "./_step.ts";

const OUTPUTS = { train_x: ".npy", train_y: ".npy", test_x: ".npy", test_y: ".npy" };

/** Writes a small set (`nTrain`, `nTest` images; label i % 10) and returns the raw bytes. */
async function writeSet(dir: string, nTrain: number, nTest: number) {
  const set: Record<string, { images: Uint8Array; labels: Uint8Array }> = {};
  const inputs: Record<string, string> = {};
  for (const [split, n] of [["train", nTrain], ["test", nTest]] as const) {
    const images = Uint8Array.from({ length: n * 784 }, (_, i) => (i * 17 + n) % 256);
    for (let j = 0; j < n; j++) images[j * 784] = j; // every image distinct
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    set[split] = { images, labels };
    // The training images arrive gzipped, the rest plain: both are accepted.
    const img = encodeMnistImages(images, n);
    inputs[`${split}_images`] = `${dir}/${split}-images`;
    inputs[`${split}_labels`] = `${dir}/${split}-labels`;
    await Deno.writeFile(inputs[`${split}_images`], split === "train" ? await gzip(img) : img);
    await Deno.writeFile(inputs[`${split}_labels`], encodeMnistLabels(labels));
  }
  return { set, inputs };
}

Deno.test("preprocess step: every image, float32 angles pooled, labels as u1", async () => {
  await inTempDir(async (dir) => {
    const { set, inputs } = await writeSet(dir, 40, 20);
    const { ctx } = await testContext(
      dir,
      "preprocess",
      { n_train: null, n_test: null, subset_seed: null },
      inputs,
      OUTPUTS,
    );
    await main(ctx);
    const x = await readNpy(`${dir}/out/train_x.npy`, "f4");
    assertEquals(x.shape, [40, 14, 14]);
    assertEquals(x.data, poolAngles(set.train.images, 40));
    const y = await readNpy(`${dir}/out/test_y.npy`, "u1");
    assertEquals(y.shape, [20]);
    assertEquals(y.data, set.test.labels);
    assertEquals((await readNpy(`${dir}/out/test_x.npy`, "f4")).shape, [20, 14, 14]);
  });
});

Deno.test("preprocess step: stratified subsets, deterministic in subset_seed", async () => {
  await inTempDir(async (dir) => {
    const { set, inputs } = await writeSet(dir, 100, 50);
    const run = async (seed: number) => {
      const { ctx } = await testContext(
        dir,
        "preprocess",
        { n_train: 30, n_test: 10, subset_seed: seed },
        inputs,
        OUTPUTS,
      );
      await main(ctx);
      return {
        x: (await readNpy(`${dir}/out/train_x.npy`, "f4")).data,
        y: (await readNpy(`${dir}/out/train_y.npy`, "u1")).data,
        ty: (await readNpy(`${dir}/out/test_y.npy`, "u1")).data,
      };
    };
    const a = await run(1001);
    assertEquals(a.y.length, 30);
    assertEquals(a.ty.length, 10);
    const per = new Array(10).fill(0);
    a.y.forEach((l) => per[l]++);
    assertEquals(per, new Array(10).fill(3));
    // Each kept image is one of the inputs, pooled, with its own label.
    const pooled = poolAngles(set.train.images, 100);
    for (let k = 0; k < 30; k++) {
      const row = a.x.subarray(k * 196, (k + 1) * 196);
      const i = [...Array(100).keys()].find((j) => row.every((v, p) => v === pooled[j * 196 + p]));
      assert(i !== undefined && set.train.labels[i] === a.y[k], `image ${k}`);
    }
    assertEquals(await run(1001), a);
    assert(JSON.stringify(Array.from((await run(7)).x)) !== JSON.stringify(Array.from(a.x)));
  });
});

Deno.test("preprocess step: bad params and inputs are clear errors", async () => {
  await inTempDir(async (dir) => {
    const { inputs } = await writeSet(dir, 20, 10);
    const ctxFor = async (params: Record<string, unknown>, ins = inputs) =>
      (await testContext(dir, "preprocess", params, ins, OUTPUTS)).ctx;
    await assertRejects(
      async () => main(await ctxFor({ n_train: 10, n_test: null, subset_seed: null })),
      StepError,
      "'subset_seed' must be an integer, got null",
    );
    await assertRejects(
      async () => main(await ctxFor({ n_train: 50, n_test: null, subset_seed: 1 })),
      StepError,
      "cannot take 50 of 20",
    );
    // Ranges (n_train >= 1) are pipeline.yaml's declared types, checked before anything runs.
    await assertRejects(
      async () => main(await ctxFor({ n_train: 2.5, n_test: null, subset_seed: 1 })),
      StepError,
      "'n_train' must be null or an integer, got 2.5",
    );
    const swapped = { ...inputs, train_labels: inputs.test_labels };
    await assertRejects(
      async () => main(await ctxFor({ n_train: null, n_test: null, subset_seed: null }, swapped)),
      StepError,
      "train: 20 images but 10 labels",
    );
  });
});
