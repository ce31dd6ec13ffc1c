/**
 * A real Slurm for the Slurm executor's tests: a cluster that is already
 * up (SLURM_CONF set, or the one `setup_slurm.sh start` keeps in
 * $PIPELINE_SLURM_DIR / /tmp/pipeline-slurm), else a fresh one-node cluster
 * in a temporary directory, installed and started by `setup_slurm.sh`
 * (root + apt-get), stopped when the tests end. Where neither is possible the
 * tests are ignored and the reason is printed (never a silent pass).
 *
 * PIPELINE_SLURM_TESTS=skip skips them on purpose; =require makes a missing
 * Slurm an error instead of a skip (for CI, once it has started one).
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SETUP = fileURLToPath(new URL("./setup_slurm.sh", import.meta.url));
const DEFAULT_DIR = Deno.env.get("PIPELINE_SLURM_DIR") ?? "/tmp/pipeline-slurm";

/** A cluster the tests may submit to. */
export interface TestCluster {
  /** Variables for every Slurm client (the CLI under test included). */
  env: Record<string, string>;
  /** Whether it was running before the tests (then it is left running). */
  external: boolean;
  stop(): Promise<void>;
}

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  try {
    const o = await new Deno.Command(cmd, {
      args,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
  } catch (e) {
    return { code: -1, out: "", err: (e as Error).message };
  }
}

/** The SLURM_CONF of a cluster that already answers, if any. */
async function runningConf(): Promise<string | undefined> {
  const conf = Deno.env.get("SLURM_CONF");
  if (conf) {
    const r = await run("sinfo", ["--noheader", "--format=%T"], { SLURM_CONF: conf });
    if (r.code === 0 && r.out.trim()) return conf;
  }
  const r = await run("bash", [SETUP, "status", DEFAULT_DIR]);
  return r.code === 0 ? join(DEFAULT_DIR, "slurm.conf") : undefined;
}

/**
 * Whether the Slurm tests can run here; installs the packages when they are
 * missing and this is root with apt-get. Call at module load (for `ignore`).
 */
export async function slurmAvailability(): Promise<{ ok: boolean; reason?: string }> {
  const mode = Deno.env.get("PIPELINE_SLURM_TESTS") ?? "auto";
  if (mode === "skip") return { ok: false, reason: "PIPELINE_SLURM_TESTS=skip" };
  if (await runningConf()) return { ok: true };
  const r = await run("bash", [SETUP, "install"]);
  let reason: string | undefined;
  if (r.code !== 0) {
    reason = r.err.trim().replaceAll("setup_slurm: ", "") ||
      `setup_slurm.sh install exit ${r.code}`;
  } else if (Deno.uid() !== 0) {
    reason = "Slurm is installed but no cluster answers, and starting a test cluster needs root";
  }
  if (!reason) return { ok: true };
  if (mode === "require") {
    throw new Error(`PIPELINE_SLURM_TESTS=require, but Slurm is not available: ${reason}`);
  }
  return { ok: false, reason };
}

/**
 * The name of a Slurm test: as given when Slurm is here, else with why it is
 * skipped and how to run it. `deno test --quiet` (the project's `deno task
 * test`) shows no output of a test module, but it shows every test's name.
 */
export function slurmTestName(name: string, avail: { ok: boolean; reason?: string }): string {
  if (avail.ok) return name;
  const reason = (avail.reason ?? "unknown").split("\n").map((l) => l.trim()).filter(Boolean)
    .join("; ").replaceAll(":;", ":");
  const full =
    `${name} -- SKIPPED, no Slurm here: ${
      reason.length > 240 ? reason.slice(0, 240) + "..." : reason
    }. To run: as root with apt-get (the tests install and start a one-node cluster), or ` +
    "`tests/slurm/setup_slurm.sh start` and SLURM_CONF=/tmp/pipeline-slurm/slurm.conf (docs/slurm.md)";
  // Shown as "pre-test output" when deno test runs without --quiet.
  console.log(full);
  return full;
}

/** A cluster to test against: the running one, or a fresh one in a temporary directory. */
export async function startCluster(): Promise<TestCluster> {
  const conf = await runningConf();
  if (conf) return { env: { SLURM_CONF: conf }, external: true, stop: async () => {} };
  const dir = await Deno.makeTempDir({ prefix: "pipeline-slurm-" });
  const r = await run("bash", [SETUP, "start", dir]);
  if (r.code !== 0) {
    await run("bash", [SETUP, "stop", dir]);
    throw new Error(`could not start a test cluster (exit ${r.code}):\n${r.err}`);
  }
  return {
    env: { SLURM_CONF: join(dir, "slurm.conf") },
    external: false,
    stop: async () => {
      await run("bash", [SETUP, "stop", dir]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** `squeue` rows of this user's jobs (finished ones too, while the controller knows them). */
export async function myJobs(
  env: Record<string, string>,
): Promise<{ id: string; name: string; state: string; comment: string }[]> {
  const r = await run(
    "squeue",
    ["--me", "--noheader", "--states=all", "--format=%i|%T|%k|%j"],
    env,
  );
  if (r.code !== 0) throw new Error(`squeue failed: ${r.err}`);
  return r.out.split("\n").filter((l) => l.trim()).map((l) => {
    const [id, state, comment, ...name] = l.trim().split("|");
    return { id, state, comment, name: name.join("|") };
  });
}

/** This user's jobs of one test project (its store is in the job comment). */
export async function projectJobs(
  env: Record<string, string>,
  dir: string,
): Promise<{ id: string; name: string; state: string }[]> {
  const comment = `pipeline-store:${join(dir, "artifacts")}`;
  return (await myJobs(env)).filter((j) => j.comment === comment);
}

/** Runs a Slurm command (scancel, scontrol, ...) against the cluster. */
export async function slurmCommand(
  env: Record<string, string>,
  cmd: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  return await run(cmd, args, env);
}
