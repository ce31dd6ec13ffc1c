/**
 * Loading a pipeline: read the file, parse, validate the structure, check
 * the step graph for cycles and every profile's inputs for resolvability.
 * Throws a `PipelineError` carrying every problem found.
 *
 * @module
 */

import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { type Diagnostic, PipelineError } from "./diagnostics.ts";
import { countInstances, expand, type Expansion } from "./expand.ts";
import { globFiles } from "../../files/mod.ts";
import { topoOrder } from "./graph.ts";
import type { PipelineSpec, StepSpec } from "./schema.ts";
import { type FileProbe, validateTree } from "./validate.ts";
import { parseYaml } from "./yaml_source.ts";

/** A loaded, valid pipeline. */
export interface Pipeline {
  spec: PipelineSpec;
  /** Steps in topological order. */
  order: StepSpec[];
}

/** A probe of the real file system under `dir`. */
export function fsProbe(dir: string): FileProbe {
  return {
    isFile(rel: string): boolean {
      try {
        return Deno.statSync(resolve(dir, rel)).isFile;
      } catch {
        return false;
      }
    },
    glob: (pattern: string) => globFiles(dir, pattern),
    resolvesInside(rel: string): boolean {
      try {
        const inside = relative(Deno.realPathSync(dir), Deno.realPathSync(resolve(dir, rel)));
        return !isAbsolute(inside) && inside !== ".." && !inside.startsWith("../");
      } catch {
        return false;
      }
    },
  };
}

/** How a path is shown in messages: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.startsWith("..") ? path : rel;
}

/** Validates pipeline text; returns the pipeline or throws PipelineError with every problem. */
export function loadPipelineText(
  text: string,
  file: string,
  probe: FileProbe = fsProbe(dirname(file)),
): Pipeline {
  const display = displayPath(file);
  const { root, problems } = parseYaml(text);
  if (problems.length > 0) {
    throw new PipelineError(
      problems.map((p) => ({
        file: display,
        pos: p.pos,
        message: `YAML: ${p.message}`,
        ...(p.hint ? { hint: p.hint } : {}),
      })),
    );
  }
  const { spec, diagnostics } = validateTree(root, file, display, dirname(file), probe);
  const all: Diagnostic[] = [...diagnostics];
  let order: StepSpec[] | undefined;
  if (spec) {
    const t = topoOrder(spec.steps);
    if (t.cycle) {
      const first = spec.steps.find((s) => s.name === t.cycle[0])!;
      all.push({
        file: display,
        pos: first.pos,
        message: `the steps form a cycle: ${t.cycle.join(" -> ")}`,
        hint: "a step cannot depend on its own outputs, even indirectly",
      });
    } else order = t.order;
  }
  // Input resolution is only meaningful once the structure is sound.
  if (spec && order && all.length === 0) {
    const seen = new Set<string>();
    for (const profile of spec.profiles.keys()) {
      const tooMany = instanceLimit(spec, profile, display);
      if (tooMany) {
        all.push(tooMany);
        continue;
      }
      for (const p of expand(spec, profile, order).problems) {
        const k = `${p.pos.line}:${p.pos.col}:${p.message}`;
        if (seen.has(k)) continue;
        seen.add(k);
        all.push({ file: display, pos: p.pos, message: p.message });
      }
    }
  }
  if (all.length > 0 || !spec || !order) {
    all.sort((a, b) =>
      (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0)
    );
    throw new PipelineError(all);
  }
  return { spec, order };
}

/**
 * The problem with a profile that has more instances than `limits.instances`
 * allows, naming the step that contributes most and its axis sizes; checked
 * before expansion, which would otherwise take minutes and gigabytes.
 */
function instanceLimit(
  spec: PipelineSpec,
  profile: string,
  display: string,
): Diagnostic | undefined {
  const { total, steps } = countInstances(spec, profile);
  const limit = spec.limits.instances;
  if (total <= limit) return undefined;
  const big = steps.reduce((a, b) => (b.count > a.count ? b : a));
  const sizes = big.axes.length ? ` (${big.axes.map(([a, n]) => `${a}=${n}`).join(" × ")})` : "";
  return {
    file: display,
    pos: big.step.pos,
    message:
      `profile '${profile}' has ${total} instances, more than the limit of ${limit}: step '${big.step.name}' has ${big.count}${sizes}`,
    hint:
      "use fewer axis values (or a profile with fewer), or raise the limit with 'limits: { instances: N }' at the top level of pipeline.yaml",
  };
}

/** Reads and validates a pipeline file. */
export async function loadPipeline(path: string): Promise<Pipeline> {
  const file = resolve(path);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new PipelineError([{
      file: displayPath(file),
      message: e instanceof Deno.errors.NotFound
        ? "no such file"
        : `cannot read: ${(e as Error).message}`,
      hint: "pass --file path/to/pipeline.yaml",
    }]);
  }
  return loadPipelineText(text, file);
}

/** Expands a loaded pipeline under a profile. */
export function expandPipeline(p: Pipeline, profile: string): Expansion {
  return expand(p.spec, profile, p.order);
}

/** Absolute path of a pipeline-relative path. */
export function inPipelineDir(spec: PipelineSpec, rel: string): string {
  return join(spec.dir, rel);
}
