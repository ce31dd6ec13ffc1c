/**
 * Figure 5: the circuit of one QNN (8 wires), as a schematic drawn with
 * Vega-Lite marks: rules for the wires, rectangles with text for the gates,
 * dots joined by a rule for each CZ. The order is SPEC.md's "One QNN":
 * variational block A (one layer shown, repeated d times: RX then RY on
 * every wire, then the CZ ring), encoding E1 (per wire the four triples
 * j = 0..3, trainable / data / trainable about the axes Y, X, Y for even j
 * and X, Y, X for odd j), a CZ ring, block B, encoding E2, a CZ ring, block
 * C (its last layer without the ring), then the ten outputs <X0..X4>,
 * <Z0..Z4>.
 *
 * The figure needs no data: its inline data is the circuit itself, one row
 * per drawn element, with the fields a test (or a reader of the .vl.json)
 * can check against SPEC.md: block, wire, gate, axes, the parameter and
 * data indices.
 *
 * @module
 */

import type { TopLevelSpec } from "./deps.ts";
import type { Figure } from "./figure_spec.ts";
import { CONFIG } from "./theme.ts";

/** Qubits of one QNN. */
export const WIRES = 8;
/** Wires whose X and Z expectations are the outputs. */
export const OUTPUT_WIRES = 5;

/** Pixels per horizontal unit and per wire. */
const UX = 19;
const UY = 25;
/** Gate box height, in wires. */
const GATE_H = 0.64;
/** Box widths and gaps, in horizontal units. */
const ROT_W = 1.1;
const ENC_W = 3.4;
const OUT_W = 1.75;
const GAP = 0.2;
const CZ_STEP = 0.45;
const PAD = 0.3;
const BLOCK_GAP = 0.55;
/** Where the wires start (their labels are to the left). */
const WIRE_X0 = 2.1;
/** Vertical extent of a block's frame and of the view, in wires. */
const FRAME_TOP = -0.62;
const FRAME_BOTTOM = WIRES - 1 + 0.62;
const VIEW_TOP = -1.55;
const VIEW_BOTTOM = WIRES - 1 + 1.25;

/** What a gate box is, for its colour (the legend's entries, in order). */
export const ROLES = {
  RX: "RX(φ): trainable",
  RY: "RY(φ): trainable",
  encoding: "encoding: trainable · data x · trainable",
  output: "output: expectation value",
} as const;
const ROLE_FILL = ["#d6e6f5", "#dcefd5", "#fde2c4", "#ececec"];
const ROLE_STROKE = ["#2f6aa3", "#3d8a33", "#c0640a", "#555555"];

/** One gate box (or output box) of the schematic. */
export interface GateRow {
  /** A, E1, B, E2, C or outputs. */
  block: string;
  /** For the variational blocks: which layers the shown one stands for. */
  layer?: string;
  wire: number;
  /** The box's text, e.g. `RX`, `RY·RX(x)·RY`, `⟨X0⟩`. */
  gate: string;
  role: string;
  /** Encodings: the triple's index j and its axes (trainable, data, trainable). */
  j?: number;
  axes?: string;
  /** Encodings: the patch feature it loads, `x[...]`. */
  x_index?: number;
  /** Outputs: position in the QNN's 10-vector. */
  output?: number;
  /** The parameter and data indices, as SPEC.md writes them. */
  params: string;
  x: number;
  x2: number;
}

/** One CZ of a ring. */
export interface CzRow {
  /** The ring's place: `A`, `after E1`, `B`, `after E2`, `C`. */
  ring: string;
  a: number;
  b: number;
  x: number;
  /** The wires it joins, top and bottom. */
  y: number;
  y2: number;
}

/** A dashed frame around a block, with its title. */
export interface BlockRow {
  block: string;
  title: string;
  x: number;
  x2: number;
}

/** A text label (wire names, j headers, ring names). */
export interface LabelRow {
  text: string;
  x: number;
  y: number;
}

