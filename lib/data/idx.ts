/**
 * The IDX format of the MNIST files (LeCun et al.): a 4-byte magic number
 * (two zero bytes, a type code, the number of dimensions), one big-endian
 * uint32 per dimension, then the data in row-major order. MNIST uses the
 * unsigned-byte type code 0x08: magic 0x00000801 (2049) for labels (1-D)
 * and 0x00000803 (2051) for images (3-D: count x rows x cols).
 *
 * Readers here are strict: a file that is truncated, has trailing bytes,
 * a wrong magic, a type code other than unsigned byte, or (for labels)
 * values above 9 is rejected with an error naming the file and the fault,
 * because a silently misread dataset would poison every later step.
 *
 * @module
 */

import { gunzip, isGzip } from "./gzip.ts";

/** The IDX type code for unsigned bytes, the only one MNIST uses. */
export const IDX_UBYTE = 0x08;
/** Magic number of an MNIST label file (ubyte, 1 dimension). */
export const MNIST_LABELS_MAGIC = 0x00000801;
/** Magic number of an MNIST image file (ubyte, 3 dimensions). */
export const MNIST_IMAGES_MAGIC = 0x00000803;
/** MNIST image side in pixels. */
export const MNIST_SIDE = 28;

const TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

/** A decoded IDX array of unsigned bytes. */
export interface IdxArray {
  /** Dimensions, outermost first. */
  dims: number[];
  /** The values, row-major. */
  data: Uint8Array;
}

/** MNIST images: `count` images of `rows` x `cols` bytes, row-major, image after image. */
export interface MnistImages {
  count: number;
  rows: number;
  cols: number;
  data: Uint8Array;
}

/** Encodes unsigned bytes as an IDX file. The product of `dims` must equal the data length. */
export function encodeIdx(data: Uint8Array, dims: number[]): Uint8Array {
  if (dims.length < 1 || dims.length > 255) {
    throw new Error(`idx: between 1 and 255 dimensions needed, got ${dims.length}`);
  }
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw new Error(`idx: dimension ${d} is not a uint32`);
    }
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new Error(`idx: dims [${dims}] hold ${count} values but the data has ${data.length}`);
  }
  const head = 4 + 4 * dims.length;
  const out = new Uint8Array(head + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (IDX_UBYTE << 8) | dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, head);
  return out;
}

/**
 * Decodes an (uncompressed) IDX file of unsigned bytes; `what` names the
 * source in errors. The data are copied, so the result owns its buffer.
 */
