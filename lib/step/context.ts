/**
 * The contract between a step module and whoever runs it.
 *
 * A step is a Deno script. It is started as
 * `deno run <least privilege> steps/<name>.ts <context.json>` and learns
 * everything it may use from that one JSON file: its parameters, the paths
 * of its inputs (read-only), the paths where it must write its outputs, a
 * checkpoint directory that survives a crash, and how many cores it may use.
 * Nothing here knows about hashing or caching: a step reads, computes and
 * writes, and the runner decides what happens to the files afterwards.
 *
 * @module
 */

import process from "node:process";

/** One instance of an upstream step gathered into a list input (fan-in). */
export interface GatheredInput {
  /** The upstream instance id, e.g. `train[P=4,d=2,seed=1001]`. */
  id: string;
  /** The upstream instance's matrix values, e.g. `{ P: 4, d: 2, seed: 1001 }`. */
  matrix: Record<string, MatrixValue>;
  /** Path of the upstream output (a file, or a directory for `dir/` outputs). */
  path: string;
}

/** A matrix axis value. */
export type MatrixValue = string | number | boolean;

/** An input is a single path, or a list when it gathers several upstream instances. */
export type InputValue = string | GatheredInput[];

/** The JSON document a runner hands to a step (protocol version 1). */
export interface ContextFile {
  protocol: 1;
  /** The instance id, e.g. `train[P=4,d=2,seed=1001]`. */
  id: string;
  /** The step name, e.g. `train`. */
  step: string;
  /** This instance's matrix values. */
  matrix: Record<string, MatrixValue>;
  /** The declared parameters (after profile overrides), matrix values included. */
  params: Record<string, unknown>;
  /** Input name -> path (or gathered list). */
  inputs: Record<string, InputValue>;
  /** Output name -> path to write. Names declared with a trailing `/` are directories. */
  outputs: Record<string, string>;
  /** A directory kept across failed attempts of this exact instance, for resuming. */
  checkpoint_dir: string;
  /** A scratch directory, deleted after the step ends. */
  scratch_dir: string;
  /** Cores this instance may use. */
  cores: number;
  /**
   * Optional provenance of the instances upstream of this one (transitively):
   * what produced the inputs. Informational only: it is not part of the cache key.
   */
  upstream?: UpstreamRecord[];
}

/** Provenance of one upstream instance. */
export interface UpstreamRecord {
  /** Instance id, e.g. `train[P=4,d=2,seed=1001]`. */
  id: string;
  /** Step name. */
  step: string;
  /** The cache key its outputs were recorded under. */
  key: string;
  /** Hash of its code (local module graph), as used in its key. */
  code: string;
  /** The npm packages of its code, `name@version`. */
  npm: string[];
}

/** The scalar kinds `list` and `map` readers check their items against. */
export interface ItemKinds {
  integer: number;
  number: number;
  string: string;
  boolean: boolean;
}

/**
 * Typed parameter readers. Each throws a `StepError` naming the parameter
 * when it was not declared for the step or its value has another type: the
 * engine has already checked values against `pipeline.yaml`'s declared types
 * and ranges, so this is the second line of defence. `N` is what a null
 * value reads as: `never` (null is an error) or `null` (`ctx.nullable`).
 */
export interface ParamReaders<N> {
  /** A safe integer. */
  int(name: string): number | N;
  /** A finite number. */
  number(name: string): number | N;
  /** A string. */
  string(name: string): string | N;
  /** A boolean. */
  bool(name: string): boolean | N;
  /** One of `choices`, e.g. `ctx.choice("aggregate", ["mean", "sqrt"] as const)`. */
  choice<C extends string | number | boolean>(name: string, choices: readonly C[]): C | N;
  /** A list whose every item is of `kind`, e.g. `ctx.list("adam_betas", "number")`. */
  list<K extends keyof ItemKinds>(name: string, kind: K): ItemKinds[K][] | N;
  /** A mapping whose every value is of `kind`, e.g. `ctx.map("lr_by_depth", "number")`. */
  map<K extends keyof ItemKinds>(name: string, kind: K): Record<string, ItemKinds[K]> | N;
}

/**
 * What a step's `main` receives.
 *
 * @example
 * ```ts ignore
 * const epochs = ctx.int("epochs");
 * const samples = ctx.nullable.int("hessian_samples"); // number | null
 * const agg = ctx.choice("aggregate", ["mean", "sqrt"] as const);
 * ```
 */
