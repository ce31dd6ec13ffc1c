/**
 * gzip (RFC 1952) through the web platform's compression streams, with
 * errors that name the file and a cap on the decompressed size so that a
 * corrupt or hostile file cannot exhaust memory.
 *
 * @module
 */

/** True when `bytes` start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The default cap on decompressed bytes: 256 MiB (MNIST's largest file is 47 MB). */
export const DEFAULT_MAX_GUNZIP_BYTES = 256 * 1024 * 1024;

/**
 * Decompresses gzip `bytes`; `what` names the source in errors. A corrupt,
 * truncated or too large stream is an error.
 */
export async function gunzip(
  bytes: Uint8Array,
  what = "data",
  maxBytes = DEFAULT_MAX_GUNZIP_BYTES,
): Promise<Uint8Array> {
  if (!isGzip(bytes)) throw new Error(`${what}: not gzip data (no 1f 8b magic)`);
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"))
    .getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw new Error(`${what}: gzip data expands beyond ${maxBytes} bytes; refusing it`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`${what}:`)) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`${what}: corrupt or truncated gzip data (${why})`);
  }
  return concat(chunks, total);
}

/** Compresses `bytes` with gzip (used to build test fixtures and caches). */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
