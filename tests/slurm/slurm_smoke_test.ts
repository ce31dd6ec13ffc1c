/**
 * The study's smoke profile through a real Slurm and locally, on a copy of
 * the project with two stores: the same keys and the same bytes. The only
 * wall-clock content of any artifact is train's metrics.csv `seconds`
 * column (docs/artifacts.md), so that file is compared without it; no step
 * reads it (tables and charts read history.csv), so every key is the same
 * and every other output hashes the same. Ignored (loudly) where Slurm
 * cannot run.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { cli, copyStudy } from "../pipeline/helpers.ts";
import type { RunRecord } from "../../lib/pipeline/store/record.ts";
import { slurmAvailability, slurmTestName, startCluster } from "./cluster.ts";

const avail = await slurmAvailability();

/** Instance id -> the record it resolved to under the smoke profile. */
async function current(store: string): Promise<Map<string, RunRecord>> {
  const out = new Map<string, RunRecord>();
  for await (const e of Deno.readDir(join(store, "index/smoke"))) {
    const idx = JSON.parse(await Deno.readTextFile(join(store, "index/smoke", e.name)));
    const rec = JSON.parse(await Deno.readTextFile(join(store, "records", `${idx.key}.json`)));
    out.set(rec.id, rec);
  }
  return out;
}

function blob(store: string, hash: string): string {
  return join(store, "blobs/sha256", hash.slice(0, 2), hash);
}

/** metrics.csv without its wall-clock `seconds` column. */
async function metricsWithoutSeconds(path: string): Promise<string> {
  const rows = (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) => l.split(","));
  const col = rows[0].indexOf("seconds");
  ok(col >= 0, "metrics.csv has a seconds column");
  return rows.map((r) => r.filter((_, i) => i !== col).join(",")).join("\n");
}

Deno.test({
  name: slurmTestName(
    "slurm: the smoke pipeline gives the same keys and outputs as the local executor",
    avail,
  ),
  ignore: !avail.ok,
}, async () => {
  const c = await startCluster();
  const dir = await copyStudy("pipeline-smoke-");
  const localStore = join(dir, "store-local");
  const slurmStore = join(dir, "store-slurm");
  try {
    const l = await cli(dir, ["reproduce", "--profile", "smoke", "--store", localStore]);
    equal(l.code, 0, l.stdout + l.stderr);
    const s = await cli(
      dir,
      [
        "reproduce",
        "--profile",
        "smoke",
        "--store",
        slurmStore,
        "--executor",
        "slurm",
        "--slurm-poll",
        "0.5",
      ],
      c.env,
    );
    equal(s.code, 0, s.stdout + s.stderr);
    match(s.stdout, /ran 11, cached 0, failed 0 \(profile smoke\)/);

    const local = await current(localStore);
    const slurm = await current(slurmStore);
    deepStrictEqual([...slurm.keys()].sort(), [...local.keys()].sort());
    // The executor never enters a key, and no step reads the wall-clock column: every key agrees.
    for (const [id, lr] of local) {
      const sr = slurm.get(id)!;
      equal(sr.executor, "slurm");
      equal(lr.executor, "local");
      equal(sr.key, lr.key, `${id} key`);
    }
    let compared = 0;
    for (const [id, lr] of local) {
      const sr = slurm.get(id)!;
      for (const [name, lo] of Object.entries(lr.outputs)) {
        const so = sr.outputs[name];
        compared++;
        if (lr.step === "train" && name === "metrics") {
          equal(
            await metricsWithoutSeconds(blob(slurmStore, so.hash)),
            await metricsWithoutSeconds(blob(localStore, lo.hash)),
            `${id} metrics.csv without seconds`,
          );
        } else {
          equal(so.hash, lo.hash, `${id} output ${name}`);
        }
      }
    }
    ok(compared >= 20, `compared ${compared} outputs`);

    // The decisive check: the local executor finds the Slurm run's records up to date, and
    // Slurm finds the local ones, i.e. each computes exactly the keys the other recorded.
    const dry = await cli(dir, [
      "reproduce",
      "--profile",
      "smoke",
      "--store",
      slurmStore,
      "--dry-run",
    ]);
    equal(dry.code, 0, dry.stderr);
    match(dry.stdout, /dry run \(profile smoke\): 0 would run, 11 up to date/);
    const viaSlurm = await cli(
      dir,
      [
        "reproduce",
        "--profile",
        "smoke",
        "--store",
        localStore,
        "--executor",
        "slurm",
        "--slurm-poll",
        "0.5",
      ],
      c.env,
    );
    equal(viaSlurm.code, 0, viaSlurm.stderr);
    match(viaSlurm.stdout, /ran 0, cached 11, failed 0/);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await c.stop();
  }
});
