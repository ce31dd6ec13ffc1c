/**
 * Command-line parsing for the engine's CLI (node:util parseArgs behind one
 * small module), with list options that take several values in a row
 * (`--only a b c`) and help texts for every command.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../spec/mod.ts";
import { EXECUTOR_HELP, EXECUTOR_OPTIONS, joinDashValues } from "../exec/mod.ts";

type OptionSpec = { type: "string" | "boolean"; multiple?: boolean; short?: string };

const COMMON: Record<string, OptionSpec> = {
  file: { type: "string", short: "f" },
  store: { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** `--set NAME=VALUE` and `--set-matrix AXIS=V1,V2` (repeatable): overrides on top of the profile. */
const OVERRIDES: Record<string, OptionSpec> = {
  set: { type: "string", multiple: true },
  "set-matrix": { type: "string", multiple: true },
};

/** Options of each command. */
export const COMMAND_OPTIONS: Record<string, Record<string, OptionSpec>> = {
  reproduce: {
    profile: { type: "string" },
    only: { type: "string", multiple: true },
    force: { type: "string", multiple: true },
    "dry-run": { type: "boolean" },
    jobs: { type: "string", short: "j" },
    memory: { type: "string" },
    "keep-going": { type: "boolean", short: "k" },
    "no-wait": { type: "boolean" },
    pull: { type: "boolean" },
    remote: { type: "string" },
    name: { type: "string" },
    ...OVERRIDES,
    ...EXECUTOR_OPTIONS,
  },
  status: { profile: { type: "string" }, estimate: { type: "boolean" }, ...OVERRIDES },
  explain: { profile: { type: "string" }, ...OVERRIDES },
  dag: {
    profile: { type: "string" },
    format: { type: "string" },
    instances: { type: "boolean" },
    ...OVERRIDES,
  },
  verify: {
    jobs: { type: "string", short: "j" },
    "no-wait": { type: "boolean" },
    archive: { type: "string" },
  },
  gc: {
    "dry-run": { type: "boolean" },
    "no-wait": { type: "boolean" },
    "no-runs": { type: "boolean" },
  },
  push: {
    remote: { type: "string" },
    profile: { type: "string" },
    all: { type: "boolean" },
    archive: { type: "string" },
    jobs: { type: "string", short: "j" },
  },
  pull: {
    remote: { type: "string" },
    profile: { type: "string" },
    all: { type: "boolean" },
    archive: { type: "string" },
    jobs: { type: "string", short: "j" },
    "no-wait": { type: "boolean" },
  },
  runs: { json: { type: "boolean" }, drop: { type: "string", multiple: true } },
  metrics: { json: { type: "boolean" } },
  trace: { json: { type: "boolean" }, tsv: { type: "boolean" }, html: { type: "string" } },
  compare: {
    rev: { type: "string" },
    profile: { type: "string" },
    json: { type: "boolean" },
    md: { type: "boolean" },
    plots: { type: "string" },
    ...OVERRIDES,
  },
  archive: {
    profile: { type: "string" },
    out: { type: "string", short: "o" },
    steps: { type: "string", multiple: true },
    tar: { type: "boolean" },
    "no-wait": { type: "boolean" },
    ...OVERRIDES,
  },
};

const OVERRIDES_HELP =
  `      --set N=V     override parameter N (a YAML value; repeatable), checked like a profile
      --set-matrix A=V1,V2
                    override the values of axis A (repeatable)`;

const COMMON_HELP = `  -f, --file PATH   the pipeline file (default: ./pipeline.yaml)
      --store DIR   the artifact store (default: $PIPELINE_STORE, else artifacts/ next to the pipeline file)
  -h, --help        this help`;

