/**
 * `deno task check-layers` (part of `deno task ok`): checks the directions
 * the code must keep.
 *
 * - The engine (`lib/pipeline/`) imports nothing from the study: outside
 *   itself only the step protocol (`lib/step/`) and the domain-free file
 *   helpers (`lib/files/`).
 *   Inside it: `keys/` uses `spec/`; `store/` uses `keys/` and `spec/`;
 *   `exec/` uses `spec/`; `build/` uses those four; `archive/` and `remote/`
 *   use `build/` (and what it uses); `cli/` uses everything (no cycle).
 * - Steps (`steps/`) import nothing from the engine.
 * - `lib/step/`, `lib/files/` and `lib/util/` import nothing else of the project.
 * - A package is a folder with a `mod.ts` (each folder of `lib/`, each of
 *   `lib/pipeline/`); its public modules are those `mod.ts` re-exports.
 *   Other packages import only its `mod.ts`. Steps, tools and benchmarks may
 *   import a public module directly: a step's module graph is its cache key,
 *   so it should hold only the code the step uses. Tests may reach inside.
 * - No cycle between folders.
 *
 * Exit 0 when all hold, 1 with one line per violation otherwise.
 *
 * @module
 */

import { dirname, join, normalize, relative, resolve } from "node:path";
import { fromFileUrl } from "../lib/files/mod.ts";

/** One broken rule, at the importing file. */
export interface LayerViolation {
  file: string;
  line: number;
  message: string;
}

/** One import of a project file: the importing file (repo-relative) and the imported file. */
export interface ProjectImport {
  from: string;
  to: string;
  line: number;
}

const SPEC =
  /(?:\bfrom\s*|\bimport\s*\(?\s*|\bexport\s*\*\s*from\s*|new URL\(\s*)"(\.{1,2}\/[^"]+)"/g;

/**
 * The project-relative imports of one source file (static, dynamic,
 * re-exports and `new URL(..., import.meta.url)`).
 *
 * @example
 * ```ts
 * importsOf("steps/a.ts", 'import { x } from "../lib/qnn/mod.ts";');
 * // [{ from: "steps/a.ts", to: "lib/qnn/mod.ts", line: 1 }]
 * ```
 */
export function importsOf(file: string, source: string): ProjectImport[] {
  const out: ProjectImport[] = [];
  const lines = source.split("\n");
  let inBlockComment = false;
  lines.forEach((text, i) => {
    const t = text.trim();
    if (inBlockComment) {
      if (t.includes("*/")) inBlockComment = false;
      return;
    }
    if (t.startsWith("/*")) {
      inBlockComment = !t.includes("*/");
      return;
    }
    if (t.startsWith("//") || t.startsWith("*")) return;
    for (const m of text.matchAll(SPEC)) {
      const to = normalize(join(dirname(file), m[1])).split("\\").join("/");
      out.push({ from: file, to, line: i + 1 });
    }
  });
  return out;
}

/** The package folder a file belongs to: `lib/<x>`, `lib/pipeline/<y>`, or its top folder. */
export function folderOf(file: string): string {
  const parts = file.split("/");
  if (parts[0] === "lib" && parts[1] === "pipeline" && parts.length > 3) {
    return parts.slice(0, 3).join("/");
  }
  if (parts[0] === "lib" && parts.length > 2) return parts.slice(0, 2).join("/");
  return parts.length > 1 ? parts[0] : ".";
}

function under(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir + "/");
}

/** Folders that are packages (must have a `mod.ts`, imported only through it from outside). */
function isPackage(folder: string): boolean {
  return folder.startsWith("lib/");
}

/** Leaf packages: they import nothing else of the project. */
const LEAVES = ["lib/step", "lib/files", "lib/util"];

/** Where applications live (their imports may name a package's public modules). */
const APPS = ["steps", "tools", "bench"];

/**
 * Checks every rule on the imports of the given files (repo-relative paths;
 * `packages` lists the package folders that have a `mod.ts`).
 *
 * @example
 * ```ts
 * const v = checkLayers(
 *   [{ from: "lib/pipeline/spec/load.ts", to: "lib/qnn/mod.ts", line: 3 }],
 *   new Set(["lib/pipeline/spec", "lib/qnn"]),
 * );
 * // v[0].message: "the engine imports the study (lib/qnn/mod.ts) ..."
 * ```
 */
