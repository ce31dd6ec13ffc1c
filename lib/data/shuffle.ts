/**
 * The one shuffle of the data modules, written out exactly so that a run can
 * be reproduced in any language from the same uniform numbers.
 *
 * @module
 */

/** A source of uniform numbers in [0, 1), e.g. the PRNG of `lib/util/prng.ts`. */
export interface UniformSource {
  nextFloat64(): number;
}

/**
 * Shuffles `a` in place (Fisher–Yates): for i from a.length − 1 down to 1,
 * draw u = rng.nextFloat64(), let j = floor(u * (i + 1)), and swap a[i] and
 * a[j]. Uses exactly a.length − 1 draws (none for length ≤ 1).
 */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(
  a: T,
  rng: UniformSource,
): T {
  for (let i = a.length - 1; i >= 1; i--) {
    const u = rng.nextFloat64();
    if (!(u >= 0 && u < 1)) throw new Error(`shuffle: rng gave ${u}, outside [0, 1)`);
    const j = Math.floor(u * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
