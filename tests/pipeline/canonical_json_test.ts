import { equal, throws } from "node:assert/strict";
import { canonicalJson, stableJson } from "../../lib/pipeline/keys/canonical_json.ts";

Deno.test("canonical JSON sorts keys at every level and has no whitespace", () => {
  equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } }),
    '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
  );
});

Deno.test("canonical JSON does not depend on insertion order", () => {
  const a: Record<string, unknown> = {};
  a.epochs = 3;
  a.P = 4;
  a.name = "x";
  const b: Record<string, unknown> = {};
  b.name = "x";
  b.P = 4;
  b.epochs = 3;
  equal(canonicalJson(a), canonicalJson(b));
});

Deno.test("canonical JSON keeps array order and distinguishes types", () => {
  equal(canonicalJson([2, 1]), "[2,1]");
  equal(canonicalJson({ v: "1" }) === canonicalJson({ v: 1 }), false);
  equal(canonicalJson({ v: true }) === canonicalJson({ v: "true" }), false);
  equal(canonicalJson(null), "null");
});

Deno.test("canonical JSON prints numbers in their shortest form, -0 as 0", () => {
  equal(canonicalJson([1e21, 0.1, -0, 1.5e-7, 100]), "[1e+21,0.1,0,1.5e-7,100]");
});

Deno.test("canonical JSON escapes strings like JSON", () => {
  equal(canonicalJson({ 'k"ey': "a\nb\u00e9" }), JSON.stringify({ 'k"ey': "a\nb\u00e9" }));
});

Deno.test("canonical JSON rejects values JSON cannot represent", () => {
  throws(() => canonicalJson({ a: NaN }), /non-finite/);
  throws(() => canonicalJson({ a: Infinity }), /non-finite/);
  throws(() => canonicalJson({ a: undefined }), /undefined/);
  throws(() => canonicalJson({ a: () => 1 }), /unsupported/);
  throws(() => canonicalJson({ a: new Date(0) }), /unsupported object/);
});

Deno.test("stableJson is pretty and sorted", () => {
  equal(stableJson({ b: 1, a: 2 }), '{\n  "a": 2,\n  "b": 1\n}\n');
});
