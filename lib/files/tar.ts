/**
 * A gzip-compressed POSIX tar (ustar, with pax headers for long paths and
 * large files) of a directory's regular files, streamed to disk; and a
 * streaming reader of the same, for checking an archive without unpacking
 * it. Entries are written in sorted order with fixed owner and time, so the
 * same files give the same archive.
 *
 * @module
 */

import { join } from "node:path";

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** One file to put in the archive. */
export interface TarEntry {
  /** Path inside the archive (POSIX). */
  name: string;
  /** The file on disk. */
  source: string;
  size: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

function header(
  name: string,
  size: number,
  type: string,
  mtime: number,
): Uint8Array<ArrayBuffer> {
  const h = new Uint8Array(BLOCK);
  const put = (s: string, off: number, len: number) => h.set(enc.encode(s).subarray(0, len), off);
  put(name, 0, 100);
  put(octal(type === "5" ? 0o755 : 0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  put("        ", 148, 8); // checksum field counts as spaces while summing
  put(type, 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

/** A pax record `"<len> key=value\n"`, where len counts the whole record. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = enc.encode(body).length + 1;
  while (String(len).length + enc.encode(body).length !== len) len++;
  return `${len}${body}`;
}

function padding(size: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The header blocks of one file: a pax header first when ustar cannot hold its path or size. */
function fileHeaders(name: string, size: number, mtime: number): Uint8Array<ArrayBuffer>[] {
  const records: string[] = [];
  if (enc.encode(name).length > 100) records.push(paxRecord("path", name));
  if (size > 0o77777777777) records.push(paxRecord("size", String(size)));
  const out: Uint8Array<ArrayBuffer>[] = [];
  if (records.length) {
    const body = enc.encode(records.join(""));
    out.push(header("PaxHeader", body.length, "x", mtime), body, padding(body.length));
  }
  out.push(header(name, size > 0o77777777777 ? 0 : size, "0", mtime));
  return out;
}

/** Writes `entries` (sorted by name) as a .tar.gz file; `mtime` is seconds since the epoch. */
export async function writeTarGz(dest: string, entries: TarEntry[], mtime: number): Promise<void> {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : 1));
  async function* blocks(): AsyncGenerator<BufferSource> {
    for (const e of sorted) {
      yield* fileHeaders(e.name, e.size, mtime);
      const f = await Deno.open(e.source, { read: true });
      let n = 0;
      try {
        for await (const chunk of f.readable) {
          n += chunk.length;
          yield chunk;
        }
      } catch (err) {
        throw new Error(`${e.source}: ${(err as Error).message}`);
      }
      if (n !== e.size) throw new Error(`${e.source} changed size while it was archived`);
      yield padding(e.size);
    }
    yield new Uint8Array(2 * BLOCK);
  }
  const out = await Deno.open(dest, { write: true, createNew: true });
  await ReadableStream.from<BufferSource>(blocks()).pipeThrough(new CompressionStream("gzip"))
    .pipeTo(
      out.writable,
    );
}

/** Every regular file under `dir`, as tar entries named `<prefix>/<relative path>`. */
export async function tarEntries(dir: string, prefix: string): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(join(dir, rel))) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(p);
      else if (e.isFile) {
        const st = await Deno.stat(join(dir, p));
        out.push({ name: `${prefix}/${p}`, source: join(dir, p), size: st.size });
      } else throw new Error(`${join(dir, p)} is not a regular file`);
    }
  };
  await walk("");
  return out;
}

/** A member of a tar archive as the reader hands it out. */
export interface TarMember {
  name: string;
  /** "file", "dir", or "other" (links, devices: never written by writeTarGz). */
  kind: "file" | "dir" | "other";
  size: number;
}

/**
 * Reads a .tar.gz file member by member: `onFile` gets each regular file's
 * content as a stream (it must consume it), `onMember` every member.
 */
export async function readTarGz(
  path: string,
  onMember: (m: TarMember, content: ReadableStream<Uint8Array> | null) => Promise<void>,
): Promise<void> {
  const f = await Deno.open(path, { read: true });
  const reader = f.readable.pipeThrough(new DecompressionStream("gzip")).getReader();
  let buf = new Uint8Array(0);
  let done = false;
  const fill = async (n: number): Promise<boolean> => {
    while (buf.length < n && !done) {
      const r = await reader.read();
      if (r.done) done = true;
      else {
        const next = new Uint8Array(buf.length + r.value.length);
        next.set(buf);
        next.set(r.value, buf.length);
        buf = next;
      }
    }
    return buf.length >= n;
  };
  const take = async (n: number): Promise<Uint8Array> => {
    if (!await fill(n)) throw new Error(`${path}: truncated tar archive`);
    const out = buf.slice(0, n);
    buf = buf.subarray(n);
    return out;
  };
  const field = (h: Uint8Array, off: number, len: number) => {
    const raw = h.subarray(off, off + len);
    const end = raw.indexOf(0);
    return dec.decode(end < 0 ? raw : raw.subarray(0, end));
  };
  let pax: Record<string, string> = {};
  try {
    while (true) {
      const h = await take(BLOCK);
      if (h.every((b) => b === 0)) break;
      const type = String.fromCharCode(h[156] || 48);
      let size = parseInt(field(h, 124, 12).trim() || "0", 8);
      const prefix = field(h, 345, 155);
      let name = field(h, 0, 100);
      if (prefix) name = `${prefix}/${name}`;
      if (type === "x" || type === "g") {
        const body = dec.decode(await take(size));
        await take((BLOCK - (size % BLOCK)) % BLOCK);
        if (type === "x") {
          pax = {};
          for (const line of body.split("\n").filter(Boolean)) {
            const m = /^\d+ ([^=]+)=(.*)$/s.exec(line);
            if (m) pax[m[1]] = m[2];
          }
        }
        continue;
      }
      if (type === "L") {
        // GNU tar's long name: the next member's path.
        const body = dec.decode(await take(size));
        await take((BLOCK - (size % BLOCK)) % BLOCK);
        pax = { ...pax, path: body.replace(/\0+$/, "") };
        continue;
      }
      if (pax.path) name = pax.path;
      if (pax.size) size = Number(pax.size);
      pax = {};
      const kind = type === "0" || type === "\0" || type === "7"
        ? "file"
        : type === "5"
        ? "dir"
        : "other";
      if (kind === "file") {
        let left = size;
        const content = new ReadableStream<Uint8Array>({
          pull: async (c) => {
            if (left === 0) return c.close();
            await fill(Math.min(left, 1 << 16));
            if (buf.length === 0) return c.error(new Error(`${path}: truncated tar archive`));
            const n = Math.min(left, buf.length);
            c.enqueue(buf.slice(0, n));
            buf = buf.subarray(n);
            left -= n;
          },
        });
        await onMember({ name, kind, size }, content);
        // Whatever the callback left unread is skipped.
        while (left > 0) {
          const n = Math.min(left, 1 << 20);
          await take(n);
          left -= n;
        }
      } else {
        await onMember({ name: name.replace(/\/$/, ""), kind, size }, null);
        await take(size);
      }
      await take((BLOCK - (size % BLOCK)) % BLOCK);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