export interface StepContext extends Omit<ContextFile, "protocol">, ParamReaders<never> {
  /** The same readers, with null allowed (read as null). */
  nullable: ParamReaders<null>;
  /** True when the parameter is in the context (for optional, undeclared test parameters). */
  has(name: string): boolean;
  /** A parameter by name, untyped; throws a clear error if it was not declared or fails `check`. */
  param<T = unknown>(name: string, check?: (v: unknown) => v is T): T;
  /** A single-path input by name. */
  input(name: string): string;
  /** A gathered (list) input by name. */
  gathered(name: string): GatheredInput[];
  /** The path an output must be written to. */
  output(name: string): string;
  /** A line for the user (shown as it comes, prefixed with the instance id). */
  log(message: string): void;
  /** Live progress in [0, 1] with a short message (shown on a TTY, throttled). */
  progress(fraction: number, message?: string): void;
}

/** Marker that starts a progress line on stderr: `::progress:: <fraction> <message>`. */
export const PROGRESS_PREFIX = "::progress::";

/**
 * Prefix of the stderr line a step's runtime writes when it ends: what the
 * step's whole process used (`StepUsage` as JSON), for the run's trace.
 */
export const RESOURCES_PREFIX = "::resources::";

/** What a step process used, measured by the process itself at exit. */
export interface StepUsage {
  /** Peak resident memory (getrusage ru_maxrss), in KiB. */
  max_rss_kib: number;
  /** CPU seconds in user and kernel mode, over every thread (workers included). */
  cpu_user_s: number;
  cpu_sys_s: number;
  /** Where it ran (null when the host name could not be read). */
  host: string | null;
}

/** Raised for errors that should be shown to the user without a stack trace. */
export class StepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StepError";
  }
}

const encoder = new TextEncoder();

const IS: { [K in keyof ItemKinds]: (v: unknown) => v is ItemKinds[K] } = {
  integer: (v): v is number => Number.isSafeInteger(v),
  number: (v): v is number => typeof v === "number" && Number.isFinite(v),
  string: (v): v is string => typeof v === "string",
  boolean: (v): v is boolean => typeof v === "boolean",
};

const A: Record<keyof ItemKinds, string> = {
  integer: "an integer",
  number: "a number",
  string: "a string",
  boolean: "true or false",
};

/** The typed readers over one context file; `nullable` lets null through as null. */
function readers<N>(file: ContextFile, nullable: boolean): ParamReaders<N> {
  const read = <T>(name: string, ok: (v: unknown) => boolean, what: string): T | N => {
    if (!(name in file.params)) {
      throw new StepError(
        `${file.id}: parameter '${name}' is not declared for step '${file.step}' ` +
          `(add it to the step's 'params' in pipeline.yaml)`,
      );
    }
    const v = file.params[name];
    if (v === null && nullable) return null as N;
    if (!ok(v)) {
      throw new StepError(
        `${file.id}: parameter '${name}' must be ${nullable ? "null or " : ""}${what}, ` +
          `got ${
            JSON.stringify(v)
          } (declare its type in pipeline.yaml to have it checked before anything runs)`,
      );
    }
    return v as T;
  };
  return {
    int: (name) => read(name, IS.integer, A.integer),
    number: (name) => read(name, IS.number, A.number),
    string: (name) => read(name, IS.string, A.string),
    bool: (name) => read(name, IS.boolean, A.boolean),
    choice: (name, choices) =>
      read(
        name,
        (v) => choices.includes(v as never),
        `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`,
      ),
    list: (name, kind) =>
      read(name, (v) => Array.isArray(v) && v.every(IS[kind]), `a list of ${plural(kind)}`),
    map: (name, kind) =>
      read(
        name,
        (v) =>
          typeof v === "object" && v !== null && !Array.isArray(v) &&
          Object.values(v).every(IS[kind]),
        `a mapping to ${plural(kind)}`,
      ),
  };
}

function plural(kind: keyof ItemKinds): string {
  return kind === "boolean" ? "booleans" : `${kind}s`;
}

