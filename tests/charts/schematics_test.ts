/**
 * The paper's two schematic figures: Figure 2 (the patches of an image) and
 * Figure 5 (the circuit of one QNN), checked against SPEC.md ("Data":
 * patches; "One QNN": the circuit) through the specs' inline data, and
 * rendered.
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "../report/_assert.ts";
import { syntheticImages } from "../report/fixtures.ts";
import {
  type ExampleImage,
  fig2Patches,
  readFirstImage,
  type WindowRow,
} from "../../lib/charts/fig2_patches.ts";
import {
  circuitLayout,
  type CzRow,
  fig5Circuit,
  type GateRow,
  OUTPUT_WIRES,
  WIRES,
} from "../../lib/charts/fig5_circuit.ts";
import { compileSpec, renderSvg } from "../../lib/charts/render.ts";
import { svgToPng } from "../../lib/charts/png.ts";
import { writeNpy } from "../../lib/io/npy.ts";
import { makeContext } from "../../lib/step/context.ts";
import { main as chartsMain } from "../../steps/charts.ts";
import { writeFixtures } from "../report/fixtures.ts";
import { decodePng, isPng, pixelStats } from "./png_decode.ts";

/** SPEC.md "Data": the top-left corner coordinates S of each paper case (stride 6, 3, 2). */
const SPEC_S: Record<number, number[]> = { 4: [0, 6], 9: [0, 3, 6], 16: [0, 2, 4, 6] };

const N = 14;
const images = syntheticImages(3, N);
const image: ExampleImage = { n: N, pixels: images.subarray(0, N * N) };

/** Items of one mark in a vega SVG (`<path>` for rects, `<text>` for text, ...). */
function markItems(svg: string, markName: string): number {
  const start = svg.indexOf(`role-mark ${markName}"`);
  assert(start >= 0, `mark ${markName} in the SVG`);
  const end = svg.indexOf("</g>", start);
  return (svg.slice(start, end).match(/role="graphics-symbol"/g) ?? []).length;
}

type Panel = { title: { text: string }; layer: Record<string, unknown>[] };

function panels(f: ReturnType<typeof fig2Patches>): Panel[] {
  assert(f.spec, "fig2 is drawn");
  return (f.spec as unknown as { hconcat: Panel[] }).hconcat;
}

function windowsOf(p: Panel): WindowRow[] {
  const layer = p.layer.find((l) => String(l.name).startsWith("windows_")) as {
    data: { values: WindowRow[] };
  };
  return layer.data.values;
}

function pixelsOf(p: Panel): { row: number; col: number; x: number }[] {
  return (p.layer[0] as { data: { values: { row: number; col: number; x: number }[] } }).data
    .values;
}

// Rendering is the slow part: one render per figure, shared by the tests.
const rendered = (async () => {
  const f2 = fig2Patches(image, [4, 9, 16]);
  const f5 = fig5Circuit();
  return { f2, f5, svg2: await renderSvg(f2.spec!), svg5: await renderSvg(f5.spec!) };
})();

Deno.test("fig2: one panel per P with exactly P windows at SPEC.md's corners, in patch order", async () => {
  const { f2, svg2 } = await rendered;
  assertEquals(f2.name, "fig2_patches");
  assertEquals(f2.notes, []);
  const ps = panels(f2);
  assertEquals(ps.map((p) => p.title.text), ["P = 4", "P = 9", "P = 16"]);
  for (const [k, P] of [4, 9, 16].entries()) {
    const w = windowsOf(ps[k]);
    assertEquals(w.length, P);
    // Row by row: r outer, c inner, both over S; 8 x 8 windows, numbered 1..P.
    const S = SPEC_S[P];
    assertEquals(w.map((x) => [x.r, x.c]), S.flatMap((r) => S.map((c) => [r, c])));
    assertEquals(w.map((x) => x.patch), Array.from({ length: P }, (_, i) => i + 1));
    for (const x of w) {
      assertEquals(x.k, 8);
      assertEquals(x.P, P);
      // The drawn outline is the window, inset by less than half a pixel on every side.
      for (const [drawn, exact] of [[x.x0, x.c], [x.y0, x.r]]) {
        assert(drawn > exact && drawn < exact + 0.5, `${drawn} vs ${exact}`);
      }
      for (const [drawn, exact] of [[x.x1, x.c + 8], [x.y1, x.r + 8]]) {
        assert(drawn < exact && drawn > exact - 0.5, `${drawn} vs ${exact}`);
      }
    }
    // Windows span the whole image: the last one ends at its far corner.
    assertEquals([w[P - 1].r + 8, w[P - 1].c + 8], [N, N]);
    // Distinct colours for the paper's cases; the SVG has P outlines, P badges and P numbers.
    assertEquals(new Set(w.map((x) => x.color)).size, P);
    assertEquals(markItems(svg2, `windows_P${P}_layer_0_marks`), P);
    assertEquals(markItems(svg2, `windows_P${P}_layer_1_marks`), P);
    assertEquals(markItems(svg2, `windows_P${P}_layer_2_marks`), P);
    // The heatmap is the 14 x 14 image, pixel for pixel.
    assertEquals(markItems(svg2, `concat_${k}_layer_0_marks`), N * N);
  }
});

