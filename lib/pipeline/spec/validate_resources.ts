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
    const rungs = ladder(v, mem.value, `resources.memory of step '${name}'`, parseMemory, {
      bad: `bad resources.memory of step '${name}'`,
      hint: "write e.g. 512M, 4G or 1.5T (a bare number is megabytes), or a ladder [4G, 8G, 16G]",
    });
    if (rungs) {
      r.memory = rungs[0].raw;
      r.memoryMb = rungs[0].value;
      if (rungs.length > 1) r.memoryLadderMb = rungs.map((x) => x.value);
    }
  }
  const t = v.entry(m, "time");
  if (t) {
    const rungs = ladder(v, t.value, `resources.time of step '${name}'`, parseDuration, {
      bad: `bad resources.time of step '${name}'`,
      hint:
        "write e.g. 90s, 30m, 2h, 1d, 1h30m, HH:MM:SS or D-HH:MM:SS (a bare number is minutes), or a ladder [2h, 8h]",
    });
    if (rungs) {
      r.time = rungs[0].raw;
      r.timeSeconds = rungs[0].value;
      if (rungs.length > 1) r.timeLadderSeconds = rungs.map((x) => x.value);
    }
  }
  return r;
}

/**
 * One value or a ladder of strictly increasing values (`[4G, 8G, 16G]`): the
 * rungs a retry climbs. Undefined (with a diagnostic) when anything is wrong.
 */
function ladder(
  v: YamlChecker,
  node: YNode,
  what: string,
  parse: (x: unknown) => number | undefined,
  msg: { bad: string; hint: string },
): { raw: string; value: number }[] | undefined {
  const items = node.kind === "seq" ? node.items : [node];
  if (items.length === 0) {
    v.error(node.pos, `${what} is an empty list`, msg.hint);
    return undefined;
  }
  const out: { raw: string; value: number }[] = [];
  for (const it of items) {
    const x = parse(it.kind === "scalar" ? it.value : null);
    if (x === undefined) {
      v.error(it.pos, `${msg.bad}: ${describe(it)}`, msg.hint);
      return undefined;
    }
    if (out.length && x <= out[out.length - 1].value) {
      v.error(it.pos, `${what}: each rung of a ladder must be larger than the one before`);
      return undefined;
    }
    out.push({ raw: String((it as { value: unknown }).value), value: x });
  }
  return out;
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