/** Help text of each command. */
export const HELP: Record<string, string> = {
  reproduce:
    `usage: cli.ts reproduce [--profile P] [--set N=V ...] [--set-matrix A=V,...] [--name NAME]
                        [--only STEP|INSTANCE ...] [--force STEP|INSTANCE ...]
                        [--dry-run] [--jobs N] [--memory M] [--keep-going] [--no-wait]
                        [--pull [--remote URL|NAME]] [--executor local|slurm] [--slurm-* ...]

Brings every instance of the profile up to date: cached results are reused,
everything else runs (in parallel, up to --jobs slots).

      --profile P   the profile (default: the pipeline's default_profile)
${OVERRIDES_HELP}
      --name NAME   name this run in the run history (deno task runs)
      --only X ...  run only these steps or instances and what they need upstream
      --force X ... rerun these steps or instances even if cached
      --dry-run     list what would run and why; run nothing
  -j, --jobs N      parallel slots (default: number of cores); an instance takes min(cores, N);
                    with Slurm: jobs in the queue at once (default 100), each with all its cores
      --memory M    local runs: memory the running instances may declare together
                    (resources.memory, e.g. 16G); instances wait for it as for cores
  -k, --keep-going  after a failure, keep running branches that do not depend on it
      --no-wait     if another command holds the store lock, exit 3 instead of waiting
      --pull        before running an instance the store lacks, fetch its key from the remote
      --remote R    the remote for --pull: a name under 'remotes:' or a URL (default: remotes.default)
${EXECUTOR_HELP}
${COMMON_HELP}

Exit codes: 0 ok, 1 a step failed, 2 invalid pipeline or usage, 3 lock held (--no-wait),
4 the remote failed (unreachable, access denied), 130 interrupted.`,
  status: `usage: cli.ts status [--profile P] [--estimate]

For each instance: up to date, or would run and why (compared with the last run under the profile).
Read-only: never takes the lock.

      --profile P   the profile (default: the pipeline's default_profile)
${OVERRIDES_HELP}
      --estimate    instead: each instance's estimated CPU time from its step's cost: formula
                    and the cost_constants: file (docs/pipeline.md, 'Cost model')
${COMMON_HELP}`,
  explain: `usage: cli.ts explain <instance id | step> [--profile P]

The instance's key and its parts, the difference from its last run, its run record,
outputs with hashes and paths, and its log. Read-only.

      --profile P   the profile (default: the pipeline's default_profile)
${OVERRIDES_HELP}
${COMMON_HELP}`,
  dag: `usage: cli.ts dag [--format mermaid|dot] [--instances] [--profile P]

Prints the step graph (or, with --instances, the instance graph of the profile).

      --format F    mermaid (default) or dot
      --instances   one node per instance instead of per step
      --profile P   the profile whose instances are drawn
${OVERRIDES_HELP}
${COMMON_HELP}`,
  verify: `usage: cli.ts verify [--jobs N] [--no-wait]
       cli.ts verify --archive BUNDLE [--jobs N]

Re-hashes every blob in the store. Corrupt blobs are reported (with the
instances that used them), moved to quarantine/ and their records dropped,
so the next reproduce recomputes them. Exit 1 if anything was damaged.

With --archive, checks a bundle made by 'archive' (its directory, or its
.tar.gz) against its ro-crate-metadata.json instead: every listed file present
with its size and SHA-256, no unlisted file, consistent metadata. Needs no
store and no pipeline file, so it works on a copy anywhere. Exit 1 on any problem.

      --archive B   the bundle directory or .tar.gz to check
  -j, --jobs N      hashing workers (default: number of cores)
      --no-wait     exit 3 instead of waiting for the store lock
${COMMON_HELP}`,
  archive:
    `usage: cli.ts archive [--profile P] [--out DIR] [--steps STEP[.OUTPUT],...] [--tar] [--no-wait]

Bundles the final artifacts of a profile for a paper: the outputs of every
step with 'publish:' and of every step marked 'archive:' in the pipeline file
(or those named by --steps), copied into DIR with an RO-Crate 1.1
ro-crate-metadata.json describing each file (size, SHA-256, media type) and
how it was made (step code, inputs, parameters, back to the first steps).
Everything archived must be up to date: otherwise nothing is written and the
stale instances are listed. Writes the pin artifacts/pins/<name>.json so gc
keeps what the archive came from. Check a bundle with 'verify --archive DIR'.

      --profile P   the profile (default: the pipeline's default_profile)
${OVERRIDES_HELP}
  -o, --out DIR     the bundle directory, which must not exist; its name names the pin
                    (default: <store>/archives/<profile>-<UTC time>)
      --steps S,... archive these steps (or STEP.OUTPUT) instead of the pipeline file's choice
      --tar         also write DIR.tar.gz (the bundle under one top-level directory)
      --no-wait     exit 3 instead of waiting for the store lock
${COMMON_HELP}

Exit codes: 0 ok, 1 stale instances (or an error), 2 invalid pipeline or usage, 3 lock held.`,
  push: `usage: cli.ts push [--remote URL|NAME] [--profile P | --all] [--jobs N]
       cli.ts push [--remote URL|NAME] --archive NAME

Uploads the run records the profile's instances are up to date with, and
every blob they need, to the remote cache (see docs/remote.md). Blobs go
first, each record last; nothing on the remote is ever replaced. A record the
remote already has costs one existence check, so a second push uploads
nothing. The remote is never listed. Takes no store lock (it only reads
immutable, re-hashed files), so it may run beside a reproduce.

      --remote R    a name under 'remotes:' in the pipeline file, or a URL
                    (s3://bucket/prefix, file:///path, a directory); default: remotes.default
      --profile P   the profile (default: the pipeline's default_profile)
      --all         every profile
      --archive N   push the bundle <store>/archives/N/ instead
  -j, --jobs N      transfers at once (default 8)
${COMMON_HELP}

Credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_PROFILE, ...) or ~/.aws; the endpoint of an S3-compatible server from the
remote's 'endpoint:' or PIPELINE_S3_ENDPOINT.

Exit codes: 0 ok, 1 some record could not be pushed, 2 usage, 4 the remote failed.`,
  pull: `usage: cli.ts pull [--remote URL|NAME] [--profile P | --all] [--jobs N] [--no-wait]
       cli.ts pull [--remote URL|NAME] --archive NAME

Brings the profile's results from the remote cache into the store, instance
by instance in order (a downstream key needs its upstream outputs), without
running anything. Every download is re-hashed; an object that does not match
is not used (that instance stays missing, and reproduce recomputes it).

      --remote R    a name under 'remotes:' or a URL; default: remotes.default
      --profile P   the profile (default: the pipeline's default_profile)
      --all         every profile
      --archive N   pull the bundle N into <store>/archives/N/ (then: verify --archive)
  -j, --jobs N      transfers at once (default 8)
      --no-wait     exit 3 instead of waiting for the store lock
${COMMON_HELP}

Exit codes: 0 ok, 1 a remote object was corrupt, 2 usage, 3 lock held, 4 the remote failed.`,
  runs: `usage: cli.ts runs [--json] [--drop NAME|ID ...]

Lists the run history, newest first: every 'reproduce' records when it ran,
its profile and --set overrides, the project's git commit (+ when the work
tree had uncommitted changes), instances run / cached / failed, wall time,
outcome, and the key each instance resolved to. While a run is listed, 'gc'
keeps its results.

      --json        the entries as JSON
      --drop R ...  remove these runs (by name or id) from the history
${COMMON_HELP}`,
  metrics: `usage: cli.ts metrics [RUN] [--json]

The metrics the steps declare ('metrics:' in pipeline.yaml) of every instance
of a run (by name or id; default: the newest run). A CSV metric shows its
last row.

      --json        as JSON
${COMMON_HELP}`,
  compare: `usage: cli.ts compare A B          two runs (name or id) or profiles
       cli.ts compare A            A against the work tree (--profile, --set)
       cli.ts compare --set N=V    the profile against the same with overrides
       cli.ts compare --rev REV [B]  git revision REV's pipeline and code against B
       cli.ts compare              the two newest runs

The parameters that differ per instance, and every declared metric side by
side with its absolute and relative change. A profile side is what the store
holds for its current keys. --rev exports REV (git archive) to a temporary
directory and computes its keys against the same store.

      --profile P   the profile of the work-tree side (and of --rev)
${OVERRIDES_HELP}
      --json        as JSON
      --md          as Markdown
      --plots DIR   figures overlaying A and B (CSV metric series, JSON metrics
                    against a numeric axis) as SVG, PNG and Vega-Lite, and DIR/index.html
${COMMON_HELP}`,
  trace: `usage: cli.ts trace [RUN] [--tsv | --json] [--html DIR]

What each instance of a run (default: the newest) used, as its step process
measured itself at exit: peak resident memory, CPU user and system seconds,
wall time, cores and host (the node, under Slurm); then per-step totals
checked against the declared 'resources.memory' (a warning when exceeded).
A cached instance shows the run that made its result.

      --tsv         tab-separated values
      --json        as JSON
      --html DIR    DIR/index.html: a timeline of the instances (bars coloured
                    by step, also as SVG/PNG) and the cost tables
${COMMON_HELP}`,
  gc: `usage: cli.ts gc [--dry-run] [--no-runs] [--no-wait]

Drops blobs, records, trees, checkpoints and staging directories that neither
the current pipeline (any profile), the pins (artifacts/pins/*.json) nor the
listed runs ('runs') reach.

      --dry-run     only report what would be freed
      --no-runs     ignore the run history: keep only what the pipeline and the pins reach
                    (the listed runs stay listed; their dropped results read as missing)
      --no-wait     exit 3 instead of waiting for the store lock
${COMMON_HELP}`,
};