Deno.test("fig2: the heatmap is the first image, row-major, and the spec compiles", async () => {
  const { f2 } = await rendered;
  assert(compileSpec(f2.spec!));
  const px = pixelsOf(panels(f2)[0]);
  assertEquals(px.length, N * N);
  for (const { row, col, x } of px) {
    const v = images[row * N + col];
    assert(Math.abs(x - v) <= 1e-3 * Math.max(v, 1e-3), `pixel (${row}, ${col}): ${x} vs ${v}`);
  }
  // The first image (a ring) differs from the second (a bar).
  const second = images.subarray(N * N, 2 * N * N);
  assert(px.some(({ row, col, x }) => Math.abs(x - second[row * N + col]) > 0.1));
});

Deno.test("fig2: the study's P values, else the paper's; unusable P values are notes", () => {
  assertEquals(panels(fig2Patches(image, [4, 9])).map((p) => p.title.text), ["P = 4", "P = 9"]);
  const paper = fig2Patches(image, []);
  assertEquals(panels(paper).map((p) => p.title.text), ["P = 4", "P = 9", "P = 16"]);
  assertStringIncludes(paper.caption, "the paper's");
  const odd = fig2Patches(image, [4, 6]);
  assertEquals(panels(odd).map((p) => p.title.text), ["P = 4"]);
  assertStringIncludes(odd.notes.join(" "), "P = 6 not drawn");
  const none = fig2Patches(undefined, [4]);
  assertEquals(none.spec, null);
  assertStringIncludes(none.notes.join(" "), "No 'images' input");
  assertEquals(fig2Patches(null, [4]).spec, null);
});

