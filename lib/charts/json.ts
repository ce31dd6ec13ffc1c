/**
 * JSON for people: indented, but short arrays and flat objects (a data row,
 * a point) stay on one line, so an inline-data Vega-Lite spec remains
 * readable and diff-able.
 *
 * @module
 */

const FLAT_WIDTH = 100;

function isFlat(v: unknown): boolean {
  if (v === null || typeof v !== "object") return true;
  const members = Array.isArray(v) ? v : Object.values(v);
  return members.every((m) =>
    m === null || typeof m !== "object" ||
    (Array.isArray(m) && m.every((x) => x === null || typeof x !== "object"))
  );
}

function format(v: unknown, indent: string): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  const compact = JSON.stringify(v);
  if (isFlat(v) && compact.length <= FLAT_WIDTH) return compact;
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => inner + format(x, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return "{}";
  return `{\n${
    entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${format(x, inner)}`).join(",\n")
  }\n${indent}}`;
}

/** Serialises a JSON value with the layout described above (trailing newline). */
export function prettyJson(value: unknown): string {
  return format(value, "") + "\n";
}
