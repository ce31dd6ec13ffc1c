/**
 * Step `preprocess`: MNIST IDX files in, the paper's 14 x 14 angle images
 * out. Every byte becomes `byte / 255 * 2π / 8`, then 2 x 2 blocks are
 * averaged (`lib/data/angle_pooling.ts`: float64, rounded to float32 once).
 *
 * Params: `n_train`, `n_test` (null = every image; else a stratified subset
 * of that size, class proportions kept, `lib/data/stratify.ts`) and
 * `subset_seed` (an integer; the subsets draw from the project PRNG with
 * streams "subset-train" and "subset-test"; unused when both sizes are null).
 *
 * Inputs: `train_images`, `train_labels`, `test_images`, `test_labels`
 * (IDX, `.gz` or not). Outputs: `train_x` (`<f4` [n, 14, 14]), `train_y`
 * (`|u1` [n]), `test_x`, `test_y`.
 *
 * @module
 */

import { runStep, type StepContext, StepError } from "../lib/step/context.ts";
import { readMnistImages, readMnistLabels } from "../lib/data/idx.ts";
import { poolAngles } from "../lib/data/angle_pooling.ts";
import { stratifiedSubset } from "../lib/data/stratify.ts";
import { takeDigits } from "../lib/data/mnist.ts";
import { writeNpy } from "../lib/io/npy.ts";
import { Prng } from "../lib/util/prng.ts";

/** Runs the step. */
export async function main(ctx: StepContext): Promise<void> {
  const sizes = { train: ctx.nullable.int("n_train"), test: ctx.nullable.int("n_test") };
  const seed = sizes.train !== null || sizes.test !== null ? ctx.int("subset_seed") : 0;
  for (const [k, split] of (["train", "test"] as const).entries()) {
    let images: Uint8Array;
    let labels: Uint8Array;
    try {
      const img = await readMnistImages(ctx.input(`${split}_images`));
      labels = await readMnistLabels(ctx.input(`${split}_labels`));
      if (img.count !== labels.length) {
        throw new Error(
          `${split}: ${img.count} images but ${labels.length} labels ` +
            `(${ctx.input(`${split}_images`)}, ${ctx.input(`${split}_labels`)})`,
        );
      }
      images = img.data;
      const n = sizes[split];
      if (n !== null && n !== labels.length) {
        const pick = stratifiedSubset(labels, n, Prng.from(seed, `subset-${split}`));
        ({ images, labels } = takeDigits({ images, labels }, pick));
      }
    } catch (e) {
      if (e instanceof StepError) throw e;
      throw new StepError(`${ctx.id}: ${(e as Error).message}`);
    }
    const x = poolAngles(images, labels.length);
    await writeNpy(ctx.output(`${split}_x`), x, [labels.length, 14, 14]);
    await writeNpy(ctx.output(`${split}_y`), labels, [labels.length]);
    ctx.log(`${split}: ${labels.length} images, per class [${classCounts(labels).join(", ")}]`);
    ctx.progress((k + 1) / 2, `${split} done`);
  }
}

function classCounts(labels: Uint8Array): number[] {
  const c = new Array(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

if (import.meta.main) await runStep(main);
