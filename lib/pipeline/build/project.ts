/**
 * What every command works with: the loaded pipeline, the store, the code
 * graphs and one profile's expansion, plus key resolution (an instance's
 * key parts from its code, params and its upstream records).
 *
 * @module
 */

import { resolve } from "node:path";
import {
  canonicalJson,
  CodeGraphs,
  type CodeInfo,
  digestSource,
  sha256Hex,
  type SourceDigest,
  sourceGrants,
  SourceMissingError,
  StatCache,
} from "../keys/mod.ts";
import {
  addOverrideProfile,
  displayPath,
  effectiveOverrides,
  expandPipeline,
  type Expansion,
  type Instance,
  loadPipeline,
  noOverrides,
  type Overrides,
  parseOverrides,
  type Pipeline,
  PipelineError,
  type ResolvedSource,
  UsageError,
} from "../spec/mod.ts";
import { type RunRecord, Store, upstreamProvenance } from "../store/mod.ts";
import type { GatheredInput, InputValue, UpstreamRecord } from "../../step/mod.ts";

/** Where the store lives: `--store`, else $PIPELINE_STORE, else `artifacts/` next to the pipeline file. */
export function storeRoot(pipelineDir: string, flag?: string): string {
  if (flag) return resolve(flag);
  const env = Deno.env.get("PIPELINE_STORE");
  if (env) return resolve(env);
  return resolve(pipelineDir, "artifacts");
}

/** A pipeline opened for one command: its spec, its store, its steps' code and its expansions. */
export class Project {
  readonly code: CodeGraphs;
  #codeByStep = new Map<string, Promise<CodeInfo>>();
  #expansions = new Map<string, Expansion>();
  #statCache?: Promise<StatCache>;
  #digests = new Map<string, Promise<SourceDigest>>();
  /** The profiles made from command-line overrides: name -> base profile and overrides. */
  readonly experiments = new Map<string, { base: string; overrides: Overrides }>();

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

  /**
   * The profile for `base` plus command-line overrides (`--set`,
   * `--set-matrix`): `base` itself when they change nothing, else
   * `<base>+<8 hex>` named after the effective overrides, so the same
   * parameters always get the same name (and index, logs, published copies).
   * Invalid overrides are a `UsageError`.
   *
   * @example
   * ```ts ignore
   * project.experiment("smoke", ["epochs=3"], []); // "smoke+1f0c9a2b"
   * ```
   */
  experiment(base: string | undefined, sets: string[] = [], matrixSets: string[] = []): string {
    const b = this.profile(base);
    if (!sets.length && !matrixSets.length) return b;
    const parsed = parseOverrides(this.pipeline, sets, matrixSets);
    const o = effectiveOverrides(this.pipeline, b, parsed);
    if (noOverrides(o)) return b;
    const name = `${b}+${sha256Hex(canonicalJson(o)).slice(0, 8)}`;
    if (!this.experiments.has(name)) {
      addOverrideProfile(this.pipeline, b, name, o);
      this.experiments.set(name, { base: b, overrides: o });
    }
    return name;
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

  /** The stat cache of this command (read once, written after every source hashed anew). */
  #cache(): Promise<StatCache> {
    this.#statCache ??= StatCache.open(this.store.statCacheFile);
    return this.#statCache;
  }

  /** The sources `inst` reads (those its parameters make used). */
  usedSources(inst: Instance): (ResolvedSource & { path: string })[] {
    return (inst.sources ?? []).filter((s): s is ResolvedSource & { path: string } =>
      s.path !== null
    );
  }

  /**
   * The content of every source `inst` reads, by input name (once per path
   * per command). A missing path is a PipelineError at the source's
   * position, naming the path.
   */
  async sourceDigests(inst: Instance): Promise<Record<string, SourceDigest>> {
    const out: Record<string, SourceDigest> = {};
    for (const s of this.usedSources(inst)) {
      const k = `${s.path}\u0000${s.source.glob ?? ""}`;
      let d = this.#digests.get(k);
      if (!d) {
        d = this.#cache().then(async (cache) => {
          const digest = await digestSource(s.path, s.source.glob, cache);
          await cache.save().catch(() => {}); // a cache that cannot be written only costs time
          return digest;
        });
        this.#digests.set(k, d);
      }
      try {
        out[s.use.name] = await d;
      } catch (e) {
        if (e instanceof SourceMissingError) throw this.#missing(inst, s, e);
        throw e;
      }
    }
    return out;
  }

  /** Where the sources of `inst` lie, by input name (for messages). */
  sourceRoots(inst: Instance): Record<string, string> {
    return Object.fromEntries(this.usedSources(inst).map((s) => [s.use.name, s.path]));
  }

  /**
   * Checks that every source the instances read exists, before anything
   * runs; throws one PipelineError listing each missing path.
   */
  async checkSources(instances: Instance[]): Promise<void> {
    const problems: PipelineError[] = [];
    const seen = new Set<string>();
    for (const inst of instances) {
      for (const s of this.usedSources(inst)) {
        if (seen.has(s.path)) continue;
        seen.add(s.path);
        try {
          const st = await Deno.stat(s.path);
          if (!st.isFile && !st.isDirectory) {
            throw new SourceMissingError(s.path, "neither a file nor a directory");
          }
        } catch (e) {
          const err = e instanceof SourceMissingError
            ? e
            : new SourceMissingError(s.path, "no such file or directory");
          problems.push(this.#missing(inst, s, err));
        }
      }
    }
    if (problems.length) throw new PipelineError(problems.flatMap((p) => p.diagnostics));
  }

  #missing(inst: Instance, s: ResolvedSource, e: SourceMissingError): PipelineError {
    return new PipelineError([{
      file: this.pipeline.spec.displayFile,
      pos: s.source.pathPos,
      message: `source '${s.source.name}' (read by ${inst.id} as '${s.use.name}'): ${
        displayPath(e.path)
      }: ${e.message.slice(e.path.length + 2)}`,
      hint: "create it, or point the source's path (its parameters in the profile) elsewhere",
    }]);
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
    // A source is read in place: its path is the input, the grant follows its digest.
    const digests = await this.sourceDigests(inst);
    for (const s of this.usedSources(inst)) {
      values[s.use.name] = s.path;
      grants.push(...sourceGrants(s.path, s.source.glob, digests[s.use.name]));
    }
    return { values, files, grants, upstream: upstreamProvenance(inst, upstream) };
  }
}

/** Loads the pipeline file and opens its store (creating nothing). */
export async function openProject(file: string, storeFlag?: string): Promise<Project> {
  const pipeline = await loadPipeline(file);
  return new Project(pipeline, new Store(storeRoot(pipeline.spec.dir, storeFlag)));
}
