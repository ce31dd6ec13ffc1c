/**
 * Text reports of the read-only commands: `status`, `reproduce --dry-run`
 * and `explain`.
 *
 * @module
 */

import { canonicalJson, type KeyParts } from "../keys/mod.ts";
import { formatBytes, formatSeconds } from "./display.ts";
import { type InstanceStatus, type Project } from "../build/mod.ts";
import { relPosix } from "../../files/mod.ts";
import { interpolate } from "../exec/mod.ts";
import { costConstants, type Instance, instanceCost, type PipelineSpec } from "../spec/mod.ts";

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/**
 * `status --estimate`: each instance's estimated CPU time (its step's `cost:` over the
 * `cost_constants:`), wall time on its cores, and the totals.
 */
export function estimateLines(
  spec: PipelineSpec,
  params: Record<string, unknown>,
  instances: Instance[],
): string[] {
  const constants = costConstants(spec);
  const w = Math.max(0, ...instances.map((i) => i.id.length));
  const out: string[] = [];
  let cpu = 0, wall = 0, unknown = 0;
  for (const inst of instances) {
    let s: number | undefined;
    try {
      s = instanceCost(inst, constants, params);
    } catch (e) {
      out.push(`  ${pad(inst.id, w)}  cost formula failed: ${(e as Error).message}`);
      unknown++;
      continue;
    }
    if (s === undefined) {
      out.push(`  ${pad(inst.id, w)}  -`);
      unknown++;
      continue;
    }
    const cores = inst.step.resources.cores;
    cpu += s;
    wall += s / cores;
    out.push(
      `  ${pad(inst.id, w)}  ${pad(formatSeconds(s), 8)} CPU  (${
        formatSeconds(s / cores)
      } on ${cores} core${cores === 1 ? "" : "s"})`,
    );
  }
  out.push(
    `estimated: ${formatSeconds(cpu)} CPU, ${formatSeconds(wall)} one instance at a time` +
      (unknown ? `; ${unknown} instance(s) without a cost model (-)` : "") +
      (spec.costConstants ? ` (constants: ${spec.costConstants})` : ""),
  );
  return out;
}

/** One line per instance: state, id, reasons. */
export function statusLines(statuses: InstanceStatus[], dryRun = false): string[] {
  const w = Math.max(0, ...statuses.map((s) => s.inst.id.length));
  return statuses.map((s) => {
    const state = s.upToDate ? "up to date" : "would run ";
    const why = s.upToDate
      ? s.reasons.filter((r) => r !== "up to date").join("; ")
      : s.reasons.join("; ");
    const mark = dryRun ? (s.upToDate ? "  " : "→ ") : (s.upToDate ? "✓ " : "• ");
    return `${mark}${pad(s.inst.id, w)}  ${state}${why ? `  ${why}` : ""}`.trimEnd();
  });
}

/** The closing count line. */
export function statusSummary(statuses: InstanceStatus[], profile: string): string {
  const up = statuses.filter((s) => s.upToDate).length;
  return `profile ${profile}: ${statuses.length} instance(s), ${up} up to date, ${
    statuses.length - up
  } would run`;
}

