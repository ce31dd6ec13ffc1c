/**
 * Validation of a step's `resources:` (cores, memory, time), and the memory
 * and duration syntax they share with the executor section.
 *
 * @module
 */

import type { YNode } from "./yaml_source.ts";
import type { Resources } from "./schema.ts";
import { describe, type YamlChecker } from "./yaml_checker.ts";

const RESOURCE_KEYS = ["cores", "memory", "time"];

/** `resources:` of a step: cores, memory and time. */
export function validateResources(v: YamlChecker, node: YNode, name: string): Resources {
  const r: Resources = { cores: 1 };
  const m = v.map(node, `the resources of step '${name}'`);
  if (!m) return r;
  v.keys(m, RESOURCE_KEYS, `in the resources of step '${name}'`);
  const c = v.entry(m, "cores");
  if (c) {
    const x = c.value;
    if (
      x.kind === "scalar" && typeof x.value === "number" && Number.isInteger(x.value) &&
      x.value >= 1
    ) {
      r.cores = x.value;
    } else {v.error(
        x.pos,
        `resources.cores of step '${name}' must be a positive integer, got ${describe(x)}`,
      );}
  }
  const mem = v.entry(m, "memory");
  if (mem) {
    const mb = parseMemory(mem.value.kind === "scalar" ? mem.value.value : null);
    if (mb === undefined) {
      v.error(
        mem.value.pos,
        `bad resources.memory of step '${name}': ${describe(mem.value)}`,
        "write e.g. 512M, 4G or 1.5T; a bare number is megabytes",
      );
    } else {
      r.memory = String((mem.value as { value: unknown }).value);
      r.memoryMb = mb;
    }
  }
  const t = v.entry(m, "time");
  if (t) {
    const s = parseDuration(t.value.kind === "scalar" ? t.value.value : null);
    if (s === undefined) {
      v.error(
        t.value.pos,
        `bad resources.time of step '${name}': ${describe(t.value)}`,
        "write e.g. 90s, 30m, 2h, 1d, 1h30m, HH:MM:SS or D-HH:MM:SS; a bare number is minutes",
      );
    } else {
      r.time = String((t.value as { value: unknown }).value);
      r.timeSeconds = s;
    }
  }
  return r;
}

/** Megabytes from `512M`, `4G`, `1.5T`, `2048K` or a bare number of megabytes. */
export function parseMemory(v: unknown): number | undefined {
  if (typeof v === "number") return v > 0 && Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT])(?:i?B)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const scale = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }[m[2].toUpperCase()]!;
  return n > 0 ? n * scale : undefined;
}

/** Seconds from `90s`, `30m`, `2h`, `1d`, `1h30m`, `HH:MM:SS`, `D-HH:MM:SS` or a bare number of minutes. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === "number") return v > 0 && Number.isFinite(v) ? v * 60 : undefined;
  if (typeof v !== "string") return undefined;
  const s = v.trim();
  if (/^(\d+(\.\d+)?[smhd])+$/.test(s)) {
    let total = 0;
    for (const m of s.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) {
      total += Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"];
    }
    return total > 0 ? total : undefined;
  }
  const c = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(s);
  if (c) {
    const [d, h, mi, se] = [c[1], c[2], c[3], c[4]].map((x) => Number(x ?? 0));
    if (mi >= 60 && c[2] !== undefined || se >= 60) return undefined;
    const total = d * 86400 + h * 3600 + mi * 60 + se;
    return total > 0 ? total : undefined;
  }
  return undefined;
}
