/**
 * `verify --archive <bundle>`: checks a bundle (a directory, or a .tar.gz
 * made by `archive --tar`) against its own `ro-crate-metadata.json`, with no
 * store and no pipeline: the metadata parses and is consistent (descriptor,
 * root dataset, every file linked from the root, every reference of every
 * CreateAction resolvable), every listed file exists with the stated size and
 * SHA-256, and no file is unlisted.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { HashPool } from "../keys/mod.ts";
import { idPath, METADATA_FILE } from "./ro_crate.ts";
import { readTarGz } from "../../files/mod.ts";

/** One problem found in a bundle. */
export interface BundleProblem {
  kind: "missing" | "size" | "corrupt" | "unlisted" | "metadata";
  /** The file concerned (bundle-relative), when there is one. */
  path?: string;
  message: string;
}

/** What `verify --archive` found. */
export interface BundleReport {
  files: number;
  bytes: number;
  actions: number;
  problems: BundleProblem[];
}

/** A file as the metadata lists it. */
interface Listed {
  path: string;
  size: number;
  sha256: string;
}

/** What is in a bundle: its files (with sizes) and a way to hash them. */
interface BundleContent {
  metadata: string | null;
  files: Map<string, number>;
  /** Things that are neither regular files nor directories (links, devices). */
  odd: string[];
  dirs: Set<string>;
  hash(paths: string[]): Promise<Map<string, string>>;
  close(): void;
}

type Json = Record<string, unknown>;

const isObj = (x: unknown): x is Json => typeof x === "object" && x !== null && !Array.isArray(x);
const list = (x: unknown): unknown[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const types = (e: Json): string[] =>
  list(e["@type"]).filter((t) => typeof t === "string") as string[];
const refIds = (x: unknown): string[] =>
  list(x).flatMap((r) => (isObj(r) && typeof r["@id"] === "string" ? [r["@id"] as string] : []));

/** A relative `@id` that names a place inside the bundle (not a fragment, not a URL). */
function isLocal(id: string): boolean {
  return !id.startsWith("#") && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(id);
}

/** A bundle path that stays inside the bundle, or null. */
function safePath(id: string): string | null {
  let p: string;
  try {
    p = idPath(id.replace(/\/$/, ""));
  } catch {
    return null;
  }
  const segs = p.split("/");
  if (p.startsWith("/") || segs.some((s) => s === "" || s === "." || s === "..")) return null;
  if (p.includes("\\") || p.includes("\0")) return null;
  return p;
}

async function directoryContent(dir: string, jobs: number): Promise<BundleContent> {
  const files = new Map<string, number>();
  const dirs = new Set<string>();
  const odd: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(join(dir, rel))) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymlink) odd.push(p);
      else if (e.isDirectory) {
        dirs.add(p);
        await walk(p);
      } else if (e.isFile) files.set(p, (await Deno.stat(join(dir, p))).size);
      else odd.push(p);
    }
  };
  await walk("");
  let metadata: string | null = null;
  if (files.has(METADATA_FILE)) metadata = await Deno.readTextFile(join(dir, METADATA_FILE));
  const pool = new HashPool(jobs);
  return {
    metadata,
    files,
    dirs,
    odd,
    async hash(paths) {
      const out = new Map<string, string>();
      await Promise.all(paths.map(async (p) => {
        const d = await pool.hash(join(dir, p)).catch(() => null);
        if (d) out.set(p, d.hash);
      }));
      return out;
    },
    close: () => pool.close(),
  };
}