Deno.test("fig2: readFirstImage takes the first of [n, 14, 14] float32 images, rejects others", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fig2_" });
  try {
    await writeNpy(`${dir}/x.npy`, images, [3, N, N]);
    const first = await readFirstImage(`${dir}/x.npy`);
    assertEquals(first?.n, N);
    assertEquals(Array.from(first!.pixels), Array.from(images.subarray(0, N * N)));
    await writeNpy(`${dir}/empty.npy`, new Float32Array(0), [0, N, N]);
    assertEquals(await readFirstImage(`${dir}/empty.npy`), null);
    await writeNpy(`${dir}/flat.npy`, images, [3, N * N]);
    await assertRejects(() => readFirstImage(`${dir}/flat.npy`), /expected preprocessed/);
    await writeNpy(`${dir}/f8.npy`, new Float64Array(images), [3, N, N]);
    await assertRejects(() => readFirstImage(`${dir}/f8.npy`), /expected preprocessed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The circuit as drawn, left to right: one token per gate column or CZ ring. */
function timeline(gates: GateRow[], cz: CzRow[]): string[] {
  const items = [
    ...gates.map((g) => ({
      x: g.x,
      token: g.block === "outputs" ? `out ${g.gate.slice(1, 2)}` : `${g.block} ${g.gate}`,
    })),
    ...cz.map((c) => ({ x: c.x, token: `CZ ring (${c.ring})` })),
  ].sort((a, b) => a.x - b.x);
  return items.map((i) => i.token).filter((t, k, all) => k === 0 || t !== all[k - 1]);
}

Deno.test("fig5: blocks in SPEC.md's order: A, E1, ring, B, E2, ring, C (no ring after its last layer), outputs", () => {
  const { gates, cz } = circuitLayout();
  const enc = (b: string) =>
    [0, 1, 2, 3].map((j) => `${b} ${j % 2 ? "RX·RY(x)·RX" : "RY·RX(x)·RY"}`);
  assertEquals(timeline(gates, cz), [
    "A RX",
    "A RY",
    "CZ ring (A)",
    ...enc("E1"),
    "CZ ring (after E1)",
    "B RX",
    "B RY",
    "CZ ring (B)",
    ...enc("E2"),
    "CZ ring (after E2)",
    "C RX",
    "C RY",
    "CZ ring (C)",
    "C RX",
    "C RY",
    "out X",
    "out Z",
  ]);
});

Deno.test("fig5: each variational layer is RX then RY on every wire; C's last layer is shown apart", () => {
  const { gates } = circuitLayout();
  for (const block of ["A", "B", "C"]) {
    const layers = [...new Set(gates.filter((g) => g.block === block).map((g) => g.layer))];
    assertEquals(layers, block === "C" ? ["k = 0 … d − 2", "k = d − 1"] : ["k = 0 … d − 1"]);
    for (const layer of layers) {
      const g = gates.filter((x) => x.block === block && x.layer === layer);
      for (const gate of ["RX", "RY"]) {
        const wires = g.filter((x) => x.gate === gate).map((x) => x.wire).sort((a, b) => a - b);
        assertEquals(wires, Array.from({ length: WIRES }, (_, i) => i), `${block} ${gate}`);
      }
      assertEquals(g.length, 2 * WIRES);
      for (let i = 0; i < WIRES; i++) {
        const rx = g.find((x) => x.wire === i && x.gate === "RX")!;
        const ry = g.find((x) => x.wire === i && x.gate === "RY")!;
        assert(rx.x2 <= ry.x, `${block} wire ${i}: RX before RY`);
      }
    }
  }
});

Deno.test("fig5: encodings: per wire j = 0..3, axes Y,X,Y for even j and X,Y,X for odd j, features 4i + j", () => {
  const { gates } = circuitLayout();
  for (
    const [block, xOffset, phiBase, phiOffset] of [["E1", 0, "16d + ", 0], [
      "E2",
      32,
      "32d + ",
      64,
    ]] as const
  ) {
    const g = gates.filter((x) => x.block === block);
    assertEquals(g.length, 4 * WIRES);
    for (let i = 0; i < WIRES; i++) {
      const row = g.filter((x) => x.wire === i).sort((a, b) => a.x - b.x);
      assertEquals(row.map((x) => x.j), [0, 1, 2, 3]);
      for (const x of row) {
        const j = x.j!;
        const axes = j % 2 === 0 ? "Y,X,Y" : "X,Y,X";
        assertEquals(x.axes, axes);
        const [t, dataAxis] = axes.split(",");
        assertEquals(x.gate, `R${t}·R${dataAxis}(x)·R${t}`);
        assertEquals(x.x_index, xOffset + 4 * i + j);
        const p = phiOffset + 8 * i + 2 * j;
        assertEquals(
          x.params,
          `R${t}(φ[${phiBase}${p}]) · R${dataAxis}(x[${x.x_index}]) · R${t}(φ[${phiBase}${p + 1}])`,
        );
      }
    }
    // The encoding loads its half of the 64 features, each once.
    const xs = g.map((x) => x.x_index!).sort((a, b) => a - b);
    assertEquals(xs, Array.from({ length: 32 }, (_, k) => xOffset + k));
  }
});

Deno.test("fig5: every CZ ring is CZ(i, i + 1 mod 8) for i = 0..7; the shown layer has 48 + 128 parameters", () => {
  const { gates, cz } = circuitLayout();
  const rings = [...new Set(cz.map((c) => c.ring))];
  assertEquals(rings, ["A", "after E1", "B", "after E2", "C"]);
  const want = Array.from({ length: WIRES }, (_, i) => `${i}-${(i + 1) % WIRES}`).sort();
  for (const ring of rings) {
    const pairs = cz.filter((c) => c.ring === ring);
    assertEquals(pairs.map((c) => `${c.a}-${c.b}`).sort(), want, ring);
    for (const c of pairs) assertEquals([c.y, c.y2], [Math.min(c.a, c.b), Math.max(c.a, c.b)]);
  }
  // Parameters of one shown layer per block (C's last layer repeats C's indices): 16 per
  // variational block, 64 per encoding, all distinct.
  const shown = gates.filter((g) => g.block !== "outputs" && g.layer !== "k = d − 1");
  const phis = shown.flatMap((g) => [...g.params.matchAll(/φ\[[^\]]+\]/g)].map((m) => m[0]));
  assertEquals(phis.length, 3 * 16 + 2 * 64);
  assertEquals(new Set(phis).size, phis.length);
  assert(phis.includes("φ[16k + 0]") && phis.includes("φ[16k + 15]"));
  assert(phis.includes("φ[16d + 64 + 16k + 8]") && phis.includes("φ[32d + 128 + 16k + 7]"));
  assert(phis.includes("φ[16d + 63]") && phis.includes("φ[32d + 127]"));
});

Deno.test("fig5: outputs are <X0>..<X4> then <Z0>..<Z4>, on wires 0..4", () => {
  const { gates } = circuitLayout();
  const out = gates.filter((g) => g.block === "outputs").sort((a, b) => a.output! - b.output!);
  assertEquals(out.map((g) => g.output), Array.from({ length: 10 }, (_, i) => i));
  assertEquals(out.map((g) => g.gate), [
    ...[0, 1, 2, 3, 4].map((i) => `⟨X${i}⟩`),
    ...[0, 1, 2, 3, 4].map((i) => `⟨Z${i}⟩`),
  ]);
  assertEquals(out.map((g) => g.wire), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
  assert(out.slice(0, OUTPUT_WIRES).every((g) => g.x2 <= out[OUTPUT_WIRES].x), "X before Z");
});

Deno.test("fig5: the spec carries the circuit inline, compiles and renders every element", async () => {
  const { f5, svg5 } = await rendered;
  assertEquals(f5.name, "fig5_circuit");
  assertEquals(f5.notes, []);
  assert(compileSpec(f5.spec!));
  const layers = (f5.spec as unknown as { layer: { name: string; data: { values: unknown[] } }[] })
    .layer;
  const c = circuitLayout();
  // (Through JSON: rendering tags the inline rows with vega's symbols.)
  const inline = (name: string) =>
    JSON.parse(JSON.stringify(layers.find((l) => l.name === name)!.data.values));
  assertEquals(inline("gates"), c.gates);
  assertEquals(inline("cz"), c.cz);
  const nGates = 3 * 2 * WIRES + 2 * WIRES + 2 * 4 * WIRES + 2 * OUTPUT_WIRES;
  assertEquals(c.gates.length, nGates);
  assertEquals(markItems(svg5, "gates_layer_0_marks"), nGates);
  assertEquals(markItems(svg5, "gates_layer_1_marks"), nGates);
  assertEquals(markItems(svg5, "cz_layer_0_marks"), 5 * WIRES);
  assertEquals(markItems(svg5, "cz_layer_1_marks"), 2 * 5 * WIRES);
  assertEquals(markItems(svg5, "wires_marks"), WIRES);
  for (
    const t of ["A × d", "C × (d − 1)", "C, last", "E2: data x[32 + 4i + j]", "q7 |0⟩", "⟨Z4⟩"]
  ) {
    assertStringIncludes(svg5, `>${t}<`);
  }
});

Deno.test("fig2 and fig5: PNGs are valid, twice the SVG size, with colour", async () => {
  const { svg2, svg5 } = await rendered;
  for (const svg of [svg2, svg5]) {
    const png = await svgToPng(svg);
    assert(isPng(png.bytes));
    const w = Number(/width="(\d+)"/.exec(svg)![1]);
    const h = Number(/height="(\d+)"/.exec(svg)![1]);
    assertEquals([png.width, png.height], [2 * w, 2 * h]);
    const st = pixelStats(await decodePng(png.bytes));
    assert(st.nonWhite / st.total > 0.05, `non-white share ${st.nonWhite / st.total}`);
    assert(st.colored > 2000, `coloured pixels ${st.colored}`);
  }
});

Deno.test("charts step: without an 'images' input Figure 2 is listed as not drawn, Figure 5 is drawn", async () => {
  const dir = await Deno.makeTempDir({ prefix: "charts_images_" });
  try {
    const f = await writeFixtures(`${dir}/in`, {
      Ps: [4],
      ds: [2],
      kinds: { metrics: false, hessian: false, density: false, landscape: false, images: false },
    });
    const run = async (inputs: Record<string, unknown>, out: string) => {
      await chartsMain({
        ...makeContext({
          protocol: 1,
          id: "charts",
          step: "charts",
          matrix: {},
          params: {},
          inputs: inputs as never,
          outputs: { "figures/": out },
          checkpoint_dir: dir,
          scratch_dir: dir,
          cores: 1,
        }),
        log: () => {},
        progress: () => {},
      });
      return JSON.parse(await Deno.readTextFile(`${out}/manifest.json`)) as {
        figures: { name: string; files: unknown; notes: string[] }[];
      };
    };
    const m = await run({ best: f.inputs.best }, `${dir}/a`);
    const byName = (name: string) => m.figures.find((x) => x.name === name)!;
    assertEquals(byName("fig2_patches").files, null);
    assertStringIncludes(byName("fig2_patches").notes.join(" "), "No 'images' input");
    assert(byName("fig5_circuit").files !== null);
    assert(isPng(await Deno.readFile(`${dir}/a/fig5_circuit.png`)));
    // With the images (a single path, as pipeline.yaml wires preprocess.train_x): drawn.
    await writeNpy(`${dir}/train_x.npy`, images, [3, N, N]);
    const m2 = await run({ best: f.inputs.best, images: `${dir}/train_x.npy` }, `${dir}/b`);
    assert(m2.figures.find((x) => x.name === "fig2_patches")!.files !== null);
    const vl = JSON.parse(await Deno.readTextFile(`${dir}/b/fig2_patches.vl.json`));
    // The study's P values only (here P = 4).
    assertEquals(vl.hconcat.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
