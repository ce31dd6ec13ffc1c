/**
 * The pipeline graph as text: Mermaid (`flowchart LR`) or Graphviz DOT, of
 * steps (edges labelled with input names) or of one profile's instances.
 *
 * @module
 */

import { type Expansion, type StepSpec } from "../spec/mod.ts";

/** Output formats of `dag`. */
export type DagFormat = "mermaid" | "dot";

interface Graph {
  nodes: { id: string; label: string }[];
  edges: { from: string; to: string; label: string }[];
}

/** The step graph: one node per step, one edge per (upstream, step) pair. */
export function stepGraph(order: StepSpec[]): Graph {
  const nodes = order.map((s) => {
    const axes = s.matrix.map((u) => u.axis);
    return { id: `s_${s.name}`, label: axes.length ? `${s.name} [${axes.join(", ")}]` : s.name };
  });
  const edges = new Map<string, { from: string; to: string; label: string[] }>();
  for (const s of order) {
    for (const i of s.inputs) {
      const k = `${i.step}\0${s.name}`;
      const e = edges.get(k) ?? { from: `s_${i.step}`, to: `s_${s.name}`, label: [] };
      e.label.push(i.name);
      edges.set(k, e);
    }
  }
  return { nodes, edges: [...edges.values()].map((e) => ({ ...e, label: e.label.join(", ") })) };
}

/** The instance graph of one profile. */
export function instanceGraph(exp: Expansion): Graph {
  const ids = new Map(exp.instances.map((inst, i) => [inst.id, `i${i}`]));
  const nodes = exp.instances.map((inst) => ({ id: ids.get(inst.id)!, label: inst.id }));
  const edges = new Map<string, { from: string; to: string; label: string[] }>();
  for (const inst of exp.instances) {
    for (const inp of inst.inputs) {
      for (const u of inp.upstream) {
        const k = `${u.id}\0${inst.id}`;
        const e = edges.get(k) ?? { from: ids.get(u.id)!, to: ids.get(inst.id)!, label: [] };
        e.label.push(inp.spec.name);
        edges.set(k, e);
      }
    }
  }
  return { nodes, edges: [...edges.values()].map((e) => ({ ...e, label: e.label.join(", ") })) };
}

function mermaidText(s: string): string {
  return s.replace(/"/g, "#quot;").replace(/\|/g, "#124;");
}

function dotText(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

/** Renders a graph in the given format. */
export function renderGraph(g: Graph, format: DagFormat): string {
  const lines: string[] = [];
  if (format === "mermaid") {
    lines.push("flowchart LR");
    for (const n of g.nodes) lines.push(`  ${n.id}["${mermaidText(n.label)}"]`);
    for (const e of g.edges) lines.push(`  ${e.from} -->|"${mermaidText(e.label)}"| ${e.to}`);
  } else {
    lines.push("digraph pipeline {", "  rankdir=LR;", "  node [shape=box];");
    for (const n of g.nodes) lines.push(`  "${n.id}" [label="${dotText(n.label)}"];`);
    for (const e of g.edges) {
      lines.push(`  "${e.from}" -> "${e.to}" [label="${dotText(e.label)}"];`);
    }
    lines.push("}");
  }
  return lines.join("\n") + "\n";
}
