/**
 * The CLI's `push` and `pull` commands, and the remote half of
 * `reproduce --pull`: options in, transfers and one summary line out.
 *
 * @module
 */

import { formatBytes } from "./display.ts";
import { intOption, type ParsedArgs } from "./cli_args.ts";
import { type CommandEnv, lockStore } from "./commands.ts";
import { openProject, type Project } from "../build/mod.ts";
import { UsageError } from "../spec/mod.ts";
import {
  chooseRemote,
  type CountingBackend,
  openRemote,
  Progress,
  pullArchive,
  pullProfiles,
  pushArchive,
  pushProfiles,
  remoteFetcher,
} from "../remote/mod.ts";
import { relPosix } from "../../files/mod.ts";

/** Transfers at once unless --jobs says otherwise. */
const DEFAULT_TRANSFERS = 8;

/** The remote of a command (`--remote`, else the pipeline file's default), checked to answer. */
export async function remoteOf(
  engine: Project,
  a: ParsedArgs,
  forWrite: boolean,
): Promise<{ remote: CountingBackend; label: string }> {
  const chosen = chooseRemote(a.values.remote as string | undefined, engine.pipeline.spec.remotes);
  const remote = openRemote(chosen, engine.pipeline.spec.dir);
  await remote.check({ forWrite });
  return { remote, label: chosen.label };
}

function progressFor(verb: string): Progress {
  const enc = new TextEncoder();
  return new Progress(verb, (s) => Deno.stderr.writeSync(enc.encode(s)), Deno.stderr.isTerminal());
}

/** Writes the request counts where PIPELINE_REMOTE_STATS points (for tests and benchmarks). */
async function writeStats(remote: CountingBackend): Promise<void> {
  const path = Deno.env.get("PIPELINE_REMOTE_STATS");
  if (path) await Deno.writeTextFile(path, JSON.stringify(remote.counts) + "\n");
}

function profilesOf(engine: Project, a: ParsedArgs): string[] {
  if (a.values.all && a.values.profile !== undefined) {
    throw new UsageError("--profile and --all exclude each other");
  }
  return a.values.all ? engine.profiles : [engine.profile(a.values.profile as string | undefined)];
}

function requests(remote: CountingBackend): string {
  const c = remote.counts;
  return `${c.checks} existence check(s), ${c.uploads} upload(s), ${c.downloads} download(s)`;
}

/** `push` */
export async function cmdPush(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length) throw new UsageError(`unexpected argument '${a.positionals[0]}'`);
  const engine = await openProject(
    (a.values.file as string | undefined) ?? "pipeline.yaml",
    a.values.store as string | undefined,
  );
  const jobs = intOption(a.values.jobs, "jobs", DEFAULT_TRANSFERS);
  const profiles = a.values.archive === undefined ? profilesOf(engine, a) : [];
  const { remote, label } = await remoteOf(engine, a, true);
  const progress = progressFor("push");
  try {
    if (a.values.archive !== undefined) {
      const name = String(a.values.archive);
      const r = await pushArchive(engine.store, remote, name, { jobs, progress });
      progress.finish();
      env.out(
        r.result === "exists"
          ? `the remote ${label} already has archive '${name}' (left as it is)`
          : `pushed archive '${name}' (${r.files} file(s), ${r.uploaded} new) to ${label}`,
      );
      return 0;
    }
    // No lock: every file read is immutable and re-hashed before it leaves (docs/remote.md).
    const r = await pushProfiles(engine, profiles, remote, {
      jobs,
      progress,
      note: (m) => env.err(`note: ${m}`),
    });
    progress.finish();
    env.out(
      `pushed ${r.pushed.length} record(s), ${r.blobsUploaded} blob(s), ${
        formatBytes(r.bytesUploaded)
      } to ${label}; ${r.present.length} already there (${requests(remote)})`,
    );
    if (r.stale.length) {
      env.out(
        `note: ${r.stale.length} instance(s) are not up to date locally and were not pushed; run reproduce first`,
      );
    }
    return r.skipped.length ? 1 : 0;
  } finally {
    await writeStats(remote);
    remote.close();
  }
}

/** `pull` */
export async function cmdPull(a: ParsedArgs, env: CommandEnv): Promise<number> {
  if (a.positionals.length) throw new UsageError(`unexpected argument '${a.positionals[0]}'`);
  const engine = await openProject(
    (a.values.file as string | undefined) ?? "pipeline.yaml",
    a.values.store as string | undefined,
  );
  const jobs = intOption(a.values.jobs, "jobs", DEFAULT_TRANSFERS);
  const profiles = a.values.archive === undefined ? profilesOf(engine, a) : [];
  // Before the lock: a remote that does not answer leaves the store untouched.
  const { remote, label } = await remoteOf(engine, a, false);
  const progress = progressFor("pull");
  try {
    const lock = await lockStore(engine, a, env, "pull");
    try {
      if (a.values.archive !== undefined) {
        const name = String(a.values.archive);
        const r = await pullArchive(engine.store, remote, name, { jobs, progress });
        progress.finish();
        const dir = relPosix(Deno.cwd(), r.dir);
        env.out(
          `pulled archive '${name}' (${r.files} file(s), ${formatBytes(r.bytes)}) to ${dir}/`,
        );
        env.out(`check it with: deno task verify --archive ${dir}`);
        return 0;
      }
      const r = await pullProfiles(engine, profiles, remote, {
        jobs,
        progress,
        note: (m) => env.err(`note: ${m}`),
      });
      progress.finish();
      env.out(
        `pulled ${r.fetched.length} instance(s), ${r.blobs} blob(s), ${
          formatBytes(r.bytes)
        } from ${label}; ${r.local} already local, ${r.missing.length} on neither (${
          requests(remote)
        })`,
      );
      return r.corrupt.length ? 1 : 0;
    } finally {
      lock.release();
    }
  } finally {
    await writeStats(remote);
    remote.close();
  }
}

/**
 * For `reproduce --pull`: the rebuilder's fetch hook on the chosen remote
 * (checked before the store is touched) and a summary line for the end.
 */
export async function pullHook(
  engine: Project,
  a: ParsedArgs,
  note: (m: string) => void,
): Promise<
  {
    fetch: ReturnType<typeof remoteFetcher>["fetch"];
    summary: () => string;
    close: () => Promise<void>;
  }
> {
  const { remote, label } = await remoteOf(engine, a, false);
  const { fetch, stats } = remoteFetcher(engine.store, remote, { note });
  return {
    fetch,
    summary: () =>
      `pulled ${stats.fetched.length} instance(s), ${formatBytes(stats.bytes)} from ${label}${
        stats.corrupt.length ? `; ${stats.corrupt.length} remote copy(ies) unusable` : ""
      }`,
    close: async () => {
      await writeStats(remote);
      remote.close();
    },
  };
}
