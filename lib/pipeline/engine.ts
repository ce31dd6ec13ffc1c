/**
 * What every command works with: the loaded pipeline, the store, the code
 * graphs and one profile's expansion, plus key resolution (an instance's
 * key parts from its code, params and its upstream records).
 *
 * @module
 */

import { resolve } from "node:path";
import { type GatheredHash, keyOf, type KeyParts, keyParts } from "./cache_key.ts";
import { CodeGraphs, type CodeInfo } from "./code_graph.ts";
import { UsageError } from "./diagnostics.ts";
import type { Expansion, Instance } from "./expand.ts";
import { expandPipeline, loadPipeline, type Pipeline } from "./load.ts";
import { upstreamProvenance } from "./provenance.ts";
import type { RunRecord } from "./record.ts";
import { Store } from "./store.ts";
import type { GatheredInput, InputValue, UpstreamRecord } from "../step/context.ts";

/** Where the store lives: `--store`, else $PIPELINE_STORE, else `artifacts/` next to the pipeline file. */
export function storeRoot(pipelineDir: string, flag?: string): string {
  if (flag) return resolve(flag);
  const env = Deno.env.get("PIPELINE_STORE");
  if (env) return resolve(env);
  return resolve(pipelineDir, "artifacts");
}

/** A pipeline opened for one command. */
export class Engine {
  readonly code: CodeGraphs;
  #codeByStep = new Map<string, Promise<CodeInfo>>();
  #expansions = new Map<string, Expansion>();

  constructor(readonly pipeline: Pipeline, readonly store: Store) {
    this.code = new CodeGraphs(pipeline.spec.dir);
  }

  /** The profile names, default first. */
  get profiles(): string[] {
    const names = [...this.pipeline.spec.profiles.keys()];
    const d = this.pipeline.spec.defaultProfile;
    return [d, ...names.filter((n) => n !== d)];
  }

  /** Checks a profile name given on the command line (default profile when undefined). */
  profile(name?: string): string {
    const p = name ?? this.pipeline.spec.defaultProfile;
    if (!this.pipeline.spec.profiles.has(p)) {
      throw new UsageError(`unknown profile '${p}' (profiles: ${this.profiles.join(", ")})`);
    }
    return p;
  }

  /** The instances under a profile (cached). */
  expansion(profile: string): Expansion {
    let e = this.#expansions.get(profile);
    if (!e) {
      e = expandPipeline(this.pipeline, profile);
      this.#expansions.set(profile, e);
    }
    return e;
  }

  /** The code of a step (deno info once per module per run). */
  codeOf(inst: Instance): Promise<CodeInfo> {
    let c = this.#codeByStep.get(inst.step.name);
    if (!c) {
      c = this.code.forStep(inst.step);
      this.#codeByStep.set(inst.step.name, c);
    }
    return c;
  }

  /** Key parts without inputs (known even when upstream must rerun first). */
  async partialParts(inst: Instance): Promise<Omit<KeyParts, "inputs">> {
    const { inputs: _, ...rest } = keyParts(inst, await this.codeOf(inst), {});
    return rest;
  }

  /** Full key parts and key, given the records the upstream instances resolved to. */
  async keyFor(
    inst: Instance,
    upstream: Map<string, RunRecord>,
  ): Promise<{ key: string; parts: KeyParts }> {
    const inputs: Record<string, string | GatheredHash[]> = {};
    for (const inp of inst.inputs) {
      const hashes = inp.upstream.map((u) => {
        const rec = upstream.get(u.id);
        if (!rec) throw new Error(`internal: ${u.id} is not resolved before ${inst.id}`);
        return { id: u.id, hash: rec.outputs[inp.spec.output].hash };
      });
      inputs[inp.spec.name] = inp.gather ? hashes : hashes[0].hash;
    }
    const parts = keyParts(inst, await this.codeOf(inst), inputs);
    return { key: keyOf(parts), parts };
  }

  /**
   * The input values a step sees (blob paths, materialised tree directories,
   * or gathered lists), every file behind them with its hash (for the read
   * grant and the after-run re-check), and the provenance of the upstream
   * instances (informational: it is not part of the key).
   */
  async inputValues(
    inst: Instance,
    upstream: Map<string, RunRecord>,
  ): Promise<
    {
      values: Record<string, InputValue>;
      files: { path: string; hash: string }[];
      grants: string[];
      upstream: UpstreamRecord[];
    }
  > {
    const values: Record<string, InputValue> = {};
    const files: { path: string; hash: string }[] = [];
    const grants: string[] = [];
    for (const inp of inst.inputs) {
      const list: GatheredInput[] = [];
      for (const u of inp.upstream) {
        const out = upstream.get(u.id)!.outputs[inp.spec.output];
        let path: string;
        if (out.kind === "dir") {
          const manifest = await this.store.readManifest(out.hash);
          if (!manifest) throw new Error(`tree manifest ${out.hash} of ${u.id} is unreadable`);
          path = await this.store.materialiseTree(out.hash, manifest);
          for (const [rel, e] of Object.entries(manifest.entries)) {
            files.push({ path: `${path}/${rel}`, hash: e.hash });
          }
        } else {
          path = this.store.blobPath(out.hash);
          files.push({ path, hash: out.hash });
        }
        grants.push(path);
        list.push({ id: u.id, matrix: u.matrix, path });
      }
      values[inp.spec.name] = inp.gather ? list : list[0].path;
    }
    return { values, files, grants, upstream: upstreamProvenance(inst, upstream) };
  }
}

/** Loads the pipeline file and opens its store (creating nothing). */
export async function openEngine(file: string, storeFlag?: string): Promise<Engine> {
  const pipeline = await loadPipeline(file);
  return new Engine(pipeline, new Store(storeRoot(pipeline.spec.dir, storeFlag)));
}

/** Instances selected by `--only` names (step names or instance ids) plus everything upstream of them. */
export function selectInstances(exp: Expansion, only: string[] | undefined): Instance[] {
  if (!only || only.length === 0) return exp.instances;
  const roots: Instance[] = [];
  for (const name of only) {
    const inst = exp.byId.get(name);
    const step = exp.byStep.get(name);
    if (inst) roots.push(inst);
    else if (step) roots.push(...step);
    else {
      const steps = [...exp.byStep.keys()];
      throw new UsageError(
        `'${name}' is neither a step nor an instance under profile '${exp.profile}' (steps: ${
          steps.join(", ")
        })`,
      );
    }
  }
  const keep = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const i = stack.pop()!;
    if (keep.has(i.id)) continue;
    keep.add(i.id);
    for (const inp of i.inputs) stack.push(...inp.upstream);
  }
  return exp.instances.filter((i) => keep.has(i.id));
}

/** Instance ids named by `--force` (step names or instance ids). */
export function forcedIds(exp: Expansion, names: string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const name of names ?? []) {
    const inst = exp.byId.get(name);
    const step = exp.byStep.get(name);
    if (inst) out.add(inst.id);
    else if (step) step.forEach((s) => out.add(s.id));
    else {throw new UsageError(
        `--force: '${name}' is neither a step nor an instance under profile '${exp.profile}'`,
      );}
  }
  return out;
}