/** The circuit's drawn elements, left to right. */
export interface CircuitLayout {
  gates: GateRow[];
  cz: CzRow[];
  blocks: BlockRow[];
  labels: LabelRow[];
  /** `q0 |0⟩` ... at the wires' left ends. */
  wireLabels: LabelRow[];
  wires: { wire: number; x: number; x2: number }[];
  /** The horizontal extent, in units. */
  width: number;
}

/**
 * The CZ ring, CZ on (i, i + 1 mod 8) for i = 0..7, in three columns: the
 * gates are diagonal and commute, so (0,1) (2,3) (4,5) (6,7), then (1,2)
 * (3,4) (5,6), then (7,0) is the same operation, drawn without overlaps.
 */
export function ringColumns(wires = WIRES): [number, number][][] {
  const pairs: [number, number][] = Array.from({ length: wires }, (_, i) => [i, (i + 1) % wires]);
  return [
    pairs.filter(([a, b]) => a % 2 === 0 && b === a + 1),
    pairs.filter(([a, b]) => a % 2 === 1 && b === a + 1),
    pairs.filter(([a, b]) => b !== a + 1),
  ].filter((c) => c.length > 0);
}

/** Lays out the whole circuit. */
export function circuitLayout(): CircuitLayout {
  const gates: GateRow[] = [];
  const cz: CzRow[] = [];
  const blocks: BlockRow[] = [];
  const labels: LabelRow[] = [];
  let x = WIRE_X0 + 0.4;

  const rotations = (block: string, layer: string, base: string) => {
    for (const [gate, offset] of [["RX", 0], ["RY", 8]] as const) {
      for (let i = 0; i < WIRES; i++) {
        gates.push({
          block,
          layer,
          wire: i,
          gate,
          role: ROLES[gate],
          params: `φ[${base}16k + ${offset + i}]`,
          x,
          x2: x + ROT_W,
        });
      }
      x += ROT_W + GAP;
    }
  };
  const ring = (name: string) => {
    x += 0.1;
    for (const column of ringColumns()) {
      for (const [a, b] of column) {
        cz.push({ ring: name, a, b, x, y: Math.min(a, b), y2: Math.max(a, b) });
      }
      x += CZ_STEP;
    }
    x += GAP - CZ_STEP + 0.1;
  };
  const frame = (block: string, title: string, from: number) => {
    blocks.push({ block, title, x: from - PAD, x2: x - GAP + PAD });
    x += 2 * PAD - GAP + BLOCK_GAP;
  };
  const variational = (block: string, base: string, ringAfter: boolean, layer: string) => {
    const from = x;
    rotations(block, layer, base);
    if (ringAfter) ring(block);
    return from;
  };
  const encoding = (block: string, phiBase: string, phiOffset: number, xOffset: number) => {
    const from = x;
    for (let j = 0; j < 4; j++) {
      const [t, dataAxis] = j % 2 === 0 ? ["Y", "X"] : ["X", "Y"];
      for (let i = 0; i < WIRES; i++) {
        const p = phiOffset + 8 * i + 2 * j;
        const xi = xOffset + 4 * i + j;
        const phi = (q: number) => `φ[${phiBase}${q}]`;
        gates.push({
          block,
          wire: i,
          gate: `R${t}·R${dataAxis}(x)·R${t}`,
          role: ROLES.encoding,
          j,
          axes: `${t},${dataAxis},${t}`,
          x_index: xi,
          params: `R${t}(${phi(p)}) · R${dataAxis}(x[${xi}]) · R${t}(${phi(p + 1)})`,
          x,
          x2: x + ENC_W,
        });
      }
      labels.push({ text: `j = ${j}`, x: x + ENC_W / 2, y: FRAME_BOTTOM + 0.42 });
      x += ENC_W + GAP;
    }
    return from;
  };
  const standaloneRing = (name: string) => {
    const from = x;
    ring(name);
    labels.push({ text: "CZ ring", x: (from + x - GAP) / 2, y: FRAME_BOTTOM + 0.42 });
    x += BLOCK_GAP - GAP + 0.15;
  };

  frame("A", "A × d", variational("A", "", true, "k = 0 … d − 1"));
  frame("E1", "E1: data x[4i + j]", encoding("E1", "16d + ", 0, 0));
  standaloneRing("after E1");
  frame("B", "B × d", variational("B", "16d + 64 + ", true, "k = 0 … d − 1"));
  frame("E2", "E2: data x[32 + 4i + j]", encoding("E2", "32d + ", 64, 32));
  standaloneRing("after E2");
  frame("C", "C × (d − 1)", variational("C", "32d + 128 + ", true, "k = 0 … d − 2"));
  frame("C", "C, last", variational("C", "32d + 128 + ", false, "k = d − 1"));
  const wireEnd = x - BLOCK_GAP + 0.2;
  // Outputs: <X0..X4> then <Z0..Z4>, expectation values of the final state.
  x = wireEnd + 0.15;
  const outFrom = x;
  for (const [k, pauli] of ["X", "Z"].entries()) {
    for (let i = 0; i < OUTPUT_WIRES; i++) {
      gates.push({
        block: "outputs",
        wire: i,
        gate: `⟨${pauli}${i}⟩`,
        role: ROLES.output,
        output: k * OUTPUT_WIRES + i,
        params: `output ${k * OUTPUT_WIRES + i + 1} of 10: ⟨${pauli}⟩ on wire ${i}`,
        x,
        x2: x + OUT_W,
      });
    }
    x += OUT_W + GAP;
  }
  blocks.push({ block: "outputs", title: "outputs", x: outFrom - 0.15, x2: x - GAP + 0.15 });
  const wires = Array.from({ length: WIRES }, (_, wire) => ({
    wire,
    x: WIRE_X0,
    x2: wire < OUTPUT_WIRES ? x - GAP : wireEnd,
  }));
  const wireLabels = wires.map(({ wire }) => ({
    text: `q${wire} |0⟩`,
    x: WIRE_X0 - 0.15,
    y: wire,
  }));
  return { gates, cz, blocks, labels, wireLabels, wires, width: x - GAP + 0.3 };
}

