/**
 * A tiny deterministic uniform source for tests: a 32-bit linear
 * congruential generator (Numerical Recipes constants), u = state / 2^32.
 *
 * @module
 */

/** A `{ nextFloat64 }` source from a 32-bit LCG seeded with `seed`. */
export function lcg(seed: number): { nextFloat64(): number } {
  let state = seed >>> 0;
  return {
    nextFloat64(): number {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    },
  };
}

/** A source that replays fixed values (for hand-checked shuffles). */
export function replay(values: number[]): { nextFloat64(): number } {
  let i = 0;
  return {
    nextFloat64(): number {
      if (i >= values.length) throw new Error("replay: out of values");
      return values[i++];
    },
  };
}
