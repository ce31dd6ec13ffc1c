/**
 * Published outputs: plain copies (never links into the store) of a step's
 * outputs under `out/<profile>/<publish>/`, one sub-directory per instance
 * for matrix steps (`P=4,seed=1001/`); a step whose only output is a
 * directory publishes that directory's content. The directory is rebuilt aside and
 * swapped in, and left alone when its content would not change.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { canonicalJson } from "../keys/mod.ts";
import { escapeId, type Instance, matrixLabel } from "../spec/mod.ts";
import type { RunRecord } from "./record.ts";
import { randomSuffix, removeAll, type Store } from "./store.ts";

/** Relative path in the published directory -> blob hash and size. */
async function plan(store: Store, instances: Instance[], records: Map<string, RunRecord>) {
  const files = new Map<string, { hash: string; size: number }>();
  for (const inst of instances) {
    const rec = records.get(inst.id)!;
    const axes = inst.step.matrix.map((u) => u.axis);
    const sub = axes.length ? escapeId(matrixLabel(axes, inst.matrix)) + "/" : "";
    const outputs = Object.values(rec.outputs);
    // A step whose only output is a directory publishes that directory's content
    // directly (`out/<profile>/report/index.html`, not `.../report/report/...`).
    const flatten = outputs.length === 1 && outputs[0].kind !== "file";
    for (const o of outputs) {
      if (o.kind === "file") files.set(sub + o.file, { hash: o.hash, size: o.size });
      else {
        const m = await store.readManifest(o.hash);
        const prefix = flatten ? sub : `${sub}${o.file}/`;
        for (const [rel, e] of Object.entries(m?.entries ?? {})) files.set(prefix + rel, e);
      }
    }
  }
  return files;
}

/** Copies the outputs of `instances` (all of one step) to the step's published directory. */
export async function publishStep(
  store: Store,
  profile: string,
  name: string,
  instances: Instance[],
  records: Map<string, RunRecord>,
): Promise<{ path: string; changed: boolean }> {
  const dest = store.publishPath(profile, name);
  const files = await plan(store, instances, records);
  const manifest = canonicalJson(
    Object.fromEntries([...files].sort(([a], [b]) => (a < b ? -1 : 1))),
  );
  const marker = join(store.out, profile, `.${name}.json`);
  // Skip the copy when the same content is already published and looks intact.
  try {
    if (await Deno.readTextFile(marker) === manifest) {
      let intact = true;
      for (const [rel, f] of files) {
        const st = await Deno.stat(join(dest, rel)).catch(() => null);
        if (!st || st.size !== f.size) intact = false;
      }
      if (intact) return { path: dest, changed: false };
    }
  } catch { /* not published yet */ }
  const build = join(store.tmp, `.publish-${randomSuffix()}`);
  for (const [rel, f] of files) {
    const target = join(build, rel);
    await Deno.mkdir(dirname(target), { recursive: true });
    await Deno.copyFile(store.blobPath(f.hash), target);
    await Deno.chmod(target, 0o644);
  }
  await Deno.mkdir(build, { recursive: true });
  await Deno.mkdir(dirname(dest), { recursive: true });
  const old = join(store.tmp, `.unpublish-${randomSuffix()}`);
  try {
    await Deno.rename(dest, old);
  } catch { /* nothing published before */ }
  await Deno.rename(build, dest);
  await removeAll(old);
  await Deno.writeTextFile(marker, manifest);
  return { path: dest, changed: true };
}
