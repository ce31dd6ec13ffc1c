/**
 * NumPy `.npy` arrays (format version 1.0): the one format for every array
 * artifact of the study. A `.npy` file is a magic string, a small text header
 * with the dtype and shape, then the raw little-endian data, so it loads
 * with `numpy.load` and is trivial to read in any language.
 *
 * Layout: `\x93NUMPY`, bytes 1 and 0 (version 1.0), a little-endian uint16
 * header length, then an ASCII Python dict such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 14, 14), }`
 * padded with spaces and a final newline so the data starts at a multiple
 * of 64 bytes. The data are in C (row-major) order.
 *
 * @module
 */

/** The dtypes this project reads and writes. */
export type Dtype = "f4" | "f8" | "u1" | "i4" | "u4";

/** A typed array for each dtype. */
export type TypedArrayFor<D extends Dtype> = D extends "f4" ? Float32Array
  : D extends "f8" ? Float64Array
  : D extends "u1" ? Uint8Array
  : D extends "i4" ? Int32Array
  : Uint32Array;

/** Any array this module handles. */
export type NpyData = Float32Array | Float64Array | Uint8Array | Int32Array | Uint32Array;

/** A decoded array: its dtype, shape and data. */
export interface NpyArray<T extends NpyData = NpyData> {
  dtype: Dtype;
  shape: number[];
  data: T;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function dtypeOf(data: NpyData): Dtype {
  if (data instanceof Float32Array) return "f4";
  if (data instanceof Float64Array) return "f8";
  if (data instanceof Uint8Array) return "u1";
  if (data instanceof Int32Array) return "i4";
  return "u4";
}

function descrOf(dtype: Dtype): string {
  return dtype === "u1" ? "|u1" : `<${dtype}`;
}

function itemSize(dtype: Dtype): number {
  return dtype === "u1" ? 1 : dtype === "f8" ? 8 : 4;
}

/** Encodes an array as `.npy` bytes. The product of `shape` must equal the data length. */
export function encodeNpy(data: NpyData, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new Error(`npy: shape [${shape}] holds ${count} values but the data has ${data.length}`);
  }
  const dtype = dtypeOf(data);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descrOf(dtype)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const out = new Uint8Array(MAGIC.length + 4 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  // Typed arrays are little-endian on every platform Deno runs on.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Decodes `.npy` bytes; `what` names the source in error messages. */
export function decodeNpy(bytes: Uint8Array, what = "array"): NpyArray {
  const fail = (why: string): never => {
    throw new Error(`${what}: not a valid .npy file: ${why}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail("missing \\x93NUMPY magic");
  const major = bytes[6];
  let headerLen: number;
  let start: number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail("truncated header");
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    return fail(`unsupported version ${major}`);
  }
  if (start + headerLen > bytes.length) fail("truncated header");
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(`unreadable header ${JSON.stringify(header.trim())}`);
  }
  if (fortran === "True") fail("Fortran-ordered arrays are not supported");
  const dtypes: Record<string, Dtype> = {
    "<f4": "f4",
    "<f8": "f8",
    "|u1": "u1",
    "<u1": "u1",
    "<i4": "i4",
    "<u4": "u4",
  };
  const dtype = dtypes[descr!];
  if (!dtype) return fail(`unsupported dtype '${descr}'`);
  const shape = shapeText!.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) fail(`bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const byteLength = count * itemSize(dtype);
  if (bytes.length - dataStart !== byteLength) {
    fail(
      `expected ${byteLength} data bytes for shape [${shape}], found ${bytes.length - dataStart}`,
    );
  }
  // Copy so the result is aligned and independent of the input buffer.
  const raw = bytes.slice(dataStart, dataStart + byteLength).buffer;
  const data = dtype === "f4"
    ? new Float32Array(raw)
    : dtype === "f8"
    ? new Float64Array(raw)
    : dtype === "u1"
    ? new Uint8Array(raw)
    : dtype === "i4"
    ? new Int32Array(raw)
    : new Uint32Array(raw);
  return { dtype, shape, data };
}

/** Writes an array to a `.npy` file. */
export async function writeNpy(path: string, data: NpyData, shape: number[]): Promise<void> {
  await Deno.writeFile(path, encodeNpy(data, shape));
}

/** Reads a `.npy` file, optionally requiring a dtype. */
export async function readNpy<D extends Dtype>(
  path: string,
  dtype?: D,
): Promise<NpyArray<TypedArrayFor<D>>> {
  const arr = decodeNpy(await Deno.readFile(path), path);
  if (dtype && arr.dtype !== dtype) {
    throw new Error(`${path}: expected dtype ${dtype}, found ${arr.dtype}`);
  }
  return arr as NpyArray<TypedArrayFor<D>>;
}
