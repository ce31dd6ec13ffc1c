/**
 * The archive's `ro-crate-metadata.json` (RO-Crate 1.1): the metadata file
 * descriptor, the root dataset, one `File` per archived file (size, SHA-256,
 * media type), and the provenance of every instance the archive depends on as
 * a `CreateAction` (instrument: its code as `SoftwareSourceCode` and the Deno
 * that ran it; object: its inputs and parameters; result: its outputs).
 * Pure: it describes what it is given and touches no file.
 *
 * @module
 */

import { canonicalJson, sha256Hex } from "../keys/mod.ts";
import { mediaType } from "../../files/mod.ts";
import { codeHash } from "../store/mod.ts";

/** The RO-Crate 1.1 JSON-LD context. */
export const RO_CRATE_CONTEXT = "https://w3id.org/ro/crate/1.1/context";
/** The specification the metadata conforms to. */
export const RO_CRATE_SPEC = "https://w3id.org/ro/crate/1.1";
/** The metadata file's name (and the descriptor's `@id`). */
export const METADATA_FILE = "ro-crate-metadata.json";
/** Terms used beyond the 1.1 context (it is based on schema.org 10.0, older than `sha256`). */
export const EXTRA_TERMS = { sha256: "http://schema.org/sha256" };

/** One file in the bundle. */
export interface CrateFile {
  /** Relative POSIX path inside the bundle. */
  path: string;
  hash: string;
  size: number;
  description: string;
}

/** One output of a run: in the bundle (`path`, and `files` for a directory) or only described. */
export interface CrateOutput {
  name: string;
  file: string;
  kind: "file" | "dir";
  /** Content hash (a directory's: its tree manifest's) and size, as recorded. */
  hash: string;
  size: number;
  /** Where it is in the bundle: the file, or the directory (no trailing slash). */
  path?: string;
  /** The files of an archived output (one for a file output). */
  files?: CrateFile[];
}

/** One step instance that made something the archive depends on. */
export interface CrateRun {
  id: string;
  step: string;
  description?: string;
  key: string;
  module: string;
  /** The code key part: relative path (or remote URL) -> SHA-256 (or "missing"). */
  code: Record<string, string>;
  npm: string[];
  params: Record<string, unknown>;
  /** Inputs: the producing instance and its output, one entry per gathered instance. */
  inputs: { name: string; from: string; output: string }[];
  /** External sources it read: input name -> relative path -> SHA-256 (absent: none). */
  sources?: Record<string, { kind: "file" | "dir"; files: Record<string, string> }>;
  outputs: CrateOutput[];
  started: string;
  ended: string;
  deno: string;
}

/** Everything the metadata says. */
export interface CrateDescription {
  name: string;
  description: string;
  /** An SPDX identifier or a URL. */
  license?: string;
  datePublished: string;
  identifier: string;
  /** Facts about the archive as a whole (profile, engine salt, Deno version). */
  properties: { id: string; name: string; value: string | number | boolean }[];
  /** In dependency order: every run after the runs whose outputs it reads. */
  runs: CrateRun[];
}

/** A JSON-LD entity. */
export type Entity = { "@id": string; "@type": string | string[]; [k: string]: unknown };

/** The metadata document. */
export interface RoCrate {
  "@context": (string | Record<string, string>)[];
  "@graph": Entity[];
}

const ref = (id: string) => ({ "@id": id });

/**
 * Percent-encodes what may not appear in a path segment or fragment of an
 * IRI reference (non-ASCII stays as UTF-8 text, as RO-Crate prefers).
 * `:` is encoded too, so a relative path never reads as a scheme.
 */
export function encodeIriPart(s: string): string {
  // Control characters are exactly what must be encoded here.
  // deno-lint-ignore no-control-regex
  return s.replace(/[\x00-\x20"#%<>?[\\\]^`{|}\x7f:]/g, (c) => {
    const b = new TextEncoder().encode(c);
    return [...b].map((x) => "%" + x.toString(16).toUpperCase().padStart(2, "0")).join("");
  });
}

/** The `@id` of a bundle path (each segment encoded). */
export function pathId(path: string): string {
  return path.split("/").map(encodeIriPart).join("/");
}

/** The bundle path of a relative `@id` (the inverse of `pathId`). */
export function idPath(id: string): string {
  return id.split("/").map((s) => decodeURIComponent(s)).join("/");
}

