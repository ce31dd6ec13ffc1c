/**
 * A portable, seedable pseudo-random number generator: xoshiro128** (Blackman
 * and Vigna, 2018) on four 32-bit words, seeded from an integer seed and a
 * stream label, so that independent streams ("init", "shuffle",
 * "hessian-probe", ...) derive from one run seed. Every operation on the
 * state is a 32-bit integer operation (`Math.imul`, shifts, xor), so the
 * integer and uniform outputs are bit-for-bit identical on every machine and
 * in every language that implements the rules below.
 *
 * ## Specification (enough to reimplement it elsewhere)
 *
 * All arithmetic on words is modulo 2^32 (unsigned). `rotl(x, k)` rotates a
 * 32-bit word left by k bits. `GOLDEN = 0x9e3779b9`.
 *
 * **mix32(z)** (the SplitMix32 finaliser, constants from hash-prospector):
 * `z ^= z >>> 16; z = z * 0x21f0aaad; z ^= z >>> 15; z = z * 0x735a2d97;
 * z ^= z >>> 15` (products taken modulo 2^32). It is a bijection on words.
 *
 * **Seeding** `Prng.from(seed, stream = "")`: `seed` is an integer with
 * 0 <= seed <= 2^53 - 1. Let `lo = seed mod 2^32`, `hi = floor(seed / 2^32)`,
 * and `h` the 32-bit FNV-1a hash of the UTF-8 bytes of `stream` (start
 * `0x811c9dc5`; per byte `h ^= byte; h = h * 0x01000193`). Absorb, then
 * squeeze, with a SplitMix32 counter `c`:
 * ```
 * c = 0
 * for w in (lo, hi, h):  c = mix32((c + GOLDEN) ^ w)
 * for i in 0..3:         c = c + GOLDEN;  s[i] = mix32(c)
 * ```
 * The four squeezed words are images of four distinct counters under a
 * bijection, so at most one is zero and the state is never all-zero. For a
 * fixed stream and `hi`, distinct `lo` give distinct states (each absorb step
 * is injective in `c`); in general two (seed, stream) pairs share a state
 * with probability 2^-32.
 *
 * **nextUint32()** (xoshiro128**, output taken before the state update):
 * ```
 * result = rotl(s1 * 5, 7) * 9
 * t = s1 << 9
 * s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
 * ```
 * With state (1, 2, 3, 4) the outputs begin 11520, 0, 5927040, 70819200,
 * 2031721883 (the reference implementation's sequence).
 *
 * **nextFloat64()** in [0, 1) with 53 random bits: `a = nextUint32() >>> 5`
 * (27 bits), then `b = nextUint32() >>> 6` (26 bits); return
 * `(a * 2^26 + b) / 2^53` (exact in binary64).
 *
 * **uniform(lo, hi)** = `lo + (hi - lo) * nextFloat64()` (binary64, in this
 * order). The product `(hi - lo) * u` never rounds up to `hi - lo` (u is at
 * most 1 - 2^-53), so the result is in [lo, hi) whenever `lo = 0` (e.g.
 * `uniform(0, Math.PI)`); with `lo != 0` the final addition can round to `hi`.
 *
 * **normal()**: Box–Muller, cosine branch, no cache (the state stays the four
 * words): `u1 = nextFloat64(); u2 = nextFloat64();`
 * `return sqrt(-2 * log(1 - u1)) * cos((2 * pi) * u2)`. `1 - u1` is exact and
 * in (0, 1]. `sqrt` is correctly rounded everywhere; `log` and `cos` are
 * V8's fdlibm ports, which are deterministic software routines, so the
 * normals are bit-identical wherever this module runs under Deno; another
 * language reproduces them bit for bit with fdlibm semantics (e.g. Java's
 * `StrictMath`), and to within an ulp with any libm.
 *
 * **rademacher()**: `nextUint32() >>> 31 === 1 ? +1 : -1` (the top bit, the
 * best bit of xoshiro128**).
 *
 * **shuffle(a)** (Fisher–Yates): for i from n-1 down to 1,
 * `j = floor(nextFloat64() * (i + 1))`, swap a[i] and a[j].
 *
 * The fill methods draw in index order (out[0] first), each element exactly
 * as the scalar method would.
 *
 * **state()** is `[s0, s1, s2, s3]` as unsigned 32-bit integers (plain JSON
 * numbers); `Prng.restore(state)` continues the exact sequence.
 *
 * @module
 */

