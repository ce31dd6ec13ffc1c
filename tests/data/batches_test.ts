import { assert, assertEquals, assertThrows } from "./_assert.ts";
import {
  shuffleInPlace,
  stratifiedBatches,
  stratifiedFoldAllocation,
} from "../../lib/data/batches.ts";
import { lcg, replay } from "./_lcg.ts";
import { Prng } from "../../lib/util/prng.ts";

/** Labels with uneven classes: class c has 50 + 13c samples, in a scrambled order. */
function unevenLabels(): Uint8Array {
  const out: number[] = [];
  for (let c = 0; c < 10; c++) for (let i = 0; i < 50 + 13 * c; i++) out.push(c);
  shuffleInPlace(out, lcg(99));
  return Uint8Array.from(out);
}

Deno.test("Fisher-Yates: j = floor(u * (i + 1)) for i from n-1 down to 1, by hand", () => {
  // i=3: u=0 -> j=0, swap 3<->0: [3,1,2,0]; i=2: u=0.5 -> j=1: [3,2,1,0]; i=1: u=0.99 -> j=1.
  assertEquals(shuffleInPlace([0, 1, 2, 3], replay([0, 0.5, 0.99])), [3, 2, 1, 0]);
  // i=2: u=0.9 -> j=2 (no swap); i=1: u=0.2 -> j=0: [1,0,2].
  assertEquals(shuffleInPlace(Int32Array.of(0, 1, 2), replay([0.9, 0.2])), Int32Array.of(1, 0, 2));
  assertEquals(shuffleInPlace([7], replay([])), [7]);
  assertThrows(() => shuffleInPlace([1, 2], replay([1])), Error, "outside [0, 1)");
});

/** Hand-computed reference of scikit-learn's allocation: per fold, class counts of y_sorted[i::K]. */
function roundRobin(encodedSorted: number[], classes: number, K: number): number[][] {
  return Array.from({ length: K }, (_, i) => {
    const row = new Array(classes).fill(0);
    for (let j = i; j < encodedSorted.length; j += K) row[encodedSorted[j]]++;
    return row;
  });
}

Deno.test("fold allocation: scikit-learn's rule on hand-computed cases", () => {
  // Classes by first appearance: 1, 0, 2 (counts 2, 3, 1); sorted codes 0,0,1,1,1,2.
  // Fold 0 takes positions 0, 2, 4 -> codes 0, 1, 1; fold 1 takes 1, 3, 5 -> 0, 1, 2.
  assertEquals(stratifiedFoldAllocation(Uint8Array.of(1, 1, 0, 0, 0, 2), 2), {
    classes: [1, 0, 2],
    allocation: [[1, 2, 0], [1, 1, 1]],
  });
  // 7 samples, 3 folds: sorted codes 0,0,0,0,1,1,1; fold 0: positions 0,3,6 -> 0,0,1;
  // fold 1: 1,4 -> 0,1; fold 2: 2,5 -> 0,1. Sizes 3, 2, 2 (differ by at most one).
  assertEquals(stratifiedFoldAllocation(Uint8Array.of(5, 5, 7, 5, 7, 5, 7), 3), {
    classes: [5, 7],
    allocation: [[2, 1], [1, 1], [1, 1]],
  });
  // One fold takes everything.
  assertEquals(stratifiedFoldAllocation(Uint8Array.of(3, 1, 3), 1).allocation, [[2, 1]]);
  assertThrows(() => stratifiedFoldAllocation(Uint8Array.of(1), 0), Error, "positive integer");
});

Deno.test("fold allocation: equals the round robin over the sorted labels; sizes", () => {
  const labels = unevenLabels();
  const { classes, allocation } = stratifiedFoldAllocation(labels, 7);
  const code = new Map(classes.map((c, k) => [c, k]));
  const sorted = Array.from(labels, (l) => code.get(l)!).sort((a, b) => a - b);
  assertEquals(allocation, roundRobin(sorted, classes.length, 7));
  for (const K of [1, 2, 5, 7, 10, 31, 217]) {
    const sizes = stratifiedFoldAllocation(labels, K).allocation.map((r) =>
      r.reduce((a, b) => a + b, 0)
    );
    assert(Math.max(...sizes) - Math.min(...sizes) <= 1, `K=${K}: sizes ${sizes}`);
    assertEquals(sizes.reduce((a, b) => a + b, 0), labels.length);
  }
});

