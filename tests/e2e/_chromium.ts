/**
 * Headless Chromium for the e2e tests: finding it, taking a screenshot of a
 * page, and measuring a screenshot. Without Chromium the tests that need it
 * are skipped, and say so loudly.
 */

import type { DecodedPng } from "../charts/png_decode.ts";

export const INSTALL = "apt-get update && apt-get install -y chromium";

/** The Chromium binary: $CHROMIUM, else the first of the usual names on PATH. */
function findChromium(): string | null {
  const env = Deno.env.get("CHROMIUM");
  const names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
  const dirs = (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":");
  const candidates = [...(env ? [env] : []), ...names.flatMap((n) => dirs.map((d) => `${d}/${n}`))];
  for (const c of candidates) {
    try {
      if (Deno.statSync(c).isFile) return c;
    } catch {
      // not here
    }
  }
  return null;
}

export const chromium = findChromium();
export const hasChromium = chromium !== null;
if (!hasChromium) {
  // Straight to stderr: `deno test --quiet` hides console output of test modules.
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      "\n" + "!".repeat(78) + "\n" +
        "!! SKIPPED: e2e report screenshot test: Chromium is not installed.\n" +
        `!! Install it with: ${INSTALL}\n` +
        "!! (or point $CHROMIUM at a Chromium/Chrome binary)\n" +
        "!".repeat(78) + "\n\n",
    ),
  );
}

export const WIDTH = 1280;
export const HEIGHT = 4000;

/** Screenshots `url` (WIDTH x HEIGHT) into the PNG file `out`. */
export async function screenshot(url: string, out: string): Promise<void> {
  const profile = await Deno.makeTempDir({ prefix: "chromium_profile_" });
  try {
    const cmd = new Deno.Command(chromium!, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        `--screenshot=${out}`,
        `--window-size=${WIDTH},${HEIGHT}`,
        "--hide-scrollbars",
        url,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(90_000),
    });
    const res = await cmd.output();
    if (!res.success) {
      throw new Error(`chromium failed (${res.code}): ${new TextDecoder().decode(res.stderr)}`);
    }
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** Pixels of the figures' warm colours (the test-loss curve, the markers): no text or link has them. */
export function warmPixels(img: DecodedPng, y0 = 0, y1 = img.height): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = 4 * (y * img.width + x);
      const [r, g, b] = [img.rgba[i], img.rgba[i + 1], img.rgba[i + 2]];
      if (r > 180 && g < 150 && b < 90) n++;
    }
  }
  return n;
}
