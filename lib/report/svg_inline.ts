/**
 * Prepares a standalone SVG document for inlining into an HTML page. Vega
 * numbers its clip paths and gradients from 1 in every SVG it writes
 * (`clip1`, `gradient_0`), and ids are global to an HTML document, so two
 * inlined figures would clip each other's marks: every id and reference is
 * prefixed with a per-figure namespace.
 *
 * @module
 */

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Prefixes every `id` of the SVG and every `url(#…)` / `href="#…"` reference to one. */
export function namespaceSvgIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
  if (ids.size === 0) return svg;
  const alt = [...ids].sort((a, b) => b.length - a.length).map(escapeRe).join("|");
  return svg
    .replace(new RegExp(`(\\sid=")(${alt})(")`, "g"), `$1${prefix}-$2$3`)
    .replace(new RegExp(`(url\\(#)(${alt})(\\))`, "g"), `$1${prefix}-$2$3`)
    .replace(new RegExp(`(href="#)(${alt})(")`, "g"), `$1${prefix}-$2$3`);
}

/**
 * An SVG ready to sit inside HTML: no XML prolog or doctype, ids namespaced,
 * and a `role="img"` with an accessible label.
 */
export function inlineSvg(svg: string, prefix: string, label: string): string {
  const body = svg.replace(/^\s*<\?xml[^>]*\?>\s*/, "").replace(/^\s*<!DOCTYPE[^>]*>\s*/i, "");
  const attr = label.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");
  return namespaceSvgIds(body, prefix).replace(/^<svg\b/, `<svg role="img" aria-label="${attr}"`);
}
