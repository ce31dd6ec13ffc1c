import { assertEquals, assertThrows } from "./_assert.ts";
import { ANGLES, byteToAngle, poolAngles } from "../../lib/data/angle_pooling.ts";

Deno.test("byte -> angle: byte / 255 * 2pi / 8, hand values", () => {
  assertEquals(byteToAngle(0), 0);
  assertEquals(byteToAngle(255), Math.PI / 4); // exact: 2pi / 8 in float64
  // pi / 20 = 0.15707963267948966...
  assertEquals(Math.abs(byteToAngle(51) - 0.15707963267948966) < 1e-17, true);
  assertEquals(ANGLES.length, 256);
  for (let b = 0; b < 256; b++) assertEquals(ANGLES[b], byteToAngle(b));
});

Deno.test("2x2 average pooling: hand-computed blocks land where they should, as float32", () => {
  const img = new Uint8Array(2 * 28 * 28);
  const block = (n: number, r: number, c: number, v: [number, number, number, number]) => {
    const o = n * 784 + 2 * r * 28 + 2 * c;
    [img[o], img[o + 1], img[o + 28], img[o + 29]] = v;
  };
  block(0, 0, 0, [255, 0, 0, 255]); // mean angle pi/8
  block(0, 0, 1, [255, 255, 255, 255]); // pi/4
  block(0, 1, 2, [1, 2, 3, 4]); // mean byte 2.5: 2.5/255 * pi/4 = pi/408
  block(1, 13, 13, [51, 0, 102, 0]); // mean byte 38.25: 0.15 * pi/4 = 3pi/80
  const out = poolAngles(img, 2);
  assertEquals(out.length, 2 * 196);
  // float32 roundings of pi/8, pi/4, pi/408, 3pi/80 (from 40-digit decimals).
  assertEquals(out[0], 0.39269909262657166);
  assertEquals(out[1], 0.7853981852531433);
  assertEquals(out[1 * 14 + 2], 0.007699981797486544);
  assertEquals(out[196 + 13 * 14 + 13], 0.1178097277879715);
  let nonzero = 0;
  for (const v of out) if (v !== 0) nonzero++;
  assertEquals(nonzero, 4);
});

Deno.test("pooling rejects a size mismatch or an odd side", () => {
  assertThrows(() => poolAngles(new Uint8Array(700), 1), Error, "need 784 bytes, got 700");
  assertThrows(() => poolAngles(new Uint8Array(9), 1, 3), Error, "not even");
});
