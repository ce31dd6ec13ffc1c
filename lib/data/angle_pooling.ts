/**
 * The paper's image preprocessing: every byte becomes an angle
 * `x = byte / 255 * 2π / 8` (so 0 ≤ x ≤ π/4), then 2 x 2 average pooling
 * with stride 2 turns 28 x 28 into 14 x 14.
 *
 * Precision: each angle is computed in float64 as `((byte / 255) * 2π) / 8`,
 * the four angles of a block are summed in float64 in row-major order
 * (top-left, top-right, bottom-left, bottom-right) and divided by 4, and the
 * mean is rounded to float32 once. The paper (PyTorch) works in float32
 * throughout, so a value here may differ from its by one float32 ulp; it is
 * the correctly computed value, and the same on every machine.
 *
 * @module
 */

/** The angle (float64) for a pixel byte: `byte / 255 * 2π / 8`. */
export function byteToAngle(byte: number): number {
  return ((byte / 255) * (2 * Math.PI)) / 8;
}

/** The 256 angles, one per byte value (float64). */
export const ANGLES: Float64Array = Float64Array.from({ length: 256 }, (_, b) => byteToAngle(b));

/**
 * Maps `count` square images of `side` x `side` bytes (row-major, image
 * after image) to angles and average-pools 2 x 2 blocks: the result is
 * count x (side/2) x (side/2) float32. `side` must be even.
 */
export function poolAngles(images: Uint8Array, count: number, side = 28): Float32Array {
  if (side % 2 !== 0 || side < 2) throw new Error(`pooling: side ${side} is not even`);
  if (images.length !== count * side * side) {
    throw new Error(
      `pooling: ${count} images of ${side} x ${side} need ${count * side * side} bytes, ` +
        `got ${images.length}`,
    );
  }
  const half = side / 2;
  const out = new Float32Array(count * half * half);
  for (let n = 0; n < count; n++) {
    const src = n * side * side;
    const dst = n * half * half;
    for (let r = 0; r < half; r++) {
      const top = src + 2 * r * side;
      const bottom = top + side;
      for (let c = 0; c < half; c++) {
        const sum = ANGLES[images[top + 2 * c]] + ANGLES[images[top + 2 * c + 1]] +
          ANGLES[images[bottom + 2 * c]] + ANGLES[images[bottom + 2 * c + 1]];
        out[dst + r * half + c] = sum / 4; // the one rounding to float32
      }
    }
  }
  return out;
}
