/**
 * End to end, as a user runs it: the study's own pipeline (smoke profile) on
 * a copy of the project. The first run computes everything and points at the
 * report; a second run computes nothing; an edit to one parameter reruns
 * exactly the steps that use it and what depends on them; the real report
 * renders in headless Chromium with its figures visible.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { cli, copyStudy, ran } from "../pipeline/helpers.ts";
import { decodePng, pixelStats } from "../charts/png_decode.ts";
import { hasChromium, INSTALL, screenshot, warmPixels } from "./_chromium.ts";

const SMOKE_INSTANCES = [
  "charts",
  "fetch_mnist",
  "hessian[P=4,d=1,seed=1001]",
  "hessian[P=9,d=1,seed=1001]",
  "landscape[P=4,d=1,seed=1001]",
  "landscape[P=9,d=1,seed=1001]",
  "preprocess",
  "report",
  "tables",
  "train[P=4,d=1,seed=1001]",
  "train[P=9,d=1,seed=1001]",
];

Deno.test("e2e: the smoke study runs, reruns nothing, reruns only what an edit touches, and its report renders", async () => {
  const dir = await copyStudy("e2e-smoke-");
  try {
    const first = await cli(dir, ["reproduce", "--profile", "smoke"]);
    equal(first.code, 0, first.stdout + first.stderr);
    deepStrictEqual(ran(first.stdout), SMOKE_INSTANCES);
    match(first.stdout, /\nopen: artifacts\/out\/smoke\/report\/index\.html\n$/);
    const html = await Deno.readTextFile(join(dir, "artifacts/out/smoke/report/index.html"));
    for (const needle of ["Table 1", "Table 3", "Table 6", "<svg", "smoke"]) {
      ok(html.includes(needle), `the report lacks ${JSON.stringify(needle)}`);
    }
    for (
      const f of [
        "fig2_patches",
        "fig5_circuit",
        "fig1_loss",
        "fig3_landscape",
        "fig4_density",
        "lambda_max",
      ]
    ) {
      for (const ext of ["vl.json", "svg", "png"]) {
        const st = await Deno.stat(join(dir, `artifacts/out/smoke/figures/${f}.${ext}`));
        ok(st.size > 100, `${f}.${ext} is nearly empty`);
      }
    }

    const second = await cli(dir, ["reproduce", "--profile", "smoke"]);
    equal(second.code, 0, second.stderr);
    deepStrictEqual(ran(second.stdout), []);
    match(second.stdout, /ran 0, cached 11, failed 0 \(profile smoke\)/);

    // The smoke profile's landscape grid: only the landscapes and what reads them rerun.
    const yaml = await Deno.readTextFile(join(dir, "pipeline.yaml"));
    const edited = yaml.replace(/(smoke:[\s\S]*?landscape_grid: )4/, "$15");
    ok(edited !== yaml, "the smoke profile sets landscape_grid: 4");
    await Deno.writeTextFile(join(dir, "pipeline.yaml"), edited);
    const status = await cli(dir, ["status", "--profile", "smoke"]);
    match(
      status.stdout,
      /landscape\[P=4,d=1,seed=1001\]\s+would run\s+params changed \(landscape_grid: 4 → 5\)/,
    );
    const third = await cli(dir, ["reproduce", "--profile", "smoke"]);
    equal(third.code, 0, third.stderr);
    deepStrictEqual(ran(third.stdout), [
      "charts",
      "landscape[P=4,d=1,seed=1001]",
      "landscape[P=9,d=1,seed=1001]",
      "report",
      "tables",
    ]);

    // The paper's proposed 1/sqrt(P) aggregation beside the mean: only the new runs run (the mean
    // ones keep their keys), their ids name the axis, and the report compares the two.
    const sweep = await cli(dir, [
      "reproduce",
      "--profile",
      "smoke",
      "--set-matrix",
      "aggregate=mean,sqrt",
    ]);
    equal(sweep.code, 0, sweep.stdout + sweep.stderr);
    deepStrictEqual(ran(sweep.stdout), [
      "charts",
      "hessian[P=4,d=1,seed=1001,aggregate=sqrt]",
      "hessian[P=9,d=1,seed=1001,aggregate=sqrt]",
      "landscape[P=4,d=1,seed=1001,aggregate=sqrt]",
      "landscape[P=9,d=1,seed=1001,aggregate=sqrt]",
      "report",
      "tables",
      "train[P=4,d=1,seed=1001,aggregate=sqrt]",
      "train[P=9,d=1,seed=1001,aggregate=sqrt]",
    ]);
    const variant = [...Deno.readDirSync(join(dir, "artifacts/out"))]
      .find((e) => e.name.startsWith("smoke+"));
    ok(variant, "the sweep publishes under its own profile label");
    const table = await Deno.readTextFile(
      join(dir, "artifacts/out", variant.name, "tables/aggregate_variant.md"),
    );
    match(table, /\| 9 \| 1 \| 1\/√P \| 1 \| \d+\.\d+ \|/);
    match(table, /\| all \| 1 \| mean \(1\/P\) \| 2 \| b = -?\d/);

    if (!hasChromium) {
      console.error(`e2e: report screenshot skipped: Chromium is not installed (${INSTALL})`);
      return;
    }
    const png = join(dir, "report.png");
    await screenshot(
      new URL(`file://${join(dir, "artifacts/out/smoke/report/index.html")}`).href,
      png,
    );
    const img = await decodePng(await Deno.readFile(png));
    const st = pixelStats(img);
    ok(st.nonWhite / st.total > 0.03, `non-white share ${(st.nonWhite / st.total).toFixed(4)}`);
    ok(warmPixels(img) > 500, "no figure pixels on the real report");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
