import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { fnv1a32, mix32, Prng } from "../../lib/util/prng.ts";

// An independent reference written with BigInt arithmetic (no Math.imul, no
// int32 tricks), straight from the rules in the module documentation.
const M32 = (1n << 32n) - 1n;
const G = 0x9e3779b9n;
const mul = (a: bigint, b: bigint) => (a * b) & M32;
const rotlRef = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M32;
function mixRef(z: bigint): bigint {
  z ^= z >> 16n;
  z = mul(z, 0x21f0aaadn);
  z ^= z >> 15n;
  z = mul(z, 0x735a2d97n);
  z ^= z >> 15n;
  return z;
}
function fnvRef(s: string): bigint {
  let h = 0x811c9dc5n;
  for (const b of new TextEncoder().encode(s)) h = mul(h ^ BigInt(b), 0x01000193n);
  return h;
}
function seedRef(seed: bigint, stream: string): bigint[] {
  let c = 0n;
  for (const w of [seed & M32, seed >> 32n, fnvRef(stream)]) c = mixRef(((c + G) & M32) ^ w);
  const s: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    c = (c + G) & M32;
    s.push(mixRef(c));
  }
  return s;
}
function nextRef(s: bigint[]): bigint {
  const result = mul(rotlRef(mul(s[1], 5n), 7n), 9n);
  const t = (s[1] << 9n) & M32;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotlRef(s[3], 11n);
  return result;
}

Deno.test("xoshiro128** core matches the reference implementation's published sequence", () => {
  // Vigna's xoshiro128starstar.c with state {1, 2, 3, 4} (also the test vector
  // of the Rust rand_xoshiro crate).
  const rng = Prng.restore([1, 2, 3, 4]);
  const got = Array.from({ length: 10 }, () => rng.nextUint32());
  deepStrictEqual(got, [
    11520,
    0,
    5927040,
    70819200,
    2031721883,
    1637235492,
    1287239034,
    3734860849,
    3729100597,
    4258142804,
  ]);
});

Deno.test("mix32 and FNV-1a match the BigInt reference", () => {
  for (const z of [0, 1, 0x9e3779b9, 0xffffffff, 123456789, 0x80000000]) {
    strictEqual(mix32(z), Number(mixRef(BigInt(z))));
  }
  // FNV-1a published vectors: "" -> 0x811c9dc5, "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
  strictEqual(fnv1a32(""), 0x811c9dc5);
  strictEqual(fnv1a32("a"), 0xe40c292c);
  strictEqual(fnv1a32("foobar"), 0xbf9cf968);
  strictEqual(fnv1a32("hessian-probe"), Number(fnvRef("hessian-probe")));
  strictEqual(fnv1a32("é"), Number(fnvRef("é"))); // UTF-8, two bytes
});

Deno.test("seeding and the first 1000 outputs match the BigInt reference", () => {
  const cases: [number, string][] = [
    [0, ""],
    [1001, "init"],
    [1001, "shuffle"],
    [2 ** 32 + 5, "hessian-probe"],
    [Number.MAX_SAFE_INTEGER, "x"],
  ];
  for (const [seed, stream] of cases) {
    const ref = seedRef(BigInt(seed), stream);
    const rng = Prng.from(seed, stream);
    deepStrictEqual(rng.state(), ref.map(Number), `state of (${seed}, ${stream})`);
    for (let i = 0; i < 1000; i++) strictEqual(rng.nextUint32(), Number(nextRef(ref)));
  }
});

Deno.test("known vectors: seed 1001 (computed independently in Python from the spec)", () => {
  const a = Prng.from(1001, "init");
  deepStrictEqual(a.state(), [2192418151, 4261804888, 3858785339, 2538853854]);
  deepStrictEqual(
    [a.nextUint32(), a.nextUint32(), a.nextUint32(), a.nextUint32()],
    [2258059347, 3373881874, 3304080675, 520554611],
  );
  const b = Prng.from(1001, "init");
  deepStrictEqual(
    [b.nextFloat64(), b.nextFloat64(), b.nextFloat64(), b.nextFloat64()],
    [0.5257454125996164, 0.7692912304490883, 0.2867995966072786, 0.19243744608781854],
  );
  // Normals through CPython's libm: equal here, as fdlibm and glibc agree on these.
  const c = Prng.from(1001, "hessian-probe");
  const z = [c.normal(), c.normal(), c.normal()];
  const want = [-0.11578795228707028, 0.5617177010198717, -1.088131998838497];
  for (let i = 0; i < 3; i++) ok(Math.abs(z[i] - want[i]) <= 2 ** -52 * Math.abs(want[i]));
});

