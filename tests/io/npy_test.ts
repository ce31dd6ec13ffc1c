import { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert/strict";
import { decodeNpy, encodeNpy, type NpyData, readNpy, writeNpy } from "../../lib/io/npy.ts";

const makers: Record<string, (n: number) => NpyData> = {
  f4: (n) => Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3.25),
  f8: (n) => Float64Array.from({ length: n }, (_, i) => Math.PI * (i - 2) / 7),
  u1: (n) => Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256),
  i4: (n) => Int32Array.from({ length: n }, (_, i) => (i - 5) * 100003),
  u4: (n) => Uint32Array.from({ length: n }, (_, i) => 0xfffffff0 + (i % 16)),
};
const shapes = [[], [0], [1], [7], [3, 5], [2, 3, 7], [1, 1, 1, 1], [2, 0, 3], [11, 13]];

function headerText(bytes: Uint8Array): string {
  const len = bytes[8] | (bytes[9] << 8);
  return new TextDecoder().decode(bytes.subarray(10, 10 + len));
}

Deno.test("npy: round trip of every dtype and odd shapes, data 64-byte aligned", () => {
  for (const [dtype, make] of Object.entries(makers)) {
    for (const shape of shapes) {
      const data = make(shape.reduce((a, b) => a * b, 1));
      const bytes = encodeNpy(data, shape);
      const len = bytes[8] | (bytes[9] << 8);
      assertEquals((10 + len) % 64, 0, `${dtype} [${shape}] data offset`);
      assert(headerText(bytes).endsWith("\n"));
      const back = decodeNpy(bytes);
      assertEquals(back.dtype, dtype);
      assertEquals(back.shape, shape);
      assertEquals(back.data, data);
    }
  }
});

Deno.test("npy: header text as numpy writes it", () => {
  const h = headerText(encodeNpy(new Float32Array(6), [2, 3]));
  assert(h.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), h);
  assert(headerText(encodeNpy(new Uint8Array(4), [4])).includes("'descr': '|u1'"));
  assert(headerText(encodeNpy(new Float64Array(4), [4])).includes("'shape': (4,)"));
});

Deno.test("npy: shape/data mismatch on encode is an error", () => {
  throws(() => encodeNpy(new Float32Array(5), [2, 3]), /holds 6 values but the data has 5/);
});

Deno.test("npy: truncated, bad magic, trailing bytes and unsupported headers are rejected", () => {
  const good = encodeNpy(makers.f8(12), [3, 4]);
  throws(
    () => decodeNpy(good.slice(0, good.length - 1), "a.npy"),
    /a\.npy: .*expected 96 data bytes/,
  );
  throws(() => decodeNpy(new Uint8Array([...good, 0]), "a.npy"), /a\.npy: .*found 97/);
  throws(() => decodeNpy(good.slice(0, 30), "a.npy"), /a\.npy: .*truncated header/);
  throws(() => decodeNpy(good.slice(0, 5), "a.npy"), /a\.npy: .*magic/);
  const bad = good.slice();
  bad[1] = 0x58;
  throws(() => decodeNpy(bad, "a.npy"), /a\.npy: not a valid \.npy file: missing/);
  const swap = (from: string, to: string) => {
    const b = good.slice();
    const text = headerText(b).replace(from, to);
    b.set(new TextEncoder().encode(text), 10);
    return b;
  };
  throws(() => decodeNpy(swap("False", "True ")), /Fortran/);
  throws(() => decodeNpy(swap("<f8", ">f8")), /unsupported dtype '>f8'/);
  const v9 = good.slice();
  v9[6] = 9;
  throws(() => decodeNpy(v9), /unsupported version 9/);
});

Deno.test("npy: version 2.0 headers are read", () => {
  const data = makers.i4(6);
  const v1 = encodeNpy(data, [6]);
  const len = v1[8] | (v1[9] << 8);
  const v2 = new Uint8Array(v1.length + 2);
  v2.set(v1.subarray(0, 8));
  v2[6] = 2;
  new DataView(v2.buffer).setUint32(8, len, true);
  v2.set(v1.subarray(10), 12);
  assertEquals(decodeNpy(v2).data, data);
});

Deno.test("npy: files on disk, with a dtype check", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = makers.f4(6);
    await writeNpy(`${dir}/x.npy`, data, [2, 3]);
    assertEquals((await readNpy(`${dir}/x.npy`, "f4")).data, data);
    await readNpy(`${dir}/x.npy`, "f8").then(
      () => assert(false, "dtype check did not fire"),
      (e: Error) => assert(e.message.includes("expected dtype f8, found f4"), e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
