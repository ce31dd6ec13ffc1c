import { assertEquals, assertThrows } from "./_assert.ts";
import { cutPatch, layoutForPatchCount, patchLayout } from "../../lib/data/patches.ts";

Deno.test("patch offsets for P = 4, 9, 16 are the paper's (r outer, c inner)", () => {
  const grid = (S: number[]) => S.flatMap((r) => S.map((c) => [r, c]));
  const cases: [number, number, number[]][] = [
    [4, 6, [0, 6]],
    [9, 3, [0, 3, 6]],
    [16, 2, [0, 2, 4, 6]],
  ];
  for (const [P, s, S] of cases) {
    const l = layoutForPatchCount(P);
    assertEquals([l.n, l.k, l.s, l.count, l.perSide], [14, 8, s, P, S.length]);
    assertEquals(l.offsets, grid(S));
    assertEquals(patchLayout(14, 8, s).offsets, grid(S));
  }
});

Deno.test("a layout that does not tile the image is an error", () => {
  assertThrows(() => patchLayout(14, 8, 4), Error, "does not fit");
  assertThrows(() => patchLayout(14, 15, 1), Error, "larger than the image");
  assertThrows(() => layoutForPatchCount(25), Error, "integer stride"); // 5 windows of 8 over 14
  assertThrows(() => layoutForPatchCount(5), Error, "not a perfect square");
  assertThrows(() => patchLayout(14, 8, 0), Error, "positive integer");
});

Deno.test("cutPatch: hand example on images whose pixels hold their own index", () => {
  const l = layoutForPatchCount(4);
  const images = Float64Array.from({ length: 2 * 196 }, (_, i) => i);
  const out = cutPatch(l, images, 2, 3, new Float64Array(2 * 64)); // patch 3: corner (6, 6)
  // Feature (a, b) of the window is pixel (6 + a) * 14 + (6 + b).
  assertEquals(out[0], 90);
  assertEquals(out[7], 97);
  assertEquals(out[8], 104);
  assertEquals(out[63], 195);
  assertEquals(out[64], 196 + 90); // the second image
  const p1 = cutPatch(layoutForPatchCount(9), images, 1, 1, new Float32Array(64)); // corner (0, 3)
  assertEquals(Array.from(p1.subarray(0, 9)), [3, 4, 5, 6, 7, 8, 9, 10, 17]);
});