export function decodeIdx(bytes: Uint8Array, what = "idx data"): IdxArray {
  const fail = (why: string): never => {
    throw new Error(`${what}: not a valid IDX file: ${why}`);
  };
  if (isGzip(bytes)) fail("it is gzip-compressed (decompress it first, or use readIdxFile)");
  if (bytes.length < 4) fail(`only ${bytes.length} bytes, too short for the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`bad magic number 0x${hex32(bytes)} (IDX files start with two zero bytes)`);
  }
  const type = bytes[2];
  if (type !== IDX_UBYTE) {
    const name = TYPE_NAMES[type] ?? "unknown";
    fail(`type code 0x${hex8(type)} (${name}); only 0x08 (unsigned byte) is supported`);
  }
  const ndim = bytes[3];
  if (ndim < 1) fail("zero dimensions");
  const head = 4 + 4 * ndim;
  if (bytes.length < head) {
    fail(`truncated header: ${ndim} dimensions need ${head} bytes, the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const found = bytes.length - head;
  if (found !== count) {
    fail(
      `the header promises ${dims.join(" x ")} = ${count} data bytes but the file has ${found} ` +
        `(${found < count ? "truncated" : `${found - count} trailing bytes`})`,
    );
  }
  return { dims, data: bytes.slice(head) };
}

/** Decodes an MNIST image file (magic 2051, count x 28 x 28). */
export function decodeMnistImages(bytes: Uint8Array, what = "images"): MnistImages {
  checkMagic(bytes, what, MNIST_IMAGES_MAGIC);
  const { dims, data } = decodeIdx(bytes, what);
  const [count, rows, cols] = dims;
  if (rows !== MNIST_SIDE || cols !== MNIST_SIDE) {
    throw new Error(`${what}: MNIST images are 28 x 28, this file has ${rows} x ${cols}`);
  }
  return { count, rows, cols, data };
}

/** Decodes an MNIST label file (magic 2049); every label must be 0-9. */
export function decodeMnistLabels(bytes: Uint8Array, what = "labels"): Uint8Array {
  checkMagic(bytes, what, MNIST_LABELS_MAGIC);
  const { data } = decodeIdx(bytes, what);
  const bad = data.findIndex((v) => v > 9);
  if (bad >= 0) {
    throw new Error(`${what}: label ${bad} is ${data[bad]}; MNIST labels are 0-9`);
  }
  return data;
}

/** Encodes MNIST images (count x rows x cols bytes) as an IDX file with magic 2051. */
export function encodeMnistImages(
  data: Uint8Array,
  count: number,
  rows = 28,
  cols = 28,
): Uint8Array {
  return encodeIdx(data, [count, rows, cols]);
}

/** Encodes MNIST labels as an IDX file with magic 2049; every label must be 0-9. */
export function encodeMnistLabels(labels: Uint8Array): Uint8Array {
  const bad = labels.findIndex((v) => v > 9);
  if (bad >= 0) throw new Error(`idx: label ${bad} is ${labels[bad]}; MNIST labels are 0-9`);
  return encodeIdx(labels, [labels.length]);
}

/** Reads a file's IDX bytes, decompressing it first when it is gzip (detected by content). */
export async function readIdxBytes(path: string): Promise<Uint8Array> {
  const raw = await Deno.readFile(path);
  return isGzip(raw) ? await gunzip(raw, path) : raw;
}

/** Reads an MNIST image file (`.gz` or not). */
export async function readMnistImages(path: string): Promise<MnistImages> {
  return decodeMnistImages(await readIdxBytes(path), path);
}

/** Reads an MNIST label file (`.gz` or not). */
export async function readMnistLabels(path: string): Promise<Uint8Array> {
  return decodeMnistLabels(await readIdxBytes(path), path);
}

/** Writes unsigned bytes as an uncompressed IDX file. */
export async function writeIdx(path: string, data: Uint8Array, dims: number[]): Promise<void> {
  await Deno.writeFile(path, encodeIdx(data, dims));
}

/** Names what is wrong when the magic number is not `expected` (short or gzip data: decodeIdx says). */
function checkMagic(bytes: Uint8Array, what: string, expected: number): void {
  if (bytes.length < 4 || isGzip(bytes)) return;
  const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
  if (magic === expected) return;
  const kind = expected === MNIST_IMAGES_MAGIC ? "image" : "label";
  const want = expected === MNIST_IMAGES_MAGIC ? "0x00000803 = 2051" : "0x00000801 = 2049";
  let why: string;
  if (bytes[0] !== 0 || bytes[1] !== 0) why = "IDX files start with two zero bytes";
  else if (bytes[2] !== IDX_UBYTE) {
    why = `type code 0x${hex8(bytes[2])} (${TYPE_NAMES[bytes[2]] ?? "unknown"}); ` +
      `MNIST files hold unsigned bytes (0x08)`;
  } else if (magic === MNIST_LABELS_MAGIC) why = "this is a label file";
  else if (magic === MNIST_IMAGES_MAGIC) why = "this is an image file";
  else why = `${bytes[3]} dimensions`;
  throw new Error(
    `${what}: not an MNIST ${kind} file: magic number 0x${hex32(bytes)}, expected ${want} (${why})`,
  );
}

function hex8(v: number): string {
  return v.toString(16).padStart(2, "0");
}

function hex32(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4), hex8).join("");
}