/** Builds a StepContext from a parsed context file. Exported for tests that call steps directly. */
export function makeContext(file: ContextFile): StepContext {
  let lastProgress = 0;
  const ctx: StepContext = {
    id: file.id,
    step: file.step,
    matrix: file.matrix,
    params: file.params,
    inputs: file.inputs,
    outputs: file.outputs,
    checkpoint_dir: file.checkpoint_dir,
    scratch_dir: file.scratch_dir,
    cores: file.cores,
    upstream: file.upstream,
    ...readers<never>(file, false),
    nullable: readers<null>(file, true),
    has: (name: string) => name in file.params,
    param<T>(name: string, check?: (v: unknown) => v is T): T {
      if (!(name in file.params)) {
        throw new StepError(
          `${file.id}: parameter '${name}' is not declared for step '${file.step}' ` +
            `(add it to the step's 'params' in pipeline.yaml)`,
        );
      }
      const v = file.params[name];
      if (check && !check(v)) {
        throw new StepError(
          `${file.id}: parameter '${name}' has an unexpected value ${JSON.stringify(v)}`,
        );
      }
      return v as T;
    },
    input(name: string): string {
      const v = file.inputs[name];
      if (typeof v !== "string") {
        throw new StepError(
          `${file.id}: input '${name}' ${
            v === undefined ? "is not declared" : "is a gathered list"
          }`,
        );
      }
      return v;
    },
    gathered(name: string): GatheredInput[] {
      const v = file.inputs[name];
      if (!Array.isArray(v)) {
        throw new StepError(
          `${file.id}: input '${name}' ${v === undefined ? "is not declared" : "is a single path"}`,
        );
      }
      return v;
    },
    output(name: string): string {
      const v = file.outputs[name];
      if (v === undefined) {
        throw new StepError(`${file.id}: output '${name}' is not declared for step '${file.step}'`);
      }
      return v;
    },
    log(message: string): void {
      Deno.stdout.writeSync(encoder.encode(message + "\n"));
    },
    progress(fraction: number, message = ""): void {
      const now = Date.now();
      if (now - lastProgress < 200 && fraction < 1) return;
      lastProgress = now;
      const f = Math.min(1, Math.max(0, fraction));
      Deno.stderr.writeSync(
        encoder.encode(`${PROGRESS_PREFIX} ${f.toFixed(4)} ${message.replaceAll("\n", " ")}\n`),
      );
    },
  };
  return ctx;
}

/** Reads and checks a context file. */
export async function readContextFile(path: string): Promise<ContextFile> {
  const parsed = JSON.parse(await Deno.readTextFile(path));
  if (parsed?.protocol !== 1) {
    throw new StepError(`${path}: not a step context file (protocol 1 expected)`);
  }
  return parsed as ContextFile;
}

/**
 * Runs `main` as a step: reads the context file named by the first argument,
 * calls `main`, and exits non-zero with a readable message on failure. Call it
 * under `if (import.meta.main)` so the module stays importable by tests.
 */
export async function runStep(main: (ctx: StepContext) => Promise<void> | void): Promise<void> {
  const path = Deno.args[0];
  if (!path) {
    console.error("usage: deno run <permissions> <step module> <context.json>");
    Deno.exit(2);
  }
  watchParent();
  try {
    const ctx = makeContext(await readContextFile(path));
    await main(ctx);
  } catch (e) {
    if (e instanceof StepError) console.error(`error: ${e.message}`);
    else console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    reportUsage();
    Deno.exit(1);
  }
  reportUsage();
}

/**
 * Writes the `::resources::` line: getrusage of this process, which needs
 * no permission and covers its whole life and every thread, wherever it runs
 * (a cluster node included), without relying on the cluster's accounting.
 */
export function reportUsage(): void {
  let host: string | null = null;
  try {
    host = Deno.hostname();
  } catch {
    // not granted (an older engine's command line): the engine's host stands in
  }
  const u = process.resourceUsage();
  const usage: StepUsage = {
    max_rss_kib: u.maxRSS,
    cpu_user_s: u.userCPUTime / 1e6,
    cpu_sys_s: u.systemCPUTime / 1e6,
    host,
  };
  Deno.stderr.writeSync(new TextEncoder().encode(`${RESOURCES_PREFIX} ${JSON.stringify(usage)}\n`));
}

/**
 * Exits when the process that started this step goes away (it was killed,
 * even by SIGKILL), so an orphaned step cannot keep writing into a
 * checkpoint directory that a new run is about to resume from.
 */
function watchParent(): void {
  const parent = Deno.ppid;
  const timer = setInterval(() => {
    if (Deno.ppid !== parent) {
      console.error("error: the runner that started this step is gone; stopping");
      Deno.exit(137);
    }
  }, 500);
  Deno.unrefTimer(timer);
}
