/**
 * Softmax cross-entropy over 10 classes: the loss, its gradient w.r.t. the logits (the cotangent
 * fed to the simulator's backward pass) and accuracy. Logits are n x 10, row-major.
 *
 * @module
 */

import { CLASSES } from "./spec.ts";

function checkLabels(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = logits.length / CLASSES;
  if (!Number.isInteger(n) || labels.length !== n) {
    throw new Error(
      `loss: ${logits.length} logits do not match ${labels.length} labels (10 classes each)`,
    );
  }
  return n;
}

/** log(sum_o exp(logits[row*10+o])), computed stably. */
function logSumExp(logits: ArrayLike<number>, row: number): number {
  let m = -Infinity;
  for (let o = 0; o < CLASSES; o++) m = Math.max(m, logits[row * CLASSES + o]);
  let s = 0;
  for (let o = 0; o < CLASSES; o++) s += Math.exp(logits[row * CLASSES + o] - m);
  return m + Math.log(s);
}

/** Sum (not mean) over rows of -log softmax(logits)[label]; rows summed in order. */
export function crossEntropySum(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = checkLabels(logits, labels);
  let total = 0;
  for (let b = 0; b < n; b++) total += logSumExp(logits, b) - logits[b * CLASSES + labels[b]];
  return total;
}

/** d(sum of CE / denominator)/d logits = (softmax - onehot) / denominator, written to `out`. */
export function crossEntropyCotangent(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  denominator: number,
  out: Float64Array = new Float64Array(logits.length),
): Float64Array {
  const n = checkLabels(logits, labels);
  for (let b = 0; b < n; b++) {
    const lse = logSumExp(logits, b);
    for (let o = 0; o < CLASSES; o++) {
      const i = b * CLASSES + o;
      out[i] = (Math.exp(logits[i] - lse) - (labels[b] === o ? 1 : 0)) / denominator;
    }
  }
  return out;
}

/** Mean softmax cross-entropy and its gradient w.r.t. the logits. */
export function softmaxCrossEntropy(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
): { loss: number; dlogits: Float64Array } {
  const n = checkLabels(logits, labels);
  return {
    loss: crossEntropySum(logits, labels) / n,
    dlogits: crossEntropyCotangent(logits, labels, n),
  };
}

/** Rows whose largest logit (first one on ties) is the label. */
export function countCorrect(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = checkLabels(logits, labels);
  let correct = 0;
  for (let b = 0; b < n; b++) {
    let best = 0;
    for (let o = 1; o < CLASSES; o++) {
      if (logits[b * CLASSES + o] > logits[b * CLASSES + best]) best = o;
    }
    if (best === labels[b]) correct++;
  }
  return correct;
}

/** Fraction of rows classified correctly. */
export function accuracy(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = checkLabels(logits, labels);
  return n === 0 ? 0 : countCorrect(logits, labels) / n;
}

/**
 * The Hessian of sum_b CE_b / denominator w.r.t. the logits applied to t (n x 10), row by row:
 * (diag(p_b) - p_b p_b^T) t_b / denominator with p_b = softmax(logits_b). With t = J v this is the
 * middle factor of a Gauss-Newton product J^T H J v (jvp, this, then vjp).
 */
export function crossEntropyHessianProduct(
  logits: ArrayLike<number>,
  t: ArrayLike<number>,
  denominator: number,
  out: Float64Array = new Float64Array(logits.length),
): Float64Array {
  if (t.length !== logits.length) {
    throw new Error(`loss: t has length ${t.length}, expected ${logits.length}`);
  }
  const n = logits.length / CLASSES;
  const p = new Float64Array(CLASSES);
  for (let b = 0; b < n; b++) {
    const lse = logSumExp(logits, b);
    let pt = 0;
    for (let o = 0; o < CLASSES; o++) {
      p[o] = Math.exp(logits[b * CLASSES + o] - lse);
      pt += p[o] * t[b * CLASSES + o];
    }
    for (let o = 0; o < CLASSES; o++) {
      out[b * CLASSES + o] = (p[o] * (t[b * CLASSES + o] - pt)) / denominator;
    }
  }
  return out;
}

/** The per-chunk cotangent a backward pass asks for: (all logits, first sample, count, out). */
export type CotangentOf = (all: Float64Array, start: number, nb: number, out: Float64Array) => void;

/**
 * The mean cross-entropy over a whole batch as a backward pass's per-chunk
 * cotangent, with the labels checked first (one label per image, each 0-9);
 * `loss()` is the mean once every chunk has been seen.
 *
 * @example
 * ```ts
 * const ce = crossEntropyOverChunks(labels, n);
 * const { grad } = await backprop(params, images, ce.cotangent);
 * const loss = ce.loss();
 * ```
 */
export function crossEntropyOverChunks(
  labels: Uint8Array,
  n: number,
): { cotangent: CotangentOf; loss: () => number } {
  if (n === 0) throw new Error("simulator: lossGrad needs at least one image");
  if (labels.length !== n) throw new Error(`simulator: ${labels.length} labels for ${n} images`);
  for (let b = 0; b < n; b++) {
    if (labels[b] > 9) throw new Error(`simulator: label ${labels[b]} at ${b} is not in 0..9`);
  }
  let total = 0;
  return {
    cotangent: (all, start, nb, out) => {
      const part = all.subarray(start * CLASSES, (start + nb) * CLASSES);
      const lab = labels.subarray(start, start + nb);
      total += crossEntropySum(part, lab);
      crossEntropyCotangent(part, lab, n, out);
    },
    loss: () => total / n,
  };
}

/**
 * A fixed cotangent of n x 10 logits (`Simulator.vjp`) as the per-chunk callback, checked first.
 *
 * @example
 * ```ts
 * const cot = givenCotangent(u, n); // throws unless u.length === n * 10
 * ```
 */
export function givenCotangent(cotangent: Float64Array, n: number): CotangentOf {
  if (cotangent.length !== n * CLASSES) {
    throw new Error(`simulator: cotangent has length ${cotangent.length}, expected ${n * CLASSES}`);
  }
  return (_all, start, nb, out) => {
    out.set(cotangent.subarray(start * CLASSES, (start + nb) * CLASSES));
  };
}
