/**
 * End to end: the report rendered from fixtures, opened in headless
 * Chromium, screenshotted, and the screenshot checked for what a reader
 * would see: a page that is not blank, tables and text, and the figures
 * (their coloured curves) on screen.
 *
 * Needs Debian's Chromium (`apt-get update && apt-get install -y chromium`).
 * Without it the test is skipped, and says so loudly.
 */

import { assert, assertEquals } from "../report/_assert.ts";
import { runInProcess } from "../report/_pipeline.ts";
import { type DecodedPng, decodePng, pixelStats } from "../charts/png_decode.ts";

const INSTALL = "apt-get update && apt-get install -y chromium";

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

const chromium = findChromium();
const hasChromium = chromium !== null;
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

const WIDTH = 1280;
const HEIGHT = 4000;

async function screenshot(url: string, out: string): Promise<void> {
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
function warmPixels(img: DecodedPng, y0 = 0, y1 = img.height): number {
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

Deno.test({
  // The name says why when skipped, so even a quiet test run shows it on the "ignored" line.
  name: hasChromium
    ? "e2e: the report renders in headless Chromium with its tables and figures visible"
    : `e2e: report screenshot SKIPPED, Chromium not installed (${INSTALL})`,
  ignore: !hasChromium,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "e2e_report_" });
    try {
      const out = await runInProcess(dir, { Ps: [4, 9, 16], ds: [2, 3], epochs: 10, grid: 12 });
      const png = `${dir}/screenshot.png`;
      await screenshot(new URL(`file://${out.html}`).href, png);
      // Keep the screenshot for a person to look at, when asked to ($REPORT_SCREENSHOT=path).
      const keep = Deno.env.get("REPORT_SCREENSHOT");
      if (keep) await Deno.copyFile(png, keep);
      const img = await decodePng(await Deno.readFile(png));
      assertEquals([img.width, img.height], [WIDTH, HEIGHT]);
      const st = pixelStats(img);
      // Not blank: text, table rules and figures cover a good share of the page.
      assert(
        st.nonWhite / st.total > 0.03,
        `non-white share ${(st.nonWhite / st.total).toFixed(4)}`,
      );
      // The figures are on screen: their test-loss curves and trajectory markers are drawn in
      // warm colours that no text, rule or link of the page uses, and they come in blocks
      // (a figure), not as a scattering of stray pixels.
      const warm = warmPixels(img);
      const bands = [0, 1, 2, 3].map((k) => warmPixels(img, k * 1000, (k + 1) * 1000));
      assert(warm > 1000, `warm (figure) pixels: ${warm}`);
      assert(Math.max(...bands) > 500, `figure pixels per 1000-px band: ${bands}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
