/**
 * Loss and accuracy of a model over a (possibly large) labelled set.
 *
 * @module
 */

import { countCorrect, crossEntropySum } from "./loss.ts";
import type { Simulator } from "./simulator.ts";

/** Mean softmax cross-entropy and accuracy of `params` on `images` (n x 196) and `labels`. */
export async function evaluate(
  sim: Simulator,
  params: Float64Array,
  images: Float32Array | Float64Array,
  labels: Uint8Array,
): Promise<{ loss: number; accuracy: number }> {
  const logits = await sim.forward(params, images);
  const n = labels.length;
  if (logits.length !== n * 10) {
    throw new Error(`evaluate: ${labels.length} labels for ${logits.length / 10} images`);
  }
  if (n === 0) return { loss: NaN, accuracy: NaN };
  return { loss: crossEntropySum(logits, labels) / n, accuracy: countCorrect(logits, labels) / n };
}
