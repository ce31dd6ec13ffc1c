/**
 * `best.json` of step `train`: the minimum-training-loss epoch of one
 * training run, with the run's identity and sizes.
 *
 * @module
 */

import { jsonText, num, parseJsonObject, readText } from "./file_checks.ts";

/** `best.json`: the minimum-training-loss epoch of one training run. */
export interface Best {
  P: number;
  d: number;
  seed: number;
  n_params: number;
  n_qnn_params: number;
  epoch: number;
  train_loss: number;
  train_acc: number;
  test_loss: number;
  test_acc: number;
  epochs: number;
  n_train: number;
  n_test: number;
}

/** The fields of `best.json`, in the order they are written. */
export const BEST_FIELDS = [
  "P",
  "d",
  "seed",
  "n_params",
  "n_qnn_params",
  "epoch",
  "train_loss",
  "train_acc",
  "test_loss",
  "test_acc",
  "epochs",
  "n_train",
  "n_test",
] as const satisfies readonly (keyof Best)[];

/** The text of `best.json` (fields in the documented order, whatever the object's own order). */
export function bestJson(best: Best): string {
  const ordered: Record<string, number> = {};
  for (const k of BEST_FIELDS) ordered[k] = best[k];
  return jsonText(ordered);
}

/**
 * Writes `best.json`.
 *
 * @example
 * ```ts
 * await writeBest(ctx.output("best"), { P: 4, d: 2, seed: 1001, ...rest });
 * ```
 */
export async function writeBest(path: string, best: Best): Promise<void> {
  await Deno.writeTextFile(path, bestJson(best));
}

/** Parses and checks the text of `best.json` (every field a number). */
export function parseBest(text: string, path: string): Best {
  const o = parseJsonObject(text, path);
  const b: Record<string, number> = {};
  for (const k of BEST_FIELDS) b[k] = num(o, k, path);
  return b as unknown as Best;
}

/**
 * Reads and checks `best.json`.
 *
 * @example
 * ```ts
 * const { epoch } = await readBest(ctx.input("best"));
 * ```
 */
export async function readBest(path: string): Promise<Best> {
  return parseBest(await readText(path), path);
}
