/**
 * Minimal file globbing for a step's `code:` entries: `*` and `?` within a
 * path segment, `**` across segments, `{a,b}` alternatives. Paths are
 * relative to a base directory and returned with `/` separators, sorted.
 *
 * @module
 */

import { join } from "node:path";

const GLOB_CHARS = /[*?{}[\]]/;

/** A regular expression equivalent to a glob pattern (matched against whole relative paths). */
export function globToRegExp(pattern: string): RegExp {
  let re = "";
  let inGroup = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        // `**/` matches zero or more directories; a trailing `**` anything.
        if (pattern[i + 2] === "/") {
          re += "(?:[^/]*/)*";
          i += 2;
        } else {
          re += ".*";
          i += 1;
        }
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "{") {
      re += "(?:";
      inGroup = true;
    } else if (c === "}" && inGroup) {
      re += ")";
      inGroup = false;
    } else if (c === "," && inGroup) re += "|";
    else re += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Files under `base` matching `pattern` (dot-directories and node_modules are not searched). */
export function globFiles(base: string, pattern: string): string[] {
  const segments = pattern.split("/");
  const staticSegs: string[] = [];
  for (const s of segments) {
    if (GLOB_CHARS.test(s)) break;
    staticSegs.push(s);
  }
  if (staticSegs.length === segments.length) {
    try {
      return Deno.statSync(join(base, pattern)).isFile ? [pattern] : [];
    } catch {
      return [];
    }
  }
  const re = globToRegExp(pattern);
  const out: string[] = [];
  const walk = (rel: string): void => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(join(base, rel))];
    } catch {
      return;
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      let isDir = e.isDirectory;
      let isFile = e.isFile;
      if (e.isSymlink) {
        try {
          const st = Deno.statSync(join(base, p));
          isDir = st.isDirectory;
          isFile = st.isFile;
        } catch {
          continue;
        }
      }
      if (isDir) {
        if (e.name.startsWith(".") || e.name === "node_modules") continue;
        walk(p);
      } else if (isFile && re.test(p)) out.push(p);
    }
  };
  walk(staticSegs.join("/"));
  return out.sort();
}