/** Builds Figure 5 (no inputs: the circuit is fixed by SPEC.md). */
export function fig5Circuit(): Figure {
  const base = {
    name: "fig5_circuit",
    title: "Figure 5: the circuit of one QNN",
    caption: `The ansatz each patch's QNN runs on 8 qubits starting in |00000000⟩, left to ` +
      `right. Variational blocks A, B and C, d layers each (one layer shown): RX(φ) then ` +
      `RY(φ) on every wire, then the CZ ring, CZ on (i, i + 1 mod 8) for i = 0 … 7 (dots ` +
      `joined by a line; the CZs commute, so the ring is drawn in three columns). Block C is ` +
      `drawn as its first d − 1 layers and its last, which has no ring after it. Encodings E1 and E2: on wire i, for j = 0 … 3, a trainable ` +
      `rotation, a data rotation by the patch feature x[4i + j] (E1) or x[32 + 4i + j] (E2), ` +
      `and a trainable rotation, about the axes Y, X, Y for even j and X, Y, X for odd j; each ` +
      `encoding is followed by a CZ ring. Outputs: the expectation values ⟨X0⟩ … ⟨X4⟩, ` +
      `⟨Z0⟩ … ⟨Z4⟩ of the final state, in this order. 48d + 128 parameters per QNN ` +
      `(16d per variational block, 64 per encoding); the .vl.json's tooltips give each ` +
      `gate's parameter index as in SPEC.md.`,
  };
  const c = circuitLayout();
  const xScale = { domain: [0, c.width], nice: false, zero: false };
  const yScale = { domain: [VIEW_TOP, VIEW_BOTTOM], nice: false, zero: false, reverse: true };
  const x = { type: "quantitative", scale: xScale, axis: null };
  const y = { type: "quantitative", scale: yScale, axis: null };
  const text = (field: string) => ({ field, type: "nominal" });
  const roleScale = (range: string[]) => ({ domain: Object.values(ROLES), range });
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: base.title,
      subtitle: "8 qubits, depth d: one layer of each variational block shown; dots joined " +
        "by a line: CZ; 48d + 128 parameters",
    },
    config: { ...CONFIG, view: { stroke: null } },
    width: Math.round(c.width * UX),
    height: Math.round((VIEW_BOTTOM - VIEW_TOP) * UY),
    layer: [
      {
        name: "wires",
        data: { values: c.wires },
        mark: { type: "rule", color: "#666", strokeWidth: 1.2 },
        encoding: { x: { ...x, field: "x" }, x2: { field: "x2" }, y: { ...y, field: "wire" } },
      },
      {
        name: "blocks",
        data: { values: c.blocks },
        transform: [
          { calculate: `${FRAME_TOP}`, as: "y" },
          { calculate: `${FRAME_BOTTOM}`, as: "y2" },
          { calculate: "(datum.x + datum.x2) / 2", as: "xc" },
          { calculate: `${FRAME_TOP - 0.42}`, as: "ty" },
        ],
        layer: [
          {
            mark: {
              type: "rect",
              filled: false,
              stroke: "#9a9a9a",
              strokeDash: [4, 3],
              cornerRadius: 5,
            },
            encoding: {
              x: { ...x, field: "x" },
              x2: { field: "x2" },
              y: { ...y, field: "y" },
              y2: { field: "y2" },
            },
          },
          {
            mark: { type: "text", fontSize: 11.5, fontWeight: "bold", baseline: "middle" },
            encoding: { x: { ...x, field: "xc" }, y: { ...y, field: "ty" }, text: text("title") },
          },
        ],
      },
      {
        name: "cz",
        data: { values: c.cz },
        layer: [
          {
            mark: { type: "rule", color: "#222", strokeWidth: 1.4 },
            encoding: { x: { ...x, field: "x" }, y: { ...y, field: "y" }, y2: { field: "y2" } },
          },
          {
            transform: [{ fold: ["y", "y2"], as: ["end", "w"] }],
            mark: { type: "circle", color: "#222", size: 34, opacity: 1 },
            encoding: { x: { ...x, field: "x" }, y: { ...y, field: "w" } },
          },
        ],
      },
      {
        name: "gates",
        data: { values: c.gates },
        transform: [
          { calculate: `datum.wire - ${GATE_H / 2}`, as: "y" },
          { calculate: `datum.wire + ${GATE_H / 2}`, as: "y2" },
          { calculate: "(datum.x + datum.x2) / 2", as: "xc" },
        ],
        layer: [
          {
            mark: { type: "rect", strokeWidth: 1, cornerRadius: 2, opacity: 1 },
            encoding: {
              x: { ...x, field: "x" },
              x2: { field: "x2" },
              y: { ...y, field: "y" },
              y2: { field: "y2" },
              fill: {
                field: "role",
                type: "nominal",
                scale: roleScale(ROLE_FILL),
                legend: {
                  title: null,
                  orient: "bottom",
                  direction: "horizontal",
                  symbolType: "square",
                  symbolSize: 140,
                  symbolStrokeWidth: 1,
                  labelFontSize: 11,
                  labelLimit: 0,
                  gridAlign: "none",
                  columnPadding: 6,
                },
              },
              stroke: { field: "role", type: "nominal", scale: roleScale(ROLE_STROKE) },
              tooltip: [
                { field: "block", type: "nominal" },
                { field: "wire", type: "quantitative" },
                { field: "gate", type: "nominal" },
                { field: "params", type: "nominal" },
              ],
            },
          },
          {
            mark: { type: "text", fontSize: 9.5, baseline: "middle", color: "#1d1d1f" },
            encoding: { x: { ...x, field: "xc" }, y: { ...y, field: "wire" }, text: text("gate") },
          },
        ],
      },
      {
        name: "labels",
        data: { values: c.labels },
        mark: { type: "text", fontSize: 10, color: "#555", baseline: "middle" },
        encoding: { x: { ...x, field: "x" }, y: { ...y, field: "y" }, text: text("text") },
      },
      {
        name: "wire_labels",
        data: { values: c.wireLabels },
        mark: { type: "text", fontSize: 10.5, align: "right", baseline: "middle" },
        encoding: { x: { ...x, field: "x" }, y: { ...y, field: "y" }, text: text("text") },
      },
    ],
  };
  return { ...base, spec: spec as unknown as TopLevelSpec, notes: [] };
}