function partsLines(parts: KeyParts | Omit<KeyParts, "inputs">): string[] {
  const lines: string[] = [];
  const outs = Object.entries(parts.engine.outputs).map(([k, v]) => `${k}=${v}`).join(", ");
  lines.push(`  engine  ${parts.engine.salt}; outputs: ${outs}`);
  const files = Object.entries(parts.code);
  const w = Math.max(0, ...files.map(([f]) => f.length));
  files.forEach(([f, h], i) =>
    lines.push(`  ${i === 0 ? "code  " : "      "}  ${pad(f, w)}  ${h.slice(0, 16)}`)
  );
  lines.push(`  npm     ${parts.npm.length ? parts.npm.join(", ") : "(none)"}`);
  lines.push(`  params  ${canonicalJson(parts.params)}`);
  if ("inputs" in parts) {
    const ins = Object.entries(parts.inputs);
    if (ins.length === 0) lines.push("  inputs  (none)");
    ins.forEach(([name, v], i) => {
      const head = i === 0 ? "  inputs  " : "          ";
      if (typeof v === "string") lines.push(`${head}${name}  ${v.slice(0, 16)}`);
      else {
        lines.push(`${head}${name}  (gathered, ${v.length})`);
        for (const g of v) lines.push(`            ${g.id}  ${g.hash.slice(0, 16)}`);
      }
    });
  } else lines.push("  inputs  (unknown until upstream reruns)");
  Object.entries(parts.sources ?? {}).forEach(([name, d], i) => {
    const head = i === 0 ? "  sources " : "          ";
    lines.push(`${head}${name}  (${d.kind}, ${Object.keys(d.files).length} file(s))`);
    for (const [rel, h] of Object.entries(d.files)) {
      lines.push(`            ${rel}  ${h.slice(0, 16)}`);
    }
  });
  return lines;
}

/** The `explain` report of one instance. */
export function explainLines(engine: Project, profile: string, s: InstanceStatus): string[] {
  const store = engine.store;
  const cwd = Deno.cwd();
  const rel = (p: string) => relPosix(cwd, p);
  const inst = s.inst;
  const L: string[] = [];
  L.push(`instance  ${inst.id}`);
  L.push(
    `step      ${inst.step.name} (${inst.step.module})${
      inst.step.description ? `: ${inst.step.description}` : ""
    }`,
  );
  L.push(`profile   ${profile}`);
  L.push(`key       ${s.key ?? "unknown until upstream reruns"}`);
  L.push(`status    ${s.upToDate ? "up to date" : `would run: ${s.reasons.join("; ")}`}`);
  L.push("", "key parts:");
  if (s.parts) L.push(...partsLines(s.parts));
  L.push("");
  if (!s.last) L.push(`last run under '${profile}': none`);
  else {
    L.push(`last run under '${profile}': key ${s.last.key} (${s.last.time})`);
    if (s.last.key === s.key) L.push("  same key as now");
    else if (s.changes.length === 0) L.push("  differs only in what upstream will produce");
    else for (const c of s.changes) L.push(`  ${c.text}`);
  }
  const rec = s.record;
  L.push("");
  if (!rec) L.push("record: none for the current key");
  else {
    L.push(`record: ${rel(store.recordPath(rec.key))}`);
    L.push(
      `  ran ${rec.started} for ${formatSeconds(rec.seconds)} on ${rec.host} (deno ${rec.deno}, ` +
        `executor ${rec.executor}, ${rec.cores} core(s), profile ${rec.profile})`,
    );
    L.push("  outputs:");
    for (const [name, o] of Object.entries(rec.outputs)) {
      const path = o.kind === "dir" ? store.treePath(o.hash) + "/" : store.blobPath(o.hash);
      L.push(`    ${name}  ${o.kind}  ${o.hash}  ${formatBytes(o.size)}  ${rel(path)}`);
    }
    if (rec.log) L.push(`  log: ${rel(store.blobPath(rec.log.hash))}`);
  }
  L.push(`latest log: ${rel(store.logPath(profile, inst.id))}`);
  const p = inst.step.permissions;
  const grants = (xs: string[]) =>
    xs.map((x) => interpolate(x, inst.params)).filter((x) => x !== null).join(", ") || "(none)";
  L.push(
    `grants beyond code/inputs/outputs: net ${grants(p.net)}; read ${grants(p.read)}; env ${
      grants(p.env)
    }`,
  );
  for (const s of inst.sources ?? []) {
    L.push(
      `source ${s.use.name}: '${s.source.name}' ${
        s.path === null ? "(not used by this instance)" : rel(s.path)
      }${s.source.glob ? ` (files matching ${s.source.glob})` : ""}`,
    );
  }
  return L;
}