/** Top-level usage. */
export const USAGE = `usage: deno run -A lib/pipeline/cli/main.ts <command> [options]

commands:
  reproduce   bring the pipeline up to date (runs what is not cached)
  status      what is up to date, what would run and why
  explain     one instance's key, its parts, its last run and outputs
  dag         the step (or instance) graph as Mermaid or DOT
  verify      re-hash the store, quarantine corrupt blobs
  gc          drop what the pipeline, the pins and the listed runs no longer reach
  runs        the run history (every reproduce), newest first
  metrics     the declared metrics of a run, per instance
  compare     two runs, profiles, overrides or git revisions: parameters and metrics
  trace       a run's resource use per instance (memory, CPU, wall), timeline
  archive     bundle a profile's final artifacts with RO-Crate provenance, and pin them
  push        upload results (or an archive) to a remote cache
  pull        download results (or an archive) from a remote cache

Run 'cli.ts <command> --help' for a command's options.`;

/** Parsed arguments of one command. */
export interface ParsedArgs {
  command: string;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * Rewrites `--only a b c` as `--only a --only b --only c` for list options,
 * so several values can follow one flag.
 */
export function expandListFlags(args: string[], listFlags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.startsWith("--") ? a.slice(2) : "";
    if (listFlags.includes(name)) {
      let j = i + 1;
      let n = 0;
      while (j < args.length && !args[j].startsWith("-")) {
        out.push(a, args[j]);
        j++;
        n++;
      }
      if (n === 0) out.push(a); // let parseArgs report the missing value
      i = j - 1;
    } else out.push(a);
  }
  return out;
}

/** Parses `cli.ts <command> [options]`. */
export function parseCommand(argv: string[]): ParsedArgs {
  const command = argv[0];
  if (!command || command.startsWith("-")) {
    if (command === "--help" || command === "-h") {
      return { command: "help", values: {}, positionals: [] };
    }
    throw new UsageError(`a command is required\n\n${USAGE}`);
  }
  const own = COMMAND_OPTIONS[command];
  if (!own) throw new UsageError(`unknown command '${command}'\n\n${USAGE}`);
  const options = { ...COMMON, ...own };
  const lists = Object.entries(own).filter(([, o]) => o.multiple).map(([k]) => k);
  try {
    const { values, positionals } = parseArgs({
      args: expandListFlags(joinDashValues(argv.slice(1)), lists),
      options,
      allowPositionals: true,
      strict: true,
    });
    return { command, values: values as ParsedArgs["values"], positionals };
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${HELP[command]}`);
  }
}

/** A positive integer option, or the default. */
export function intOption(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  }
  return n;
}
