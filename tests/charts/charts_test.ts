import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertStringIncludes,
} from "../report/_assert.ts";
import { syntheticImages, writeFixtures } from "../report/fixtures.ts";
import { loadStudy, outlierCount, type Study, topEigenvalues } from "../../lib/study/mod.ts";
import { spectrumOutliers } from "../../lib/charts/fig4_density.ts";
import {
  buildFigures,
  compileSpec,
  type Figure,
  renderSvg,
  svgToPng,
  writeFigures,
} from "../../lib/charts/mod.ts";
import { axisScale, contourRows, trajectoryMarkers } from "../../lib/charts/fig3_landscape.ts";
import { publishedLevels } from "../../lib/charts/levels.ts";
import { prettyJson } from "../../lib/charts/json.ts";
import { decodePng, isPng, pixelStats } from "./png_decode.ts";

const Ps = [4, 9];
const ds = [2, 3];

async function study(opts: Parameters<typeof writeFixtures>[1] = {}): Promise<Study> {
  const dir = await Deno.makeTempDir({ prefix: "charts_test_" });
  const f = await writeFixtures(dir, { Ps, ds, seeds: [1001, 1002], epochs: 8, grid: 12, ...opts });
  const s = await loadStudy(f.inputs);
  await Deno.remove(dir, { recursive: true });
  return s;
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

/** Panels of a concatenated figure (one `concat_<i>_group` scope each). */
function concatPanels(svg: string): number {
  return [...svg.matchAll(/class="mark-group role-scope concat_\d+_group"/g)].length;
}

function figure(figs: Figure[], name: string): Figure {
  const f = figs.find((x) => x.name === name);
  assert(f, `figure ${name}`);
  return f;
}

/** Figure 2's example digit. */
const image = { n: 14, pixels: syntheticImages(1) };

// One shared render of every figure: rendering is the slow part, the checks are cheap.
const rendered = (async () => {
  const s = await study();
  const figs = buildFigures(s, { image });
  const svgs = new Map<string, string>();
  for (const f of figs) if (f.spec) svgs.set(f.name, await renderSvg(f.spec));
  return { s, figs, svgs };
})();

Deno.test("charts: every figure's spec compiles with vega-lite and renders to SVG", async () => {
  const { figs, svgs } = await rendered;
  assertEquals(figs.map((f) => f.name), [
    "fig2_patches",
    "fig5_circuit",
    "fig1_loss",
    "fig3_landscape",
    "fig4_density",
    "lambda_max",
    "hessian_split",
  ]);
  for (const f of figs) {
    assert(f.spec, `${f.name} is drawn for a full study`);
    assert(compileSpec(f.spec), `${f.name} compiles`);
    const svg = svgs.get(f.name)!;
    assert(svg.startsWith("<svg"), `${f.name} is an SVG document`);
    assert(svg.length > 5000, `${f.name} has content`);
    assertEquals(f.notes, []);
    // The spec carries its data inline (a reader can restyle it without the inputs).
    assert(JSON.stringify(f.spec).includes('"values"'), `${f.name} has inline data`);
  }
});

Deno.test("charts: fig1 has loss and test-accuracy panels per configuration, the best-epoch rule", async () => {
  const { svgs, figs, s } = await rendered;
  const svg = svgs.get("fig1_loss")!;
  const panels = Ps.length * ds.length;
  // Loss grid (train and test lines) above the test-accuracy grid, a rule in each panel.
  assertEquals(count(svg, 'class="mark-rule role-mark concat_0_child_layer_0_marks"'), panels);
  assertEquals(count(svg, 'class="mark-line role-mark concat_0_child_layer_1_marks"'), 2 * panels);
  assertEquals(count(svg, 'class="mark-rule role-mark concat_1_child_layer_0_marks"'), panels);
  assertEquals(count(svg, 'class="mark-line role-mark concat_1_child_layer_1_marks"'), panels);
  for (const P of Ps) assertStringIncludes(svg, `>P = ${P}<`);
  for (const d of ds) assertStringIncludes(svg, `>d = ${d}<`);
  const spec = JSON.stringify(figure(figs, "fig1_loss").spec);
  assert(!spec.includes('"type":"log"'), "a linear loss axis, as the paper's");
  // The paper's epoch range: its epochs 0 .. E - 1, the initialisation (-1) not drawn.
  const values = (figure(figs, "fig1_loss").spec as unknown as {
    data: { values: { epoch?: number; best_epoch?: number; P: number; d: number }[] };
  }).data.values;
  const epochs = values.flatMap((v) => v.epoch === undefined ? [] : [v.epoch]);
  assertEquals(Math.min(...epochs), 0);
  const run = s.runs.find((r) => r.P === 4 && r.d === 2 && r.seed === 1001)!;
  assertEquals(Math.max(...epochs), run.metrics!.length - 2);
  const rule = values.find((v) => v.best_epoch !== undefined && v.P === 4 && v.d === 2)!;
  assertEquals(rule.best_epoch, run.best!.epoch - 1);
});

Deno.test("charts: fig3 has one contour panel per configuration with the three crosses", async () => {
  const { svgs, s } = await rendered;
  const svg = svgs.get("fig3_landscape")!;
  const panels = Ps.length * ds.length;
  assertEquals(concatPanels(svg), panels);
  // Marker paths: symbol marks stroked with the caption's colours, one of each per panel.
  for (const colour of ["red", "darkblue", "orange"]) {
    assertEquals(count(svg, `stroke="${colour}" stroke-width="2.6"`), panels, colour);
  }
  assertStringIncludes(svg, "PC1 (");
  assertStringIncludes(svg, "PC2 (");
  // The axis titles carry the first seed's explained-variance ratios.
  const l = s.runs.find((r) => r.P === 4 && r.d === 2 && r.seed === 1001)!.landscape!;
  assertStringIncludes(svg, `PC1 (${(100 * l.explained_variance_ratio[0]).toFixed(1)}%)`);
});

Deno.test("charts: fig3's contour data follows the grid and the markers follow the trajectory", async () => {
  const { s } = await rendered;
  const l = s.runs[0].landscape!;
  const { rows, levels, labels } = contourRows(l);
  // The published levels: every 0.5 from floor(10 min) / 10.
  const flat = l.loss.flat();
  assertEquals(levels, publishedLevels(Math.min(...flat), Math.max(...flat)));
  assertEquals(levels[0], Math.floor(Math.min(...flat) * 10) / 10);
  assert(levels.every((v, i) => i === 0 || Math.abs(v - levels[i - 1] - 0.5) < 1e-9));
  assert(rows.length > 10 && labels.length > 0);
  // Axes in the published units: divided by the norm of the trajectory's coordinates.
  const [sx, sy] = axisScale(l);
  assert(Math.abs(sx - Math.hypot(...l.trajectory.map((p) => p[0]))) < 1e-12);
  assert(sy > 0);
  const [x0, x1] = [Math.min(...l.x) / sx, Math.max(...l.x) / sx];
  const tol = 1e-5 * (x1 - x0); // the inline data keeps 6 significant digits
  for (const r of rows) {
    const x = r.x as number;
    assert(x >= x0 - tol && x <= x1 + tol, `contour point ${x} inside [${x0}, ${x1}]`);
  }
  const m = trajectoryMarkers(l);
  assertEquals(m.map((p) => p.role), ["start", "end", "minimum"]);
  assertEquals([m[2].x, m[2].y], [0, 0], "the minimum is the origin of the plane");
  // Epochs in the paper's numbering (initialisation -1).
  assertEquals(m[0].epoch, -1);
  assertEquals(m[1].epoch, l.trajectory.length - 2);
  assertEquals(m[2].epoch, l.min_epoch - 1);
});

Deno.test("charts: fig4 has one log-scale density panel per configuration, an axis per column, the gap rule's outliers", async () => {
  const { svgs, figs, s } = await rendered;
  const svg = svgs.get("fig4_density")!;
  // One facet of P rows per d, side by side (a shared eigenvalue axis per column).
  ds.forEach((_, i) =>
    assertEquals(
      count(svg, `class="mark-line role-mark concat_${i}_child_layer_1_marks"`),
      Ps.length,
    )
  );
  const f = figure(figs, "fig4_density");
  const spec = JSON.stringify(f.spec);
  assertStringIncludes(spec, '"type":"log"');
  assertStringIncludes(spec, '"x":"shared"');
  // The outliers drawn are those the claims count (figure and Findings agree).
  const values = (f.spec as unknown as {
    data: { values: { P: number; d: number; outlier?: number; label?: string }[] };
  }).data.values;
  for (const P of Ps) {
    for (const d of ds) {
      const run = s.runs.find((r) => r.P === P && r.d === d && r.seed === s.firstSeed)!;
      const m = outlierCount(topEigenvalues(run.hessian!)) ?? 0;
      const drawn = values.filter((v) => v.P === P && v.d === d && v.outlier !== undefined);
      assertEquals(drawn.length, m, `P=${P} d=${d}`);
      assertEquals(spectrumOutliers(run.hessian!).length, m);
    }
  }
});

Deno.test("charts: spectrumOutliers follows the gap rule", () => {
  const h = (top: number[]) =>
    ({ lanczos: { top } }) as unknown as Parameters<typeof spectrumOutliers>[0];
  assertEquals(spectrumOutliers(h([40, 12, 10, 9, 0.3, 0.2])), [40, 12, 10, 9]);
  assertEquals(spectrumOutliers(h([5, 4.5, 4, 3.8])), []);
});

Deno.test("charts: lambda_max anchors the 1/P^2 and 1/P curves at P = 4", async () => {
  const { figs, s, svgs } = await rendered;
  const spec = figure(figs, "lambda_max").spec as unknown as {
    layer: { data: { values: Record<string, number | string>[] } }[];
  };
  const laws = spec.layer[0].data.values;
  // Mean over the two seeds at P = 4, d = 2.
  const l4 = s.runs.filter((r) => r.P === 4 && r.d === 2).map((r) => r.hessian!.lambda_max);
  const anchor = (l4[0] + l4[1]) / 2;
  const at = (law: string, P: number) =>
    laws.find((r) => r.d === 2 && r.P === P && String(r.law).includes(law))!.value as number;
  assertAlmostEquals(at("1/P²", 4), anchor, 1e-4 * anchor);
  assertAlmostEquals(at("1/P²", 9), anchor * (4 / 9) ** 2, 1e-4 * anchor);
  assertAlmostEquals(at("1/P (", 9), anchor * (4 / 9), 1e-4 * anchor);
  const svg = svgs.get("lambda_max")!;
  assertStringIncludes(svg, "number of patches P");
  assertStringIncludes(svg, "theory");
});

Deno.test("charts: hessian_split draws each term, one panel per depth", async () => {
  const { svgs } = await rendered;
  const svg = svgs.get("hessian_split")!;
  for (const t of ["full Hessian", "Gauss-Newton", "curvature λ_max", "curvature |λ_min|"]) {
    assertStringIncludes(svg, t);
  }
  assertEquals(
    count(svg, 'class="mark-line role-mark child_layer_1_layer_0_marks"'),
    4 * ds.length,
  );
});

Deno.test("charts: PNGs are valid, twice the SVG size, with visible content and text", async () => {
  const { svgs } = await rendered;
  const svg = svgs.get("lambda_max")!;
  const png = await svgToPng(svg);
  assert(isPng(png.bytes));
  const w = Number(/width="(\d+)"/.exec(svg)![1]);
  const h = Number(/height="(\d+)"/.exec(svg)![1]);
  assertEquals([png.width, png.height], [2 * w, 2 * h]);
  const img = await decodePng(png.bytes);
  assertEquals([img.width, img.height], [png.width, png.height]);
  const st = pixelStats(img);
  assert(st.nonWhite / st.total > 0.02, `non-white share ${st.nonWhite / st.total}`);
  assert(st.colored > 500, "coloured lines are drawn");
});

Deno.test("charts: the bundled font renders text in PNGs (resvg-wasm loads no system fonts)", async () => {
  const text = (s: string) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30"><text x="4" y="22" ` +
    `font-family="sans-serif" font-size="18" fill="black">${s}</text></svg>`;
  const withText = pixelStats(await decodePng((await svgToPng(text("PC1 λ"), { scale: 1 })).bytes));
  const empty = pixelStats(await decodePng((await svgToPng(text(""), { scale: 1 })).bytes));
  assertEquals(empty.nonWhite, 0);
  assert(withText.nonWhite > 100, `text pixels: ${withText.nonWhite}`);
});

Deno.test("charts: figures whose inputs are absent are not drawn and say why", async () => {
  const s = await study({ kinds: { landscape: false, density: false } });
  const figs = buildFigures(s);
  assertEquals(figure(figs, "fig3_landscape").spec, null);
  assertStringIncludes(figure(figs, "fig3_landscape").notes.join(" "), "No 'landscape' input");
  assertEquals(figure(figs, "fig4_density").spec, null);
  assert(figure(figs, "fig1_loss").spec);
});

Deno.test("charts: fig3 keeps the P x d grid with a placeholder for a missing landscape", async () => {
  const s = await study();
  const run = s.runs.find((r) => r.P === 9 && r.d === 3 && r.seed === 1001)!;
  delete run.landscape;
  const f = figure(buildFigures(s), "fig3_landscape");
  const svg = await renderSvg(f.spec!);
  assertEquals(concatPanels(svg), Ps.length * ds.length);
  assertStringIncludes(svg, "no landscape");
  assertEquals(count(svg, `stroke="red" stroke-width="2.6"`), 3);
  assertStringIncludes(f.notes.join(" "), "P=9 d=3");
});

Deno.test("charts: writeFigures writes vl.json, svg, png and the manifest", async () => {
  const s = await study({ kinds: { landscape: false } });
  const dir = await Deno.makeTempDir({ prefix: "figures_" });
  try {
    const figs = buildFigures(s).filter((f) =>
      f.name === "fig1_loss" || f.name === "fig3_landscape"
    );
    const m = await writeFigures(dir, figs);
    assertEquals(m.figures.map((f) => [f.name, f.files !== null]), [
      ["fig1_loss", true],
      ["fig3_landscape", false],
    ]);
    const vl = JSON.parse(await Deno.readTextFile(`${dir}/fig1_loss.vl.json`));
    assertEquals(vl, JSON.parse(JSON.stringify(figs[0].spec)));
    assert((await Deno.readTextFile(`${dir}/fig1_loss.svg`)).startsWith("<svg"));
    assert(isPng(await Deno.readFile(`${dir}/fig1_loss.png`)));
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
    assertEquals(manifest.format, "qnn-figures/1");
    assertEquals(manifest.figures[0].width > 100, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("charts: prettyJson keeps data rows on one line and round-trips", () => {
  const v = { a: [{ x: 1, y: 2 }, { x: 3, y: 4 }], b: { c: "d" }, e: [] };
  const text = prettyJson(v);
  assertEquals(JSON.parse(text), v);
  assertStringIncludes(text, '{"x":1,"y":2}');
});
