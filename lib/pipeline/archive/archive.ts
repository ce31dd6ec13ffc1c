/**
 * `archive`: copies the planned files out of the store into a bundle
 * directory (checking each copy's hash), writes its RO-Crate metadata,
 * optionally a .tar.gz of it, and a pin so `gc` keeps everything the archive
 * came from. The bundle is built aside and renamed into place, so a failed
 * archive leaves no half bundle and no pin.
 *
 * @module
 */

import { basename, dirname, join, relative, resolve } from "node:path";
import type { ArchivePlan, PlannedInstance } from "./archive_plan.ts";
import { ENGINE_SALT, hashFile } from "../keys/mod.ts";
import { UsageError } from "../spec/mod.ts";
import type { Project } from "../build/mod.ts";
import { type PinFile, randomSuffix, removeAll } from "../store/mod.ts";
import {
  buildCrate,
  type CrateDescription,
  type CrateRun,
  METADATA_FILE,
  type RoCrate,
} from "./ro_crate.ts";
import { tarEntries, writeTarGz } from "../../files/mod.ts";

/** Archive names (the bundle directory's name, the pin's name). */
export const ARCHIVE_NAME = /^(?!\.)[A-Za-z0-9._-]+$/;

/** Where the archive goes. */
export interface ArchiveTarget {
  name: string;
  dir: string;
  tar?: string;
  pin: string;
}

/** What was archived. */
export interface ArchiveResult extends ArchiveTarget {
  files: number;
  bytes: number;
  /** Instances with files in the bundle. */
  archived: number;
  /** Instances described (archived ones and everything upstream of them). */
  described: number;
}

const exists = (p: string) => Deno.lstat(p).then(() => true, () => false);

/** A compact UTC time stamp for default archive names: `20261121T101500Z`. */
export function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
}

/**
 * Resolves and checks where an archive goes: `out` (default
 * `<store>/archives/<profile>-<time>`), its name (the directory's), the
 * tarball beside it, the pin; none of them may exist yet.
 */
export async function archiveTarget(
  engine: Project,
  profile: string,
  opts: { out?: string; tar: boolean; now: Date },
): Promise<ArchiveTarget> {
  const dir = opts.out
    ? resolve(opts.out.replace(/\.tar\.gz$/, ""))
    : join(engine.store.root, "archives", `${profile}-${stamp(opts.now)}`);
  const name = basename(dir);
  if (!ARCHIVE_NAME.test(name)) {
    throw new UsageError(
      `--out: the bundle's name '${name}' must be letters, digits, '.', '_' or '-' ` +
        `(it also names the pin, pins/<name>.json)`,
    );
  }
  const target: ArchiveTarget = {
    name,
    dir,
    tar: opts.tar ? `${dir}.tar.gz` : undefined,
    pin: join(engine.store.pins, `${name}.json`),
  };
  for (const p of [target.dir, target.tar]) {
    if (p && await exists(p)) {
      throw new UsageError(`${p} already exists (choose another --out, or remove it)`);
    }
  }
  if (await exists(target.pin)) {
    throw new UsageError(
      `an archive named '${name}' was made before (its pin is ${target.pin}); ` +
        `choose another --out, or delete that pin`,
    );
  }
  return target;
}

function crateRun(p: PlannedInstance): CrateRun {
  const { inst, record } = p;
  return {
    id: inst.id,
    step: inst.step.name,
    description: inst.step.description,
    key: record.key,
    module: inst.step.module,
    code: record.parts.code,
    npm: record.parts.npm,
    params: record.parts.params,
    inputs: inst.inputs.flatMap((i) =>
      i.upstream.map((u) => ({ name: i.spec.name, from: u.id, output: i.spec.output }))
    ),
    ...(record.parts.sources ? { sources: record.parts.sources } : {}),
    outputs: inst.step.outputs.map((o) => {
      const entry = record.outputs[o.name];
      const a = p.archived.find((x) => x.name === o.name);
      return {
        name: o.name,
        file: o.file,
        kind: o.kind,
        hash: entry.hash,
        size: entry.size,
        ...(a ? { path: a.path, files: a.files } : {}),
      };
    }),
    started: record.started,
    ended: record.ended,
    deno: record.deno,
  };
}

