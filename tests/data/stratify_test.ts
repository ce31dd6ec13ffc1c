import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { apportion, classMembers, stratifiedSubset } from "../../lib/data/stratify.ts";
import { lcg, replay } from "./_lcg.ts";

Deno.test("apportion: largest remainders, exact total, ties to the smaller class", () => {
  const embedded = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
  assertEquals(apportion(embedded, 2000), [200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
  assertEquals(apportion([1, 1, 1], 2), [1, 1, 0]);
  assertEquals(apportion([5, 3, 2], 10), [5, 3, 2]);
  assertEquals(apportion([5, 3, 2], 0), [0, 0, 0]);
  assertEquals(apportion([2, 7], 3), [1, 2]); // 0.67 -> 0 + 1, 2.33 -> 2
  assertThrows(() => apportion([1, 2], 4), Error, "cannot take 4 of 3");
});

Deno.test("stratified subset: hand example of the draw order", () => {
  // Quotas [2, 2]. Class 0 [0, 1, 2]: i=2, u=0 -> j=0: [2, 1, 0]; i=1, u=0.9 -> j=1: keep {2, 1}.
  // Class 1 [3, 4, 5]: i=2, u=0.5 -> j=1: [3, 5, 4]; i=1, u=0 -> j=0: [5, 3, 4]; keep {5, 3}.
  const s = stratifiedSubset(Uint8Array.of(0, 0, 0, 1, 1, 1), 4, replay([0, 0.9, 0.5, 0]));
  assertEquals(Array.from(s), [1, 2, 3, 5]);
});

Deno.test("stratified subset: proportional quotas, ascending, deterministic", () => {
  const labels = Uint8Array.from({ length: 1000 }, (_, i) => (i < 500 ? 0 : i < 800 ? 1 : 2));
  const s = stratifiedSubset(labels, 100, lcg(5));
  assertEquals(s.length, 100);
  const per = [0, 0, 0];
  s.forEach((i) => per[labels[i]]++);
  assertEquals(per, [50, 30, 20]);
  assert(s.every((v, k) => k === 0 || v > s[k - 1]), "ascending, no repeats");
  assertEquals(stratifiedSubset(labels, 100, lcg(5)), s);
  assert(JSON.stringify(stratifiedSubset(labels, 100, lcg(6))) !== JSON.stringify(s));
  assertEquals(stratifiedSubset(labels, 1000, lcg(5)).length, 1000);
  assertThrows(() => stratifiedSubset(labels, 1001, lcg(5)), Error, "cannot take 1001 of 1000");
  assertThrows(() => stratifiedSubset(labels, 2, lcg(5)), Error, "too few to keep class 2");
  assertEquals(classMembers(Uint8Array.of(1, 0, 1)), [[1], [0, 2]]);
});
