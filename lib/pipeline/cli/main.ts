/**
 * The pipeline engine's command line:
 * `deno run -A lib/pipeline/cli/main.ts <reproduce|status|explain|dag|verify|gc|archive|push|pull|runs|metrics|compare|trace> [options]`.
 *
 * Exit codes: 0 ok, 1 a step failed (or verify found damage), 2 invalid
 * pipeline or usage, 3 store lock held with --no-wait, 4 a remote cache
 * failed (unreachable, access denied), 130 interrupted.
 *
 * @module
 */

import { cmdArchive, cmdVerifyArchive } from "./archive_command.ts";
import { HELP, parseCommand, type ParsedArgs, USAGE } from "./cli_args.ts";
import {
  cmdDag,
  cmdExplain,
  cmdGc,
  cmdReproduce,
  cmdStatus,
  cmdVerify,
  type CommandEnv,
  EXIT_INTERRUPTED,
} from "./commands.ts";
import { cmdPull, cmdPush } from "./remote_command.ts";
import { cmdRuns } from "./run_history.ts";
import { cmdCompare, cmdMetrics } from "./compare_command.ts";
import { cmdTrace } from "./trace_command.ts";
import { PipelineError, UsageError } from "../spec/mod.ts";
import { RemoteError } from "../remote/mod.ts";
import { LockHeldError, StoreIoError } from "../store/mod.ts";

const COMMANDS: Record<string, (a: ParsedArgs, env: CommandEnv) => Promise<number>> = {
  reproduce: cmdReproduce,
  status: cmdStatus,
  explain: cmdExplain,
  dag: cmdDag,
  // A bundle is checked on its own (no pipeline file, no store).
  verify: (a, env) => a.values.archive !== undefined ? cmdVerifyArchive(a, env) : cmdVerify(a, env),
  gc: cmdGc,
  archive: cmdArchive,
  push: cmdPush,
  pull: cmdPull,
  runs: cmdRuns,
  metrics: cmdMetrics,
  compare: cmdCompare,
  trace: cmdTrace,
};

/** Exit code when a remote cache fails (unreachable, access denied, missing bucket). */
export const EXIT_REMOTE = 4;

/** Runs the CLI with `argv` and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const out = (l: string) => console.log(l);
  const err = (l: string) => console.error(l);
  const controller = new AbortController();
  const env: CommandEnv = { out, err, signal: controller.signal };
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      err("interrupted: stopping running steps (press Ctrl-C again to exit at once)");
      controller.abort();
    } else {
      env.lock?.release();
      Deno.exit(EXIT_INTERRUPTED);
    }
  };
  const sigs: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of sigs) Deno.addSignalListener(s, onSignal);
  try {
    const a = parseCommand(argv);
    if (a.command === "help") {
      out(USAGE);
      return 0;
    }
    if (a.values.help) {
      out(HELP[a.command]);
      return 0;
    }
    return await COMMANDS[a.command](a, env);
  } catch (e) {
    if (e instanceof PipelineError) {
      for (const d of e.message.split("\n")) err(d);
      const n = e.diagnostics.length;
      err(`${n} problem${n === 1 ? "" : "s"} in the pipeline file; nothing was run`);
      return 2;
    }
    if (e instanceof UsageError) {
      err(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof LockHeldError) {
      err(`error: ${e.message}`);
      err(
        "another command is changing the store; retry later, or run without --no-wait to wait for it",
      );
      return 3;
    }
    if (e instanceof RemoteError) {
      err(`error: remote: ${e.message}`);
      return EXIT_REMOTE;
    }
    if (e instanceof StoreIoError) {
      err(`error: ${e.message}`);
      return 1;
    }
    if (controller.signal.aborted) return EXIT_INTERRUPTED;
    err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  } finally {
    for (const s of sigs) Deno.removeSignalListener(s, onSignal);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
