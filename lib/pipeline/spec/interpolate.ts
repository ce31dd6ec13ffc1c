/**
 * `${name}` references in pipeline entries (permissions, source paths),
 * replaced by parameter values.
 *
 * @module
 */

/**
 * Replaces `${name}` with parameter values. Returns null when a referenced
 * value is empty or null (the entry is dropped, e.g. an optional data path).
 *
 * @example
 * ```ts
 * interpolate("${dir}/x", { dir: "/data" }); // "/data/x"
 * interpolate("${dir}", { dir: null }); // null
 * ```
 */
export function interpolate(entry: string, params: Record<string, unknown>): string | null {
  let dropped = false;
  const out = entry.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === null || v === undefined || v === "") {
      dropped = true;
      return "";
    }
    return typeof v === "string" ? v : JSON.stringify(v);
  });
  return dropped ? null : out;
}