Deno.test("nextFloat64 covers [0, 1) with 53-bit resolution; moments are sane", () => {
  const rng = Prng.from(7, "moments");
  const n = 200_000;
  let s1 = 0, s2 = 0, min = 1, max = 0, fine = 0;
  const bins = new Array(10).fill(0);
  for (let i = 0; i < n; i++) {
    const u = rng.nextFloat64();
    ok(u >= 0 && u < 1);
    s1 += u;
    s2 += u * u;
    min = Math.min(min, u);
    max = Math.max(max, u);
    bins[Math.floor(u * 10)]++;
    if (u * 2 ** 32 !== Math.floor(u * 2 ** 32)) fine++; // bits below 2^-32 are used
  }
  ok(Math.abs(s1 / n - 0.5) < 0.005);
  ok(Math.abs(s2 / n - 1 / 3) < 0.005);
  ok(min < 1e-4 && max > 1 - 1e-4);
  ok(fine > n * 0.99);
  for (const b of bins) ok(Math.abs(b - n / 10) < 5 * Math.sqrt(n / 10), `bin ${b}`);
});

Deno.test("normal: mean 0, variance 1, skew 0, kurtosis 3; rademacher is balanced", () => {
  const rng = Prng.from(11, "normal");
  const n = 200_000;
  const x = new Float64Array(n);
  rng.fillNormal(x);
  let m1 = 0, m2 = 0, m3 = 0, m4 = 0;
  for (const v of x) {
    m1 += v;
    m2 += v * v;
    m3 += v ** 3;
    m4 += v ** 4;
  }
  ok(Math.abs(m1 / n) < 0.01);
  ok(Math.abs(m2 / n - 1) < 0.015);
  ok(Math.abs(m3 / n) < 0.04);
  ok(Math.abs(m4 / n - 3) < 0.1);
  const r = new Float64Array(n);
  rng.fillRademacher(r);
  let sum = 0;
  for (const v of r) {
    ok(v === 1 || v === -1);
    sum += v;
  }
  ok(Math.abs(sum) < 5 * Math.sqrt(n));
});

Deno.test("fill methods equal repeated scalar calls; normal uses the documented formula", () => {
  const a = Prng.from(3, "s");
  const b = Prng.from(3, "s");
  const out = new Float64Array(17);
  a.fillUniform(out, -2, 5);
  for (const v of out) strictEqual(v, b.uniform(-2, 5));
  a.fillNormal(out);
  for (const v of out) strictEqual(v, b.normal());
  const c = Prng.from(3, "s");
  const d = c.clone();
  const z = c.normal();
  const u1 = d.nextFloat64();
  const u2 = d.nextFloat64();
  strictEqual(z, Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
  deepStrictEqual(c.state(), d.state());
});

Deno.test("state() / restore() round-trip exactly, through JSON", () => {
  const rng = Prng.from(1001, "shuffle");
  for (let i = 0; i < 37; i++) rng.nextFloat64();
  const saved = JSON.parse(JSON.stringify(rng.state()));
  const again = Prng.restore(saved);
  for (let i = 0; i < 100; i++) strictEqual(again.nextUint32(), rng.nextUint32());
  throws(() => Prng.restore([0, 0, 0, 0]));
  throws(() => Prng.restore([1, 2, 3]));
  throws(() => Prng.restore([1, 2, 3, 2 ** 32]));
  throws(() => Prng.from(-1));
  throws(() => Prng.from(1.5));
  throws(() => Prng.from(2 ** 53));
});

Deno.test("streams of one seed are distinct and uncorrelated", () => {
  const labels = ["init", "shuffle", "hessian-probe", "slq", ""];
  const n = 20_000;
  const seqs = labels.map((l) => {
    const r = Prng.from(1001, l);
    return Float64Array.from({ length: n }, () => r.nextFloat64() - 0.5);
  });
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      let c = 0;
      for (let k = 0; k < n; k++) c += seqs[i][k] * seqs[j][k];
      // correlation of independent uniforms ~ N(0, 1/n); variance of each is 1/12
      ok(Math.abs(c / n / (1 / 12)) < 5 / Math.sqrt(n), `${labels[i]} vs ${labels[j]}`);
      ok(seqs[i][0] !== seqs[j][0]);
    }
  }
  // Consecutive seeds with one stream give different states.
  const states = new Set<string>();
  for (let s = 0; s < 1000; s++) states.add(Prng.from(s, "init").state().join(","));
  strictEqual(states.size, 1000);
});

Deno.test("shuffle is Fisher–Yates with the documented index rule", () => {
  const a = Int32Array.from({ length: 10 }, (_, i) => i);
  const rng = Prng.from(5, "shuffle");
  const ref = rng.clone();
  rng.shuffle(a);
  const b = Array.from({ length: 10 }, (_, i) => i);
  for (let i = b.length - 1; i >= 1; i--) {
    const j = Math.floor(ref.nextFloat64() * (i + 1));
    [b[i], b[j]] = [b[j], b[i]];
  }
  deepStrictEqual(Array.from(a), b);
  deepStrictEqual(Array.from(a).sort((x, y) => x - y), Array.from({ length: 10 }, (_, i) => i));
  // All 6 permutations of 3 elements appear about equally often.
  const counts = new Map<string, number>();
  const r = Prng.from(9, "perm");
  for (let t = 0; t < 60_000; t++) {
    const p = Int32Array.from([0, 1, 2]);
    r.shuffle(p);
    const k = p.join("");
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  strictEqual(counts.size, 6);
  for (const c of counts.values()) ok(Math.abs(c - 10_000) < 500);
});