export function checkLayers(imports: ProjectImport[], packages: Set<string>): LayerViolation[] {
  const out: LayerViolation[] = [];
  // What each package's mod.ts re-exports.
  const publicModules = new Set(
    imports.filter((i) => i.from.endsWith("/mod.ts") && folderOf(i.from) === folderOf(i.to))
      .map((i) => i.to),
  );
  const add = (i: ProjectImport, message: string) =>
    out.push({ file: i.from, line: i.line, message });
  const folders = new Set<string>();
  for (const i of imports) {
    const a = folderOf(i.from);
    const b = folderOf(i.to);
    folders.add(a);
    folders.add(b);
    if (under(i.from, "tests")) continue;
    if (under(i.from, "lib/pipeline")) {
      if (!under(i.to, "lib/pipeline") && !under(i.to, "lib/step") && !under(i.to, "lib/files")) {
        add(
          i,
          `the engine imports ${i.to}: outside lib/pipeline/ it may use only lib/step/ and lib/files/`,
        );
      }
    }
    if (under(i.from, "steps") && under(i.to, "lib/pipeline")) {
      add(i, `a step imports the engine (${i.to}): steps know nothing about caching`);
    }
    for (const leaf of LEAVES) {
      if (under(i.from, leaf) && !under(i.to, leaf)) {
        add(i, `${leaf}/ imports ${i.to}: it must import nothing else of the project`);
      }
    }
    const app = APPS.some((d) => under(i.from, d));
    if (a !== b && isPackage(b) && i.to !== `${b}/mod.ts`) {
      if (!packages.has(b)) add(i, `${b}/ has no mod.ts: give it one and import that`);
      else if (!app) add(i, `${i.to} is inside ${b}/: import ${b}/mod.ts`);
      else if (!publicModules.has(i.to)) {
        add(i, `${i.to} is private to ${b}/ (its mod.ts does not export it)`);
      }
    }
  }
  for (const f of folders) {
    if (isPackage(f) && f !== "lib/pipeline" && !packages.has(f)) {
      out.push({ file: `${f}/`, line: 0, message: `package folder ${f}/ has no mod.ts` });
    }
  }
  // Cycles between folders (tests excluded: they may import anything).
  const edges = new Map<string, Map<string, ProjectImport>>();
  for (const i of imports) {
    if (under(i.from, "tests")) continue;
    const a = folderOf(i.from);
    const b = folderOf(i.to);
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a)!.has(b)) edges.get(a)!.set(b, i);
  }
  for (const cycle of folderCycles(edges)) {
    const first = edges.get(cycle[0])!.get(cycle[1])!;
    add(first, `folders import each other in a cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
  }
  return out;
}

/** One cycle per strongly connected component of more than one folder. */
function folderCycles(edges: Map<string, Map<string, unknown>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const comps: string[][] = [];
  let n = 0;
  const visit = (v: string) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) comps.push(comp);
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  // Turn each component into one concrete cycle through its smallest folder.
  return comps.map((comp) => {
    const inComp = new Set(comp);
    const start = [...comp].sort()[0];
    const path = [start];
    const seen = new Set([start]);
    const dfs = (v: string): boolean => {
      for (const w of edges.get(v)?.keys() ?? []) {
        if (!inComp.has(w)) continue;
        if (w === start) return true;
        if (seen.has(w)) continue;
        seen.add(w);
        path.push(w);
        if (dfs(w)) return true;
        path.pop();
      }
      return false;
    };
    dfs(start);
    return path;
  });
}

async function sourceFiles(root: string, dir: string, out: string[]): Promise<void> {
  try {
    for await (const e of Deno.readDir(join(root, dir))) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory) {
        if (["node_modules", "fixtures"].includes(e.name)) {
          continue;
        }
        await sourceFiles(root, rel, out);
      } else if (e.isFile && e.name.endsWith(".ts")) out.push(rel);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Checks the repository at `root`; returns the violations. */
export async function checkRepository(root: string): Promise<LayerViolation[]> {
  const files: string[] = [];
  for (const top of ["lib", "steps", "tools", "bench", "tests"]) {
    await sourceFiles(root, top, files);
  }
  const imports: ProjectImport[] = [];
  const packages = new Set<string>();
  for (const f of files) {
    if (f.endsWith("/mod.ts")) packages.add(dirname(f));
    imports.push(...importsOf(f, await Deno.readTextFile(join(root, f))));
  }
  return checkLayers(imports, packages);
}

if (import.meta.main) {
  const root = resolve(fromFileUrl(new URL("..", import.meta.url).href));
  const violations = await checkRepository(root);
  for (const v of violations) {
    console.error(`${relative(Deno.cwd(), join(root, v.file)) || v.file}:${v.line}: ${v.message}`);
  }
  if (violations.length) {
    console.error(`check-layers: ${violations.length} violation(s)`);
    Deno.exit(1);
  }
  console.log("check-layers: the engine, the steps and every package keep their directions");
}
