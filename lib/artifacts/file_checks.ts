/**
 * What every artifact reader shares: reading a file, parsing JSON or a
 * numeric CSV, checking fields, and one error type that names the file and
 * the problem. A malformed upstream file should stop the step with a message
 * that says which instance to look at.
 *
 * @module
 */

import { StepError } from "../step/mod.ts";
import { parseCsv } from "../util/mod.ts";

/**
 * A malformed or unreadable artifact. A `StepError`, so a step that meets
 * one stops with its message alone (no stack trace).
 */
export class ArtifactError extends StepError {
  /** The file that is wrong. */
  readonly file: string;

  constructor(file: string, message: string) {
    super(message);
    this.name = "ArtifactError";
    this.file = file;
  }
}

/**
 * Throws an `ArtifactError` for `path` saying `what` is wrong, with a pointer
 * to the formats; `where` (default: the path) locates it inside the file.
 */
export function fail(path: string, what: string, where = path): never {
  throw new ArtifactError(path, `${where}: ${what} (format: docs/artifacts.md)`);
}

/** The field `key` of `obj` as a number (NaN is refused: JSON cannot carry it). */
export function num(obj: Record<string, unknown>, key: string, path: string, where = path): number {
  const v = obj[key];
  if (typeof v !== "number" || Number.isNaN(v)) {
    fail(path, `field '${key}' must be a number, got ${JSON.stringify(v)}`, where);
  }
  return v;
}

/** An array of numbers; `null` entries become NaN (JSON has no NaN: a writer may emit null). */
export function numberArray(v: unknown, path: string, what: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number" && x !== null)) {
    fail(path, `${what} must be an array of numbers`);
  }
  return v.map((x) => (x === null ? NaN : x));
}

/** The text of a file; an unreadable file is an `ArtifactError`. */
export async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new ArtifactError(path, `${path}: cannot read (${(e as Error).message})`);
  }
}

/** Parses the text of a JSON artifact whose top level must be an object. */
export function parseJsonObject(text: string, path: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ArtifactError(path, `${path}: invalid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) fail(path, "not a JSON object");
  return v as Record<string, unknown>;
}

/** Reads a JSON artifact whose top level must be an object. */
export async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  return parseJsonObject(await readText(path), path);
}

/**
 * The study's JSON layout: two-space indent, keys in the order given, a
 * trailing newline. Every JSON artifact is written through this, so a rerun
 * writes the same bytes.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/** Parses a numeric CSV with a header row into records (every cell a number). */
export function parseNumericCsv(
  text: string,
  required: readonly string[],
  path: string,
): Record<string, number>[] {
  if (text.trim() === "") fail(path, "empty CSV (no header row)");
  let records: Record<string, string>[];
  try {
    records = parseCsv(text.trimEnd() + "\n", path);
  } catch (e) {
    return fail(path, (e as Error).message.replace(`${path}: `, ""));
  }
  const header = text.slice(0, text.search(/\r?\n|$/)).split(",").map((h) =>
    h.trim().replace(/^"(.*)"$/, "$1")
  );
  for (const r of required) {
    if (!header.includes(r)) fail(path, `missing column '${r}' (header: ${header.join(",")})`);
  }
  return records.map((rec, i) => {
    const out: Record<string, number> = {};
    for (const [h, cell] of Object.entries(rec)) {
      const s = cell.trim();
      const v = s === "" ? NaN : Number(s);
      if (Number.isNaN(v) && required.includes(h) && !/^nan$/i.test(s)) {
        fail(path, `line ${i + 2}, column '${h}': not a number: ${JSON.stringify(s)}`);
      }
      out[h] = v;
    }
    return out;
  });
}

/**
 * Parses a numeric CSV artifact into typed rows sorted by `sortKey`; at least
 * one row is required.
 */
export function parseRows<T>(
  text: string,
  path: string,
  columns: readonly (keyof T & string)[],
  sortKey: keyof T & string,
): T[] {
  const rows = parseNumericCsv(text, columns, path);
  if (rows.length === 0) fail(path, "no rows");
  return rows.sort((a, b) => a[sortKey] - b[sortKey]) as unknown as T[];
}

/**
 * Reads a JSON document that carries a `format` tag and a list under
 * `listKey` (the directory manifests of the tables and charts steps).
 * `what` names it in "cannot read …", `kind` in "not … (format …)".
 */
export async function readTaggedDocument<T>(
  path: string,
  format: string,
  listKey: string,
  what: string,
  kind: string,
): Promise<T> {
  let doc: Record<string, unknown> | null;
  try {
    doc = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new ArtifactError(path, `${path}: cannot read ${what} (${(e as Error).message})`);
  }
  if (doc?.format !== format || !Array.isArray(doc[listKey])) {
    throw new ArtifactError(path, `${path}: not ${kind} (format ${format})`);
  }
  return doc as T;
}
