import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import { gunzip, gzip, isGzip } from "../../lib/data/gzip.ts";
import {
  decodeIdx,
  decodeMnistImages,
  decodeMnistLabels,
  encodeIdx,
  encodeMnistImages,
  encodeMnistLabels,
  readMnistImages,
  readMnistLabels,
} from "../../lib/data/idx.ts";

function images(count: number): Uint8Array {
  return Uint8Array.from({ length: count * 784 }, (_, i) => (i * 31 + 7) % 256);
}

Deno.test("idx: header bytes are exactly the MNIST layout", () => {
  const lab = encodeMnistLabels(new Uint8Array([3, 1, 4]));
  assertEquals(Array.from(lab), [0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4]);
  const img = encodeMnistImages(new Uint8Array(2 * 784), 2);
  assertEquals(Array.from(img.subarray(0, 16)), [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]);
  assertEquals(img.length, 16 + 2 * 784);
});

Deno.test("idx: round trip of images, labels and a generic array", () => {
  const data = images(5);
  const dec = decodeMnistImages(encodeMnistImages(data, 5));
  assertEquals([dec.count, dec.rows, dec.cols], [5, 28, 28]);
  assertEquals(dec.data, data);
  const labels = Uint8Array.from({ length: 1000 }, (_, i) => i % 10);
  assertEquals(decodeMnistLabels(encodeMnistLabels(labels)), labels);
  const generic = Uint8Array.from({ length: 2 * 3 * 5 * 7 }, (_, i) => i);
  const g = decodeIdx(encodeIdx(generic, [2, 3, 5, 7]));
  assertEquals(g.dims, [2, 3, 5, 7]);
  assertEquals(g.data, generic);
  // Dimensions above 2^16 survive the big-endian encoding.
  const long = new Uint8Array(70000);
  assertEquals(decodeIdx(encodeIdx(long, [70000])).dims, [70000]);
});

Deno.test("idx: truncated, oversized and corrupt files are rejected, naming file and fault", () => {
  const good = encodeMnistImages(images(3), 3);
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(0), /f\.idx: .*too short/],
    ["header cut", good.slice(0, 10), /f\.idx: .*truncated header/],
    ["data cut", good.slice(0, good.length - 1), /f\.idx: .*2352 data bytes.*2351 \(truncated\)/],
    ["trailing", new Uint8Array([...good, 0, 0]), /f\.idx: .*2 trailing bytes/],
    [
      "bad magic",
      Uint8Array.of(1, 2, ...good.subarray(2)),
      /f\.idx: .*magic number 0x01020803.*two zero bytes/,
    ],
    [
      "float dtype",
      Uint8Array.of(0, 0, 0x0d, 3, ...good.subarray(4)),
      /f\.idx: .*type code 0x0d \(float32\)/,
    ],
    ["unknown dtype", Uint8Array.of(0, 0, 0x42, 3, ...good.subarray(4)), /type code 0x42/],
    ["labels file", encodeMnistLabels(new Uint8Array(4)), /not an MNIST image file.*label file/],
  ];
  for (const [name, bytes, re] of cases) {
    const e = assertThrows(() => decodeMnistImages(bytes, "f.idx"), Error);
    assert(re.test(e.message), `${name}: ${e.message}`);
  }
  const small = encodeIdx(new Uint8Array(2 * 20 * 20), [2, 20, 20]);
  small[3] = 3;
  assertThrows(() => decodeMnistImages(small, "f.idx"), Error, "28 x 28, this file has 20 x 20");
});

Deno.test("idx: labels above 9 and an image file read as labels are rejected", () => {
  const bad = encodeIdx(new Uint8Array([1, 2, 10, 3]), [4]);
  assertThrows(() => decodeMnistLabels(bad, "l.idx"), Error, "l.idx: label 2 is 10");
  assertThrows(() => encodeMnistLabels(new Uint8Array([12])), Error, "label 0 is 12");
  const img = encodeMnistImages(images(1), 1);
  assertThrows(() => decodeMnistLabels(img, "l.idx"), Error, "this is an image file");
});

Deno.test("gzip: round trip, and corrupt or truncated streams are errors naming the file", async () => {
  const raw = encodeMnistImages(images(4), 4);
  const z = await gzip(raw);
  assert(isGzip(z) && !isGzip(raw));
  assertEquals(await gunzip(z, "x.gz"), raw);
  await assertRejects(() => gunzip(z.slice(0, z.length >> 1), "x.gz"), Error, "x.gz: corrupt");
  const flipped = z.slice();
  flipped[20] ^= 0xff;
  await assertRejects(() => gunzip(flipped, "x.gz"), Error, "x.gz: corrupt");
  await assertRejects(() => gunzip(raw, "x.gz"), Error, "x.gz: not gzip");
  await assertRejects(() => gunzip(z, "x.gz", 100), Error, "expands beyond 100 bytes");
});

Deno.test("idx files: .gz and plain are both read; a corrupt .gz names the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = images(2);
    const labels = new Uint8Array([7, 9]);
    await Deno.writeFile(`${dir}/i.gz`, await gzip(encodeMnistImages(data, 2)));
    await Deno.writeFile(`${dir}/l`, encodeMnistLabels(labels));
    assertEquals((await readMnistImages(`${dir}/i.gz`)).data, data);
    assertEquals(await readMnistLabels(`${dir}/l`), labels);
    const z = await gzip(encodeMnistLabels(labels));
    await Deno.writeFile(`${dir}/bad.gz`, z.slice(0, z.length - 4));
    await assertRejects(() => readMnistLabels(`${dir}/bad.gz`), Error, `${dir}/bad.gz: corrupt`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
