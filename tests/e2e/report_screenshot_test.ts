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
import { decodePng, pixelStats } from "../charts/png_decode.ts";
import { hasChromium, HEIGHT, INSTALL, screenshot, warmPixels, WIDTH } from "./_chromium.ts";

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
