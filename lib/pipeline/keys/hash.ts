/**
 * SHA-256 of bytes, strings and files (files are streamed in chunks so large
 * artifacts never sit whole in memory).
 *
 * @module
 */

import { createHash } from "node:crypto";

const CHUNK = 1 << 20;

/** Hex SHA-256 of a string (UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A file's content hash and size. */
export interface FileDigest {
  hash: string;
  size: number;
}

/** Hex SHA-256 and byte size of a file, read in 1 MiB chunks. */
export async function hashFile(path: string): Promise<FileDigest> {
  const h = createHash("sha256");
  const file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(CHUNK);
  let size = 0;
  try {
    while (true) {
      const n = await file.read(buf);
      if (n === null) break;
      h.update(buf.subarray(0, n));
      size += n;
    }
  } finally {
    file.close();
  }
  return { hash: h.digest("hex"), size };
}

/** True when `s` looks like a hex SHA-256. */
export function isSha256(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}
