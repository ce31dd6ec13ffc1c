/**
 * Stratified selection: splitting a count among classes in proportion to
 * their sizes, and drawing a class-balanced subset in a seeded order that is
 * the same on every machine.
 *
 * @module
 */

/** Indices of each label value 0..max(labels), ascending. */
export function classMembers(labels: Uint8Array): number[][] {
  let max = -1;
  for (const l of labels) max = Math.max(max, l);
  const members: number[][] = Array.from({ length: max + 1 }, () => []);
  labels.forEach((l, i) => members[l].push(i));
  return members;
}

/**
 * Splits `total` among classes in proportion to `sizes` by largest
 * remainders (Hamilton's method): class c gets floor(total * n_c / N), and
 * the units left over go to the largest remainders, ties to the smaller
 * class. Exact integer arithmetic; the quotas add up to `total`.
 */
export function apportion(sizes: number[], total: number): number[] {
  const n = sizes.reduce((a, b) => a + b, 0);
  if (!Number.isInteger(total) || total < 0 || total > n) {
    throw new Error(`apportion: cannot take ${total} of ${n}`);
  }
  if (n === 0) return sizes.map(() => 0);
  const quotas = sizes.map((s) => Math.floor((s * total) / n));
  const order = sizes.map((s, c) => ({ c, rem: (s * total) % n }))
    .sort((a, b) => b.rem - a.rem || a.c - b.c);
  let extra = total - quotas.reduce((a, b) => a + b, 0);
  for (const { c } of order) {
    if (extra <= 0) break;
    quotas[c]++;
    extra--;
  }
  return quotas;
}

/**
 * A 32-bit integer hash with good avalanche ("lowbias32" constants by
 * C. Wellons), used to give every index a seeded sort key.
 */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A seeded permutation of 0..n-1: indices sorted by the key
 * `mix32(mix32(seed) ^ mix32(i))`, ties by index. `seed` is an integer in
 * [0, 2^32). Being a sort by per-index keys, the order of any subset of
 * indices is the same as in the whole.
 */
export function seededOrder(n: number, seed: number): Int32Array {
  checkSeed(seed);
  const s = mix32(seed);
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = mix32((s ^ mix32(i)) >>> 0);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => keys[a] - keys[b] || a - b);
  return order;
}

/**
 * A subset of `n` indices keeping the class proportions of `labels`: the
 * quotas by {@link apportion}, and within each class the first quota of its
 * members in the {@link seededOrder} for `seed`. Returned ascending, so the
 * subset keeps the original order. Every class present must keep at least
 * one sample.
 */
export function stratifiedSubset(labels: Uint8Array, n: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 1 || n > labels.length) {
    throw new Error(`stratified subset: cannot take ${n} of ${labels.length} samples`);
  }
  const members = classMembers(labels);
  const quotas = apportion(members.map((m) => m.length), n);
  members.forEach((m, c) => {
    if (m.length > 0 && quotas[c] === 0) {
      throw new Error(
        `stratified subset: ${n} samples are too few to keep class ${c} ` +
          `(${m.length} of ${labels.length} samples)`,
      );
    }
  });
  const order = seededOrder(labels.length, seed);
  const taken = new Array(members.length).fill(0);
  const picked: number[] = [];
  for (const i of order) {
    const c = labels[i];
    if (taken[c] < quotas[c]) {
      taken[c]++;
      picked.push(i);
    }
  }
  return Int32Array.from(picked).sort();
}

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
}