Deno.test("fold allocation: every fold exactly n / K when K divides n (MNIST's 60 x 1,000)", () => {
  // MNIST's training class counts.
  const counts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
  const labels = new Uint8Array(60000);
  let at = 0;
  counts.forEach((c, k) => labels.fill(k, at, at += c));
  shuffleInPlace(labels, lcg(5));
  for (const K of [60, 40, 12]) {
    for (const row of stratifiedFoldAllocation(labels, K).allocation) {
      assertEquals(row.reduce((a, b) => a + b, 0), 60000 / K);
    }
  }
  const rows = stratifiedFoldAllocation(labels, 60).allocation;
  // Class proportions: each class count differs from n_c / K by less than one.
  rows.forEach((row) => {
    const classes = stratifiedFoldAllocation(labels, 60).classes;
    row.forEach((v, k) => assert(Math.abs(v - counts[classes[k]] / 60) < 1));
  });
});

Deno.test("stratified batches: the allocation's class counts, every sample once", () => {
  const labels = unevenLabels();
  const n = labels.length; // 1085
  for (const batchSize of [100, 64, 1000, 5000, 1]) {
    const batches = stratifiedBatches(labels, batchSize, lcg(1001));
    const K = Math.max(1, Math.round(n / batchSize));
    assertEquals(batches.length, K);
    const { classes, allocation } = stratifiedFoldAllocation(labels, K);
    const seen = new Uint8Array(n);
    batches.forEach((batch, k) => {
      const per = new Map<number, number>();
      for (const i of batch) {
        seen[i]++;
        per.set(labels[i], (per.get(labels[i]) ?? 0) + 1);
      }
      classes.forEach((c, j) =>
        assertEquals(per.get(c) ?? 0, allocation[k][j], `batch ${k} class ${c} (size ${batchSize})`)
      );
      assert(batch.every((v, i) => i === 0 || v > batch[i - 1]), "ascending, as indices[mask]");
    });
    assert(seen.every((v) => v === 1), "every sample exactly once");
  }
});

Deno.test("stratified batches: K = max(1, round(n / batchSize)), halves up", () => {
  const labels = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 3);
  assertEquals(stratifiedBatches(labels(40), 100, lcg(1)).length, 1);
  assertEquals(stratifiedBatches(labels(50), 100, lcg(1)).length, 1);
  assertEquals(stratifiedBatches(labels(1050), 100, lcg(1)).length, 11);
  assertEquals(stratifiedBatches(labels(1049), 100, lcg(1)).length, 10);
  assertEquals(stratifiedBatches(new Uint8Array(0), 10, lcg(1)), [new Int32Array(0)]);
  assertThrows(() => stratifiedBatches(labels(5), 0, lcg(1)), Error, "positive integer");
});

Deno.test("stratified batches: a function of the rng state; folds are shuffled", () => {
  const labels = unevenLabels();
  const a = stratifiedBatches(labels, 100, lcg(7));
  assertEquals(stratifiedBatches(labels, 100, lcg(7)), a);
  const b = stratifiedBatches(labels, 100, lcg(8));
  assert(JSON.stringify(a) !== JSON.stringify(b), "another seed, other batches");
  // Not blocks of consecutive samples of a class: batch 0 holds samples from all over the set.
  assert(a[0][a[0].length - 1] - a[0][0] > labels.length / 2, "batch 0 spans the set");
  // Draws: n_c - 1 per class shuffle of its fold numbers, nothing else.
  let draws = 0;
  const counting = { nextFloat64: () => (draws++, 0.5) };
  stratifiedBatches(labels, 100, counting);
  assertEquals(draws, labels.length - 10);
});

Deno.test("stratified batches accept the project's PRNG (lib/util/prng.ts)", () => {
  const labels = unevenLabels();
  const a = stratifiedBatches(labels, 100, Prng.from(1001, "shuffle"));
  assertEquals(a, stratifiedBatches(labels, 100, Prng.from(1001, "shuffle")));
  assertEquals(a.reduce((s, b) => s + b.length, 0), labels.length);
});
