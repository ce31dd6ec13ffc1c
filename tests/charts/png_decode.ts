/**
 * A small PNG decoder for tests (8-bit greyscale, grey+alpha, RGB, RGBA and
 * palette images, not interlaced: what resvg and Chromium write), so tests
 * can look at the pixels of the PNG figures and of the report screenshot
 * without another dependency. Inflate comes from the runtime's
 * DecompressionStream.
 *
 * @module
 */

/** A decoded image, always as RGBA bytes. */
export interface DecodedPng {
  width: number;
  height: number;
  rgba: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Whether the bytes start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(
    new DecompressionStream("deflate"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes a PNG to RGBA. Throws on formats outside the list above. */
export async function decodePng(bytes: Uint8Array): Promise<DecodedPng> {
  if (!isPng(bytes)) throw new Error("not a PNG (bad signature)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0, height = 0, depth = 0, colorType = 0, interlace = 0;
  let palette: Uint8Array | null = null;
  let transparency: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  while (pos + 8 <= bytes.length) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const body = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      depth = body[8];
      colorType = body[9];
      interlace = body[12];
    } else if (type === "PLTE") palette = body;
    else if (type === "tRNS") transparency = body;
    else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  if (depth !== 8 || interlace !== 0) {
    throw new Error(`unsupported PNG: bit depth ${depth}, interlace ${interlace}`);
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (!channels) throw new Error(`unsupported PNG colour type ${colorType}`);
  const joined = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of idat) {
    joined.set(c, off);
    off += c.length;
  }
  const raw = await inflate(joined);
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error("PNG image data too short");
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? row[x - channels] : 0;
      const b = prev[x];
      const c = x >= channels ? prev[x - channels] : 0;
      const v = src[x];
      row[x] = filter === 0
        ? v
        : filter === 1
        ? v + a
        : filter === 2
        ? v + b
        : filter === 3
        ? v + ((a + b) >> 1)
        : filter === 4
        ? v + paeth(a, b, c)
        : (() => {
          throw new Error(`bad PNG filter ${filter}`);
        })();
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = pixels.subarray(i * channels, (i + 1) * channels);
    let r, g, b, a = 255;
    if (colorType === 0) r = g = b = p[0];
    else if (colorType === 4) [r, g, b, a] = [p[0], p[0], p[0], p[1]];
    else if (colorType === 2) [r, g, b] = p;
    else if (colorType === 6) [r, g, b, a] = p;
    else {
      const k = p[0];
      if (!palette) throw new Error("palette PNG without PLTE");
      [r, g, b] = palette.subarray(3 * k, 3 * k + 3);
      a = transparency && k < transparency.length ? transparency[k] : 255;
    }
    rgba.set([r, g, b, a], i * 4);
  }
  return { width, height, rgba };
}

/** Pixel statistics used by the tests: how much is not (near) white, how much is colourful. */
export function pixelStats(img: DecodedPng): { nonWhite: number; colored: number; total: number } {
  let nonWhite = 0, colored = 0;
  const total = img.width * img.height;
  for (let i = 0; i < total; i++) {
    const [r, g, b, a] = img.rgba.subarray(4 * i, 4 * i + 4);
    if (a < 16) continue;
    if (r < 235 || g < 235 || b < 235) nonWhite++;
    // Saturated: the channels differ a lot (grey text and rules do not).
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colored++;
  }
  return { nonWhite, colored, total };
}
