/**
 * Reading the preprocessed training set that several steps evaluate on.
 *
 * @module
 */

import { gatherImages, gatherLabels } from "../lib/data/gather.ts";
import { stratifiedSubset } from "../lib/data/stratify.ts";
import { readNpy } from "../lib/io/npy.ts";
import type { StepContext } from "../lib/step/context.ts";
import { Prng } from "../lib/util/prng.ts";

/**
 * The `train_x` / `train_y` inputs, or a seeded stratified subset of
 * `samples` of them (class proportions kept) when `samples` is smaller than
 * the set; `stream` names the subset's PRNG stream, so each step draws its own.
 */
export async function readTrainingSet(
  ctx: StepContext,
  samples: number | null,
  seed: number,
  stream: string,
): Promise<{ images: Float32Array; labels: Uint8Array }> {
  const images = (await readNpy(ctx.input("train_x"), "f4")).data;
  const labels = (await readNpy(ctx.input("train_y"), "u1")).data;
  if (samples === null || samples >= labels.length) return { images, labels };
  const pick = stratifiedSubset(labels, samples, Prng.from(seed, stream));
  return { images: gatherImages(images, pick), labels: gatherLabels(labels, pick) };
}