/** Reads a .tar.gz in one pass, hashing every file; the bundle root is where the metadata is. */
async function tarContent(path: string): Promise<BundleContent> {
  const members = new Map<string, { size: number; hash: string; text?: string }>();
  const dirNames: string[] = [];
  const oddNames: string[] = [];
  await readTarGz(path, async (m, content) => {
    const name = m.name.replace(/^(\.\/)+/, "");
    if (m.kind === "dir") dirNames.push(name);
    else if (m.kind === "other") oddNames.push(name);
    else {
      const h = createHash("sha256");
      const keep = name === METADATA_FILE || name.endsWith(`/${METADATA_FILE}`);
      const chunks: Uint8Array[] = [];
      for await (const c of content!) {
        h.update(c);
        if (keep) chunks.push(c);
      }
      const text = keep ? new TextDecoder().decode(concat(chunks)) : undefined;
      members.set(name, { size: m.size, hash: h.digest("hex"), text });
    }
  });
  // The shallowest metadata file marks the bundle's root directory inside the archive.
  const metas = [...members.keys()].filter((n) =>
    n === METADATA_FILE || n.endsWith(`/${METADATA_FILE}`)
  ).sort((a, b) => a.split("/").length - b.split("/").length);
  const prefix = metas.length ? metas[0].slice(0, -METADATA_FILE.length) : "";
  const strip = (n: string) => (n.startsWith(prefix) ? n.slice(prefix.length) : null);
  const files = new Map<string, number>();
  const hashes = new Map<string, string>();
  const odd: string[] = [];
  for (const [n, m] of members) {
    const p = strip(n);
    if (p === null) odd.push(n);
    else {
      files.set(p, m.size);
      hashes.set(p, m.hash);
    }
  }
  for (const n of oddNames) odd.push(strip(n) ?? n);
  const dirs = new Set(dirNames.map(strip).filter((p): p is string => !!p));
  for (const p of files.keys()) {
    const segs = p.split("/");
    for (let i = 1; i < segs.length; i++) dirs.add(segs.slice(0, i).join("/"));
  }
  return {
    metadata: metas.length ? members.get(metas[0])!.text ?? null : null,
    files,
    dirs,
    odd,
    hash: (paths) => Promise.resolve(new Map(paths.map((p) => [p, hashes.get(p)!]))),
    close: () => {},
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Checks the metadata's structure; returns the listed files and the number
 * of CreateActions, adding every inconsistency to `problems`.
 */
function checkMetadata(
  doc: unknown,
  content: BundleContent,
  problems: BundleProblem[],
): { listed: Listed[]; actions: number } {
  const bad = (message: string, path?: string) =>
    problems.push({ kind: "metadata", message, ...(path ? { path } : {}) });
  const listed: Listed[] = [];
  if (!isObj(doc)) {
    bad(`${METADATA_FILE} is not a JSON object`);
    return { listed, actions: 0 };
  }
  const ctx = list(doc["@context"]);
  if (!ctx.some((c) => typeof c === "string" && c.startsWith("https://w3id.org/ro/crate/"))) {
    bad("@context does not name an RO-Crate context (https://w3id.org/ro/crate/...)");
  }
  const graph = doc["@graph"];
  if (!Array.isArray(graph)) {
    bad(`${METADATA_FILE} has no @graph list`);
    return { listed, actions: 0 };
  }
  const byId = new Map<string, Json>();
  for (const e of graph) {
    if (!isObj(e) || typeof e["@id"] !== "string" || types(e).length === 0) {
      bad(`an @graph entry without a string @id and a @type: ${JSON.stringify(e).slice(0, 80)}`);
      continue;
    }
    const id = e["@id"] as string;
    if (byId.has(id)) bad(`two entities have the @id '${id}'`);
    byId.set(id, e);
  }

  // The descriptor names the spec and the root; the root is a Dataset.
  const desc = byId.get(METADATA_FILE);
  let rootId = "./";
  if (!desc) bad(`no metadata descriptor (an entity with @id '${METADATA_FILE}')`);
  else {
    const conforms = refIds(desc.conformsTo);
    if (!conforms.some((c) => c.startsWith("https://w3id.org/ro/crate/"))) {
      bad("the metadata descriptor's conformsTo does not name an RO-Crate specification");
    }
    rootId = refIds(desc.about)[0] ?? rootId;
    if (refIds(desc.about).length !== 1) bad("the metadata descriptor's about must name the root");
  }
  const root = byId.get(rootId);
  if (!root || !types(root).includes("Dataset")) {
    bad(`the root '${rootId}' is missing or not a Dataset`);
  } else {
    for (const key of ["name", "description", "datePublished"]) {
      if (typeof root[key] !== "string" || root[key] === "") bad(`the root dataset has no ${key}`);
    }
  }

  // Everything reachable from the root through hasPart.
  const reachable = new Set<string>();
  const stack = root ? refIds(root.hasPart) : [];
  while (stack.length) {
    const id = stack.pop()!;
    if (reachable.has(id)) continue;
    reachable.add(id);
    const e = byId.get(id);
    if (e) stack.push(...refIds(e.hasPart));
  }

  for (const [id, e] of byId) {
    const isFile = types(e).includes("File");
    const isDataset = types(e).includes("Dataset") && id !== rootId;
    if (!(isFile || isDataset) || !isLocal(id)) continue;
    const path = safePath(id);
    if (path === null) {
      bad(`'${id}' is not a path inside the bundle`);
      continue;
    }
    if (!reachable.has(id)) bad(`'${id}' is not linked from the root dataset (hasPart)`, path);
    if (isDataset) {
      if (!content.dirs.has(path)) {
        problems.push({
          kind: "missing",
          path,
          message: `directory '${path}/' is listed but absent`,
        });
      }
      continue;
    }
    const size = typeof e.contentSize === "number"
      ? e.contentSize
      : /^\d+$/.test(String(e.contentSize ?? ""))
      ? Number(e.contentSize)
      : NaN;
    const sha = e.sha256;
    if (!Number.isSafeInteger(size) || typeof sha !== "string" || !/^[0-9a-f]{64}$/.test(sha)) {
      bad(`file '${path}' lacks a contentSize or a sha256 to check it against`, path);
      continue;
    }
    listed.push({ path, size, sha256: sha });
  }

  // Every reference of a CreateAction resolves: to an entity, and results to what is present.
  let actions = 0;
  for (const [id, e] of byId) {
    if (!types(e).includes("CreateAction")) continue;
    actions++;
    for (const key of ["instrument", "object", "result"]) {
      for (const r of refIds(e[key])) {
        if (!byId.has(r)) bad(`CreateAction '${id}': ${key} '${r}' is not described`);
      }
    }
    if (refIds(e.result).length === 0) bad(`CreateAction '${id}' has no result`);
  }
  return { listed, actions };
}

/** Verifies a bundle directory or .tar.gz against its ro-crate-metadata.json. */
export async function verifyBundle(path: string, opts: { jobs: number }): Promise<BundleReport> {
  const report: BundleReport = { files: 0, bytes: 0, actions: 0, problems: [] };
  const notBundle = (why: string) => {
    report.problems.push({ kind: "metadata", message: `${path} is not a bundle: ${why}` });
    return report;
  };
  const st = await Deno.stat(path);
  let content: BundleContent;
  if (st.isDirectory) {
    // Not a bundle: say so without walking whatever directory this is.
    const meta = await Deno.stat(join(path, METADATA_FILE)).catch(() => null);
    if (!meta?.isFile) return notBundle(`it has no ${METADATA_FILE}`);
    content = await directoryContent(path, opts.jobs);
  } else {
    try {
      content = await tarContent(path);
    } catch (e) {
      return notBundle(
        `it is neither a directory nor a readable .tar.gz (${(e as Error).message})`,
      );
    }
  }
  try {
    if (content.metadata === null) {
      report.problems.push({
        kind: "metadata",
        message: `no ${METADATA_FILE} in ${path}: not an RO-Crate bundle`,
      });
      return report;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(content.metadata);
    } catch (e) {
      report.problems.push({
        kind: "metadata",
        message: `${METADATA_FILE} is not valid JSON: ${(e as Error).message}`,
      });
      return report;
    }
    const { listed, actions } = checkMetadata(doc, content, report.problems);
    report.actions = actions;
    const listedPaths = new Set(listed.map((l) => l.path));
    for (const p of content.odd) {
      report.problems.push({
        kind: "unlisted",
        path: p,
        message: `'${p}' is not a regular file (links are not allowed in a bundle)`,
      });
    }
    for (const p of [...content.files.keys()].sort()) {
      if (p !== METADATA_FILE && !listedPaths.has(p)) {
        report.problems.push({
          kind: "unlisted",
          path: p,
          message: `'${p}' is not described in ${METADATA_FILE}`,
        });
      }
    }
    const toHash: Listed[] = [];
    for (const l of listed) {
      const size = content.files.get(l.path);
      if (size === undefined) {
        report.problems.push({
          kind: "missing",
          path: l.path,
          message: `'${l.path}' is listed (${l.size} bytes) but absent`,
        });
      } else if (size !== l.size) {
        report.problems.push({
          kind: "size",
          path: l.path,
          message: `'${l.path}' has ${size} bytes, the metadata says ${l.size}`,
        });
      } else toHash.push(l);
    }
    const hashes = await content.hash(toHash.map((l) => l.path));
    for (const l of toHash) {
      const h = hashes.get(l.path);
      report.files++;
      report.bytes += l.size;
      if (h !== l.sha256) {
        report.problems.push({
          kind: "corrupt",
          path: l.path,
          message: h
            ? `'${l.path}' has SHA-256 ${h}, the metadata says ${l.sha256}`
            : `'${l.path}' could not be read`,
        });
      }
    }
    report.problems.sort((a, b) => ((a.path ?? "") < (b.path ?? "") ? -1 : 1));
    return report;
  } finally {
    content.close();
  }
}
