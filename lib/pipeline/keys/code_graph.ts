/**
 * A step's code: every local file its module graph reaches (from
 * `deno info --json`), files referenced as `new URL("...", import.meta.url)`
 * (workers, .wasm; `.ts`/`.js` ones followed through their own graphs), the
 * step's `code:` globs, and the npm packages the graph resolves to.
 *
 * @module
 */

import { dirname, extname, join, relative, resolve } from "node:path";
import { fromFileUrl, globFiles, toFileUrl } from "../../files/mod.ts";
import { hashFile } from "./hash.ts";
import type { StepSpec } from "../spec/mod.ts";

/** The code part of a step's key, plus what the step must be allowed to read. */
export interface CodeInfo {
  /** Path relative to the pipeline directory -> SHA-256 of the file (or "missing"). */
  files: Record<string, string>;
  /** Resolved npm packages (`name@version`), sorted. */
  npm: string[];
  /** Absolute paths: the code files and the npm packages' directories. */
  readPaths: string[];
  /** Absolute path of each entry of `files`, for re-checking after a run. */
  absolute: Record<string, string>;
}

/** What one module graph reaches. */
interface ModuleGraph {
  files: Set<string>;
  missing: Set<string>;
  /** Remote module URL -> its cached local copy. */
  remote: Map<string, string>;
  npm: Set<string>;
  npmDirs: Set<string>;
}

/** The shape of `deno info --json` this module relies on. */
export interface DenoInfo {
  modules: {
    specifier: string;
    kind?: string;
    local?: string;
    mediaType?: string;
    error?: string;
    npmPackage?: string;
  }[];
  npmPackages?: Record<string, { dependencies?: string[]; localPath?: string }>;
}

/** Marker used in place of a hash for a file the graph names but that does not exist. */
export const MISSING = "missing";

const SCRIPT_EXT = new Set([".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"]);
const NEW_URL = /new\s+URL\s*\(\s*(["'])([^"'`\n$]+)\1\s*,\s*import\.meta\.url\s*\)/g;

/** The project's Deno config: deno.json(c) in `dir` or the nearest parent directory. */
export function findDenoConfig(dir: string): string | null {
  let d = resolve(dir);
  while (true) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      try {
        if (Deno.statSync(join(d, name)).isFile) return join(d, name);
      } catch { /* not here */ }
    }
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}

/** Runs `deno info --json` on a module (with the project's config, or none). */
export async function denoInfo(
  module: string,
  cwd: string,
  config: string | null,
): Promise<DenoInfo> {
  const args = ["info", "--json", ...(config ? ["--config", config] : ["--no-config"]), module];
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`deno info ${module} failed: ${err}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as DenoInfo;
}

/** The npm packages a graph reaches: its direct npm modules and their dependencies, transitively. */
export function npmClosure(info: DenoInfo): { ids: Set<string>; dirs: Set<string> } {
  const ids = new Set<string>();
  const dirs = new Set<string>();
  const stack = info.modules.filter((m) => m.npmPackage).map((m) => m.npmPackage!);
  while (stack.length) {
    const id = stack.pop()!;
    if (ids.has(id)) continue;
    ids.add(id);
    const pkg = info.npmPackages?.[id];
    if (pkg?.localPath) dirs.add(pkg.localPath);
    for (const d of pkg?.dependencies ?? []) stack.push(d);
  }
  return { ids, dirs };
}

/** Computes (and caches, for one engine run) the code of each step. */
export class CodeGraphs {
  readonly config: string | null;
  #graphs = new Map<string, Promise<ModuleGraph>>();
  #hashes = new Map<string, Promise<string>>();

  constructor(readonly dir: string, config?: string | null) {
    this.config = config === undefined ? findDenoConfig(dir) : config;
  }

  /** SHA-256 of a file's bytes, or MISSING (cached for this run). */
  hash(abs: string): Promise<string> {
    let h = this.#hashes.get(abs);
    if (!h) {
      h = hashFile(abs).then((d) => d.hash, () => MISSING);
      this.#hashes.set(abs, h);
    }
    return h;
  }

  /** The code of a step: module graph, `new URL` references, code globs, npm packages. */
  async forStep(step: StepSpec): Promise<CodeInfo> {
    const g = await this.graph(resolve(this.dir, step.module), new Set());
    const abs = new Set<string>([...g.files, ...g.missing]);
    for (const pattern of step.code) {
      for (const rel of globFiles(this.dir, pattern)) abs.add(resolve(this.dir, rel));
    }
    const files: Record<string, string> = {};
    const absolute: Record<string, string> = {};
    for (const a of [...abs].sort()) {
      const rel = relative(this.dir, a).split("\\").join("/");
      files[rel] = await this.hash(a);
      absolute[rel] = a;
    }
    for (const [url, local] of g.remote) {
      files[url] = await this.hash(local);
      absolute[url] = local;
    }
    const readPaths = [
      ...[...abs].filter((a) => !g.missing.has(a)),
      ...g.remote.values(),
      ...g.npmDirs,
    ];
    return { files, npm: [...g.npm].sort(), readPaths: [...new Set(readPaths)].sort(), absolute };
  }

  graph(module: string, visiting: Set<string>): Promise<ModuleGraph> {
    let g = this.#graphs.get(module);
    if (!g) {
      g = this.#build(module, visiting);
      this.#graphs.set(module, g);
    }
    return g;
  }

  async #build(module: string, visiting: Set<string>): Promise<ModuleGraph> {
    visiting = new Set(visiting).add(module);
    const info = await denoInfo(module, this.dir, this.config);
    const g: ModuleGraph = {
      files: new Set(),
      missing: new Set(),
      remote: new Map(),
      npm: new Set(),
      npmDirs: new Set(),
    };
    const scripts: string[] = [];
    for (const m of info.modules) {
      if (m.specifier.startsWith("file:")) {
        const path = fromFileUrl(m.specifier);
        if (await this.hash(path) === MISSING) g.missing.add(path);
        else {
          g.files.add(path);
          if (SCRIPT_EXT.has(extname(path))) scripts.push(path);
        }
      } else if (/^https?:/.test(m.specifier) && m.local) {
        g.remote.set(m.specifier, m.local);
      }
    }
    const npm = npmClosure(info);
    npm.ids.forEach((id) => g.npm.add(id));
    npm.dirs.forEach((d) => g.npmDirs.add(d));
    // Files a module reaches at run time through `new URL(..., import.meta.url)`.
    for (const script of scripts) {
      let text: string;
      try {
        text = await Deno.readTextFile(script);
      } catch {
        continue;
      }
      for (const m of text.matchAll(NEW_URL)) {
        const url = new URL(m[2], toFileUrl(script));
        if (url.protocol !== "file:") continue;
        const target = fromFileUrl(url.href);
        if (
          SCRIPT_EXT.has(extname(target)) && !visiting.has(target) &&
          await this.hash(target) !== MISSING
        ) {
          const sub = await this.graph(target, visiting);
          sub.files.forEach((f) => g.files.add(f));
          sub.missing.forEach((f) => g.missing.add(f));
          sub.remote.forEach((v, k) => g.remote.set(k, v));
          sub.npm.forEach((x) => g.npm.add(x));
          sub.npmDirs.forEach((x) => g.npmDirs.add(x));
        } else if (await this.hash(target) === MISSING) g.missing.add(target);
        else g.files.add(target);
      }
    }
    return g;
  }
}
