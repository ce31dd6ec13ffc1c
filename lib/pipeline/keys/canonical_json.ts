/**
 * Canonical JSON: the one serialisation every hash in the engine is taken
 * over. Object keys are sorted (by UTF-16 code units, the default sort), no
 * whitespace, numbers as ECMAScript prints them (shortest round-trip form).
 * Values that JSON cannot represent faithfully are rejected rather than
 * silently changed, so two different values never share a key.
 *
 * @module
 */

/** Serialises `value` as canonical JSON; throws on undefined, functions, non-finite numbers. */
export function canonicalJson(value: unknown): string {
  return write(value, "$");
}

function write(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(`canonical JSON: non-finite number at ${path}`);
      }
      // -0 and 0 print the same in JSON; keep it that way explicitly.
      return JSON.stringify(value === 0 ? 0 : value);
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        return "[" + value.map((v, i) => write(v, `${path}[${i}]`)).join(",") + "]";
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`canonical JSON: unsupported object at ${path}`);
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      const parts: string[] = [];
      for (const k of keys) {
        if (obj[k] === undefined) {
          throw new TypeError(`canonical JSON: undefined at ${path}.${k}`);
        }
        parts.push(JSON.stringify(k) + ":" + write(obj[k], `${path}.${k}`));
      }
      return "{" + parts.join(",") + "}";
    }
    default:
      throw new TypeError(`canonical JSON: unsupported ${typeof value} at ${path}`);
  }
}

/** Pretty-printed JSON with sorted keys (for records and other files people read). */
export function stableJson(value: unknown): string {
  return JSON.stringify(JSON.parse(canonicalJson(value)), null, 2) + "\n";
}