/** Splits `name@version` (scoped names keep their leading `@`; peer suffixes `_x@y` are dropped). */
export function npmNameVersion(id: string): { name: string; version: string } {
  const at = id.indexOf("@", 1);
  if (at < 0) return { name: id, version: "" };
  const version = id.slice(at + 1).split("_")[0];
  return { name: id.slice(0, at), version };
}

function npmEntity(id: string): Entity {
  const { name, version } = npmNameVersion(id);
  const url = `https://www.npmjs.com/package/${name}/v/${version}`;
  return {
    "@id": url,
    "@type": "SoftwareApplication",
    name,
    version,
    url,
    identifier: `npm:${id}`,
  };
}

function licenseEntity(license: string): Entity {
  const isUrl = /^https?:\/\//.test(license);
  const url = isUrl ? license : `https://spdx.org/licenses/${license}`;
  return {
    "@id": url,
    "@type": "CreativeWork",
    name: license,
    ...(isUrl ? {} : { identifier: license }),
  };
}

function paramValue(v: unknown): string | number | boolean {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean"
    ? v
    : canonicalJson(v);
}

/** Builds the RO-Crate metadata document. */
export function buildCrate(d: CrateDescription): RoCrate {
  const entities = new Map<string, Entity>();
  const add = (e: Entity) => {
    if (!entities.has(e["@id"])) entities.set(e["@id"], e);
    return ref(e["@id"]);
  };

  const files: Entity[] = [];
  const dirs: Entity[] = [];
  // Each output's entity id, by "<instance>\u0000<output>", for inputs downstream.
  const outputIds = new Map<string, string[]>();
  const runIds = new Map<string, string>();
  const actions: Entity[] = [];

  for (const run of d.runs) {
    const runId = `#run/${encodeIriPart(run.id)}`;
    runIds.set(run.id, runId);

    // The code: one entity per step and code version, listing every file with its hash.
    const ch = codeHash(run.code);
    const codeId = `#code/${encodeIriPart(run.step)}/${ch}`;
    if (!entities.has(codeId)) {
      const parts = Object.entries(run.code).sort(([a], [b]) => (a < b ? -1 : 1)).map(
        ([path, hash]) =>
          add({
            "@id": `#src/${encodeIriPart(path)}@${
              hash === "missing" ? "missing" : `sha256:${hash}`
            }`,
            "@type": "SoftwareSourceCode",
            name: path,
            ...(hash === "missing"
              ? { description: "named by the module graph but missing when the step ran" }
              : { sha256: hash }),
          }),
      );
      add({
        "@id": codeId,
        "@type": "SoftwareSourceCode",
        name: run.module,
        description: `The code of step '${run.step}': its module ${run.module}, every local file ` +
          `of the module graph, files the modules reference as new URL(..., import.meta.url), ` +
          `and the step's code globs. The identifier is the SHA-256 of the canonical JSON of ` +
          `path -> SHA-256 (the 'code' part of the step's cache key).`,
        identifier: ch,
        programmingLanguage: "TypeScript",
        runtimePlatform: "Deno",
        hasPart: parts,
        softwareRequirements: run.npm.map((n) => add(npmEntity(n))),
      });
    }
    const deno = add({
      "@id": `#deno-${encodeIriPart(run.deno)}`,
      "@type": "SoftwareApplication",
      name: "Deno",
      version: run.deno,
      url: "https://deno.com/",
    });

    // Outputs: archived ones are data entities, the others are described by hash only.
    const result: { "@id": string }[] = [];
    for (const o of run.outputs) {
      const ids: string[] = [];
      const what = `output '${o.name}' (${o.file}${o.kind === "dir" ? "/" : ""}) of ${run.id}`;
      if (o.path !== undefined && o.files) {
        const fileRefs = o.files.map((f) => {
          const id = pathId(f.path);
          const type = mediaType(f.path);
          files.push({
            "@id": id,
            "@type": "File",
            name: f.path.slice(f.path.lastIndexOf("/") + 1),
            description: f.description,
            contentSize: String(f.size),
            sha256: f.hash,
            ...(type ? { encodingFormat: type } : {}),
          });
          return ref(id);
        });
        if (o.kind === "dir") {
          const id = pathId(o.path) + "/";
          dirs.push({
            "@id": id,
            "@type": "Dataset",
            name: o.file,
            description: `The directory ${what}; its tree manifest has SHA-256 ${o.hash}.`,
            identifier: o.hash,
            hasPart: fileRefs,
          });
          ids.push(id);
        }
        ids.push(...fileRefs.map((r) => r["@id"]));
      } else {
        const id = `#output/${encodeIriPart(run.id)}/${encodeIriPart(o.name)}`;
        add({
          "@id": id,
          "@type": "CreativeWork",
          name: `${run.id} ${o.name}`,
          description: `The ${o.kind === "dir" ? "directory" : "file"} ${what}; not in this ` +
            `archive. ${
              o.kind === "dir" ? "Its tree manifest's SHA-256 and size" : "Its SHA-256 and size"
            } are given; the pipeline store keeps it under that hash.`,
          contentSize: String(o.size),
          ...(o.kind === "file" ? { sha256: o.hash } : { identifier: o.hash }),
          ...(o.kind === "file" && mediaType(o.file) ? { encodingFormat: mediaType(o.file) } : {}),
        });
        ids.push(id);
      }
      outputIds.set(`${run.id}\u0000${o.name}`, ids);
      // A directory input is the directory (its Dataset), a file input the file.
      result.push(...ids.map(ref));
    }

    const object: { "@id": string }[] = [];
    for (const inp of run.inputs) {
      const ids = outputIds.get(`${inp.from}\u0000${inp.output}`);
      if (!ids) {
        throw new Error(`internal: ${run.id} reads ${inp.from}.${inp.output}, described later`);
      }
      object.push(ref(ids[0]));
    }
    // An external source is described by content only: its path was this machine's.
    for (
      const [name, src] of Object.entries(run.sources ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))
    ) {
      const sid = `#source/${encodeIriPart(name)}/${sha256Hex(canonicalJson(src))}`;
      object.push(add({
        "@id": sid,
        "@type": "CreativeWork",
        name: `source '${name}'`,
        description: `External ${
          src.kind === "dir" ? "directory" : "file"
        } read in place by the step, not included in the bundle; identifier: the SHA-256 of the canonical JSON of its file hashes.`,
        identifier: sha256Hex(canonicalJson(src)),
        hasPart: Object.entries(src.files).map(([rel, hash]) =>
          add({
            "@id": `${sid}/${rel.split("/").map(encodeIriPart).join("/")}`,
            "@type": "CreativeWork",
            name: rel,
            sha256: hash,
          })
        ),
      }));
    }
    for (const [name, value] of Object.entries(run.params).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const v = paramValue(value);
      object.push(add({
        "@id": `#param/${encodeIriPart(name)}/${sha256Hex(canonicalJson(value)).slice(0, 16)}`,
        "@type": "PropertyValue",
        name,
        value: v,
        ...(typeof value === "object" ? { description: "a JSON value" } : {}),
      }));
    }

    actions.push({
      "@id": runId,
      "@type": "CreateAction",
      name: run.id,
      description: run.description
        ? `Step '${run.step}': ${run.description}`
        : `An instance of step '${run.step}'.`,
      identifier: run.key,
      instrument: [ref(codeId), deno],
      object,
      result,
      startTime: run.started,
      endTime: run.ended,
      actionStatus: ref("http://schema.org/CompletedActionStatus"),
    });
  }

  const properties = d.properties.map((p) =>
    add({ "@id": p.id, "@type": "PropertyValue", name: p.name, value: p.value })
  );
  const license = d.license ? add(licenseEntity(d.license)) : undefined;
  files.sort((a, b) => (a["@id"] < b["@id"] ? -1 : 1));
  dirs.sort((a, b) => (a["@id"] < b["@id"] ? -1 : 1));
  const root: Entity = {
    "@id": "./",
    "@type": "Dataset",
    name: d.name,
    description: d.description,
    datePublished: d.datePublished,
    identifier: d.identifier,
    ...(license ? { license } : {}),
    hasPart: [...dirs, ...files].map((e) => ref(e["@id"])),
    mentions: actions.map((a) => ref(a["@id"])),
    additionalProperty: properties,
  };
  const descriptor: Entity = {
    "@id": METADATA_FILE,
    "@type": "CreativeWork",
    conformsTo: ref(RO_CRATE_SPEC),
    about: ref("./"),
  };
  return {
    "@context": [RO_CRATE_CONTEXT, EXTRA_TERMS],
    "@graph": [descriptor, root, ...dirs, ...files, ...actions, ...entities.values()],
  };
}