const GOLDEN = 0x9e3779b9;
const TWO_POW_32 = 4294967296;
const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;
const TWO_PI = 2 * Math.PI; // exact doubling of the binary64 pi

/** The SplitMix32 finaliser: a bijection on 32-bit words (result unsigned). */
export function mix32(z: number): number {
  z = z | 0;
  z ^= z >>> 16;
  z = Math.imul(z, 0x21f0aaad);
  z ^= z >>> 15;
  z = Math.imul(z, 0x735a2d97);
  z ^= z >>> 15;
  return z >>> 0;
}

/** 32-bit FNV-1a of the UTF-8 bytes of a string (unsigned). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A xoshiro128** generator; see the module documentation for the exact rules. */
export class Prng {
  // The four state words, kept as signed int32 internally (JS bit ops yield int32).
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  private constructor(s0: number, s1: number, s2: number, s3: number) {
    this.#s0 = s0 | 0;
    this.#s1 = s1 | 0;
    this.#s2 = s2 | 0;
    this.#s3 = s3 | 0;
  }

  /** A generator for `stream` (default "") of an integer seed in [0, 2^53). */
  static from(seed: number, stream = ""): Prng {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`Prng seed must be an integer in [0, 2^53), got ${seed}`);
    }
    const lo = seed % TWO_POW_32;
    const hi = Math.floor(seed / TWO_POW_32);
    let c = 0;
    for (const w of [lo, hi, fnv1a32(stream)]) c = mix32(((c + GOLDEN) | 0) ^ w);
    const s: number[] = [];
    for (let i = 0; i < 4; i++) {
      c = (c + GOLDEN) | 0;
      s.push(mix32(c));
    }
    return new Prng(s[0], s[1], s[2], s[3]);
  }

  /** Restores a generator from `state()`; it continues the same sequence. */
  static restore(state: readonly number[]): Prng {
    if (
      !Array.isArray(state) || state.length !== 4 ||
      !state.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)
    ) {
      throw new RangeError(`Prng state must be four unsigned 32-bit integers, got ${state}`);
    }
    if (state.every((w) => w === 0)) throw new RangeError("Prng state must not be all zero");
    return new Prng(state[0], state[1], state[2], state[3]);
  }

  /** The state as four unsigned 32-bit integers (JSON-safe). */
  state(): number[] {
    return [this.#s0 >>> 0, this.#s1 >>> 0, this.#s2 >>> 0, this.#s3 >>> 0];
  }

  /** An independent copy at the same position. */
  clone(): Prng {
    return new Prng(this.#s0, this.#s1, this.#s2, this.#s3);
  }

  /** The next 32-bit output, an integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 = s1 ^ this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result >>> 0;
  }

  /** A uniform double in [0, 1) with 53 random bits (two 32-bit outputs). */
  nextFloat64(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * TWO_POW_26 + b) / TWO_POW_53;
  }

  /** `lo + (hi - lo) * nextFloat64()`: uniform on [lo, hi) (see the module notes on rounding). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat64();
  }

  /** A standard normal deviate (Box–Muller, cosine branch, two uniforms per call). */
  normal(): number {
    const u1 = this.nextFloat64();
    const u2 = this.nextFloat64();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(TWO_PI * u2);
  }

  /** +1 or -1 with equal probability (the top bit of one output). */
  rademacher(): number {
    return this.nextUint32() >>> 31 === 1 ? 1 : -1;
  }

  /** Fills `out` in index order with `uniform(lo, hi)`. */
  fillUniform(out: Float64Array, lo: number, hi: number): void {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(lo, hi);
  }

  /** Fills `out` in index order with `normal()`. */
  fillNormal(out: Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
  }

  /** Fills `out` in index order with `rademacher()`. */
  fillRademacher(out: Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.rademacher();
  }

  /** Fisher–Yates in place: for i = n-1..1, j = floor(nextFloat64() * (i + 1)), swap. */
  shuffle(a: { length: number; [i: number]: number }): void {
    for (let i = a.length - 1; i >= 1; i--) {
      const j = Math.floor(this.nextFloat64() * (i + 1));
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
  }
}