/** The RO-Crate metadata of a planned archive. */
export async function describeArchive(
  engine: Project,
  plan: ArchivePlan,
  name: string,
  now: Date,
): Promise<RoCrate> {
  const spec = engine.pipeline.spec;
  const profile = spec.profiles.get(plan.profile);
  const title = spec.name ?? `Pipeline ${basename(spec.dir)}`;
  const description = [
    spec.description ?? `Final artifacts of the pipeline ${relative(Deno.cwd(), spec.file)}.`,
    `Profile '${plan.profile}'${profile?.description ? `: ${profile.description}` : "."}`,
    `Archived by the pipeline engine (${ENGINE_SALT}) on Deno ${Deno.version.deno}: every file ` +
    `with its size and SHA-256, and how it was made (one CreateAction per step instance, with ` +
    `its code, inputs and parameters, back to the pipeline's first steps).`,
  ].join(" ");
  const pipelineHash = (await hashFile(spec.file)).hash;
  const d: CrateDescription = {
    name: `${title} (profile ${plan.profile})`,
    description,
    license: spec.license,
    datePublished: now.toISOString(),
    identifier: name,
    properties: [
      { id: "#profile", name: "profile", value: plan.profile },
      { id: "#engine-salt", name: "engine salt", value: ENGINE_SALT },
      { id: "#deno-version", name: "Deno version (archiving)", value: Deno.version.deno },
      { id: "#pipeline-file", name: "pipeline file", value: basename(spec.file) },
      { id: "#pipeline-file-sha256", name: "pipeline file SHA-256", value: pipelineHash },
    ],
    runs: plan.instances.map(crateRun),
  };
  return buildCrate(d);
}

/** Builds the bundle (and tarball and pin) of a plan at `target`. */
export async function writeArchive(
  engine: Project,
  plan: ArchivePlan,
  target: ArchiveTarget,
  now: Date,
  signal?: AbortSignal,
): Promise<ArchiveResult> {
  const store = engine.store;
  const crate = await describeArchive(engine, plan, target.name, now);
  await Deno.mkdir(dirname(target.dir), { recursive: true });
  const build = `${target.dir}.partial-${randomSuffix()}`;
  let bytes = 0;
  try {
    await Deno.mkdir(build);
    for (const f of plan.files) {
      // Interrupted: the half-built bundle is removed below, and no pin is written.
      signal?.throwIfAborted();
      const dest = join(build, f.path);
      await Deno.mkdir(dirname(dest), { recursive: true });
      await Deno.copyFile(store.blobPath(f.hash), dest);
      await Deno.chmod(dest, 0o644);
      // The copy is what the metadata vouches for: check it, not only the blob's size.
      const d = await hashFile(dest);
      if (d.hash !== f.hash || d.size !== f.size) {
        throw new Error(
          `blob ${f.hash} (${f.path}) does not hold the bytes it is named after: the store is ` +
            `damaged; run 'verify', then 'reproduce', then archive again`,
        );
      }
      bytes += f.size;
    }
    await Deno.writeTextFile(join(build, METADATA_FILE), JSON.stringify(crate, null, 2) + "\n");
    signal?.throwIfAborted();
    await Deno.rename(build, target.dir);
  } catch (e) {
    await removeAll(build);
    throw e;
  }
  if (target.tar) {
    const partial = `${target.tar}.partial-${randomSuffix()}`;
    try {
      await writeTarGz(
        partial,
        await tarEntries(target.dir, target.name),
        Math.floor(now.getTime() / 1000),
      );
      await Deno.rename(partial, target.tar);
    } catch (e) {
      await removeAll(partial);
      throw e;
    }
  }
  const archived = plan.instances.filter((i) => i.archived.length > 0);
  const blobs = new Set<string>();
  for (const i of archived) {
    for (const a of i.archived) {
      blobs.add(a.entry.hash); // a directory's manifest keeps its files and tree too
      for (const f of a.files) blobs.add(f.hash);
    }
  }
  const pin: PinFile = {
    description: `archive ${target.name}: profile ${plan.profile}, ${plan.files.length} file(s) ` +
      `from ${archived.length} instance(s), made ${now.toISOString()} at ${target.dir}`,
    records: [...new Set(plan.instances.map((i) => i.record.key))].sort(),
    blobs: [...blobs].sort(),
  };
  await store.writeJsonAtomic(target.pin, pin);
  return {
    ...target,
    files: plan.files.length,
    bytes,
    archived: archived.length,
    described: plan.instances.length,
  };
}
