import { assert, assertEquals, assertThrows } from "./_assert.ts";
import {
  apportion,
  classMembers,
  mix32,
  seededOrder,
  stratifiedSubset,
} from "../../lib/data/stratify.ts";

Deno.test("apportion: largest remainders, exact total, ties to the smaller class", () => {
  const embedded = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
  assertEquals(apportion(embedded, 2000), [200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
  assertEquals(apportion([1, 1, 1], 2), [1, 1, 0]);
  assertEquals(apportion([5, 3, 2], 10), [5, 3, 2]);
  assertEquals(apportion([5, 3, 2], 0), [0, 0, 0]);
  assertEquals(apportion([2, 7], 3), [1, 2]); // 0.67 -> 0 + 1, 2.33 -> 2
  assertThrows(() => apportion([1, 2], 4), Error, "cannot take 4 of 3");
});

Deno.test("seeded order: a permutation, pinned values, other seeds give other orders", () => {
  assertEquals([mix32(0), mix32(1), mix32(1001)], [0, 1753845952, 1659481049]);
  // Pinned against an independent Python implementation of the same rule.
  const o = seededOrder(10, 1001);
  assertEquals(Array.from(o), [2, 4, 5, 0, 9, 6, 1, 8, 3, 7]);
  const big = seededOrder(5000, 42);
  assertEquals(Array.from(big).sort((a, b) => a - b), Array.from({ length: 5000 }, (_, i) => i));
  assert(
    JSON.stringify(Array.from(seededOrder(50, 1))) !==
      JSON.stringify(Array.from(seededOrder(50, 2))),
  );
  assertThrows(() => seededOrder(3, -1), Error, "seed must be an integer");
});

Deno.test("stratified subset: proportional quotas, ascending, deterministic", () => {
  const labels = Uint8Array.from({ length: 1000 }, (_, i) => (i < 500 ? 0 : i < 800 ? 1 : 2));
  const s = stratifiedSubset(labels, 100, 5);
  assertEquals(s.length, 100);
  const per = [0, 0, 0];
  s.forEach((i) => per[labels[i]]++);
  assertEquals(per, [50, 30, 20]);
  assert(s.every((v, k) => k === 0 || v > s[k - 1]), "ascending, no repeats");
  assertEquals(stratifiedSubset(labels, 100, 5), s);
  assert(JSON.stringify(stratifiedSubset(labels, 100, 6)) !== JSON.stringify(s));
  assertEquals(stratifiedSubset(labels, 1000, 5).length, 1000);
  assertThrows(() => stratifiedSubset(labels, 1001, 5), Error, "cannot take 1001 of 1000");
  assertThrows(() => stratifiedSubset(labels, 2, 5), Error, "too few to keep class 2");
  assertEquals(classMembers(Uint8Array.of(1, 0, 1)), [[1], [0, 2]]);
});
