/**
 * The paper's schematic figures, checked against SPEC.md through the specs'
 * inline data, and rendered: Figure 5 (the circuit of one QNN, SPEC.md
 * "One QNN").
 */

import { assert, assertEquals, assertStringIncludes } from "../report/_assert.ts";
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
import { decodePng, isPng, pixelStats } from "./png_decode.ts";

/** Items of one mark in a vega SVG (`<path>` for rects, `<text>` for text, ...). */
function markItems(svg: string, markName: string): number {
  const start = svg.indexOf(`role-mark ${markName}"`);
  assert(start >= 0, `mark ${markName} in the SVG`);
  const end = svg.indexOf("</g>", start);
  return (svg.slice(start, end).match(/role="graphics-symbol"/g) ?? []).length;
}

// Rendering is the slow part: one render per figure, shared by the tests.
const rendered = (async () => {
  const f5 = fig5Circuit();
  return { f5, svg5: await renderSvg(f5.spec!) };
})();

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

Deno.test("fig5: the PNG is valid, twice the SVG size, with colour", async () => {
  const { svg5: svg } = await rendered;
  const png = await svgToPng(svg);
  assert(isPng(png.bytes));
  const w = Number(/width="(\d+)"/.exec(svg)![1]);
  const h = Number(/height="(\d+)"/.exec(svg)![1]);
  assertEquals([png.width, png.height], [2 * w, 2 * h]);
  const st = pixelStats(await decodePng(png.bytes));
  assert(st.nonWhite / st.total > 0.05, `non-white share ${st.nonWhite / st.total}`);
  assert(st.colored > 2000, `coloured pixels ${st.colored}`);
});
