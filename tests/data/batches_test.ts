import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { shuffleInPlace, stratifiedBatches } from "../../lib/data/batches.ts";
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

Deno.test("stratified batches: class proportions per batch, every sample once", () => {
  const labels = unevenLabels();
  const n = labels.length; // 1085
  const counts = new Array(10).fill(0);
  labels.forEach((l) => counts[l]++);
  for (const batchSize of [100, 64, 1000, 5000, 1]) {
    const batches = stratifiedBatches(labels, batchSize, lcg(1001));
    const K = Math.max(1, Math.round(n / batchSize));
    assertEquals(batches.length, K);
    const seen = new Uint8Array(n);
    batches.forEach((batch, k) => {
      const per = new Array(10).fill(0);
      for (const i of batch) {
        seen[i]++;
        per[labels[i]]++;
      }
      for (let c = 0; c < 10; c++) {
        const want = Math.floor(((k + 1) * counts[c]) / K) - Math.floor((k * counts[c]) / K);
        assertEquals(per[c], want, `batch ${k} class ${c} (batch size ${batchSize})`);
      }
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

Deno.test("stratified batches: a function of the rng state; batches are shuffled", () => {
  const labels = unevenLabels();
  const a = stratifiedBatches(labels, 100, lcg(7));
  assertEquals(stratifiedBatches(labels, 100, lcg(7)), a);
  const b = stratifiedBatches(labels, 100, lcg(8));
  assert(JSON.stringify(a) !== JSON.stringify(b), "another seed, other batches");
  // Within a batch the classes are mixed, not laid out class by class.
  const first = Array.from(a[0], (i) => labels[i]);
  assert(first.some((l, i) => i > 0 && l < first[i - 1]), "batch 0 is not sorted by class");
  // Draws: n_c - 1 per class shuffle, then |batch| - 1 per batch shuffle.
  let draws = 0;
  const counting = { nextFloat64: () => (draws++, 0.5) };
  stratifiedBatches(labels, 100, counting);
  assertEquals(draws, (labels.length - 10) + (labels.length - a.length));
});

Deno.test("stratified batches accept the project's PRNG (lib/util/prng.ts)", () => {
  const labels = unevenLabels();
  const a = stratifiedBatches(labels, 100, Prng.from(1001, "shuffle"));
  assertEquals(a, stratifiedBatches(labels, 100, Prng.from(1001, "shuffle")));
  assertEquals(a.reduce((s, b) => s + b.length, 0), labels.length);
});
