import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";
import {
  esc,
  groupUpstream,
  inlineSvg,
  namespaceSvgIds,
  reportHtml,
  type ReportInput,
} from "../../lib/report/mod.ts";
import type { TablesDocument } from "../../lib/artifacts/mod.ts";

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs>` +
  `<clipPath id="clip1"><rect width="5" height="5"/></clipPath>` +
  `<clipPath id="clip10"><rect width="5" height="5"/></clipPath>` +
  `<linearGradient id="gradient_0"/></defs>` +
  `<g clip-path="url(#clip1)"><path fill="url(#gradient_0)"/></g>` +
  `<g clip-path="url(#clip10)"><use href="#clip1"/></g></svg>`;

Deno.test("svg inline: ids and references get a per-figure prefix", () => {
  const a = namespaceSvgIds(SVG, "fig-a");
  assertStringIncludes(a, 'id="fig-a-clip1"');
  assertStringIncludes(a, 'id="fig-a-clip10"');
  assertStringIncludes(a, "url(#fig-a-clip1)");
  assertStringIncludes(a, "url(#fig-a-clip10)");
  assertStringIncludes(a, "url(#fig-a-gradient_0)");
  assertStringIncludes(a, 'href="#fig-a-clip1"');
  assert(!/id="clip/.test(a) && !a.includes("url(#clip"), "nothing left un-prefixed");
  const b = namespaceSvgIds(SVG, "fig-b");
  const ids = (s: string) => [...s.matchAll(/id="([^"]+)"/g)].map((m) => m[1]);
  const all = [...ids(a), ...ids(b)];
  assertEquals(new Set(all).size, all.length, "two inlined figures share no id");
  const inl = inlineSvg(`<?xml version="1.0"?>\n${SVG}`, "f", 'A "title" <1>');
  assert(inl.startsWith('<svg role="img" aria-label="A &quot;title&quot; &lt;1>"'));
});

function doc(): TablesDocument {
  return {
    format: "qnn-tables/1",
    study: {
      Ps: [4, 9],
      ds: [2],
      seeds: [1001],
      first_seed: 1001,
      runs: 2,
      available: { best: true },
      notes: ["a <note> on inputs"],
    },
    tables: [
      {
        id: "table1",
        title: "Table 1: test",
        description: "desc",
        grid: { columns: ["P \\ d", "d = 2"], rows: [["P = 4", "0.1 / 0.9\npaper x"]] },
        csv: { columns: [], rows: [] },
        notes: ["note one"],
        reference: { title: "Paper, Table 1", grid: { columns: ["a"], rows: [["b"]] } },
      },
      {
        id: "table3",
        title: "Table 3: lambda",
        description: "desc3",
        grid: { columns: [], rows: [] },
        csv: { columns: [], rows: [] },
        notes: ["No 'hessian' input"],
      },
      {
        id: "new_table",
        title: "A table the sections do not know",
        description: "",
        grid: { columns: ["x", "y"], rows: [["1", "2"]] },
        csv: { columns: [], rows: [] },
        notes: [],
      },
    ],
  };
}

function input(over: Partial<ReportInput> = {}): ReportInput {
  return {
    profileName: "small <profile>",
    params: { profile_name: "small <profile>", seeds: [1001], epochs: 3 },
    tables: doc(),
    figures: [
      { name: "fig1_loss", title: "Figure 1: loss", caption: "cap 1", notes: [], svg: SVG },
      {
        name: "fig3_landscape",
        title: "Figure 3: landscape",
        caption: "cap 3",
        notes: ["No 'landscape' input"],
        svg: null,
      },
      { name: "lambda_max", title: "λ_max", caption: "cap λ", notes: [], svg: SVG },
    ],
    upstream: [
      { id: "train[P=4]", step: "train", key: "k1", code: "c".repeat(64), npm: ["mathjs@15.2.0"] },
      { id: "train[P=9]", step: "train", key: "k2", code: "c".repeat(64), npm: ["mathjs@15.2.0"] },
      { id: "hessian[P=4]", step: "hessian", key: "k3", code: "h1", npm: [] },
    ],
    denoVersion: "2.9.6",
    ...over,
  };
}

Deno.test("report html: every table and figure, the profile, parameters and provenance", () => {
  const html = reportHtml(input());
  assert(html.startsWith("<!DOCTYPE html>"));
  for (const id of ["table1", "table3", "new_table", "fig-fig1_loss", "fig-fig3_landscape"]) {
    assertStringIncludes(html, `id="${id}"`);
    assertStringIncludes(html, `href="#${id}"`, `the contents link ${id}`);
  }
  assertStringIncludes(html, "Other results", "tables unknown to the layout still appear");
  // Drawn figures are inline SVG (ids namespaced per figure); absent ones say so.
  assertEquals(html.split("<svg ").length - 1, 2);
  assertStringIncludes(html, 'id="fig-fig1_loss-clip1"');
  assertStringIncludes(html, 'id="fig-lambda_max-clip1"');
  assertStringIncludes(html, "Not drawn for this profile");
  // Multi-line cells, notes, the paper's separate table.
  assertStringIncludes(html, '<td>0.1 / 0.9<br><span class="sub">paper x</span></td>');
  assertStringIncludes(html, "note one");
  assertStringIncludes(html, "Paper, Table 1");
  assertStringIncludes(html, "No values for this profile");
  // Profile, parameters (escaped), provenance.
  assertStringIncludes(html, "small &lt;profile&gt;");
  assert(!html.includes("<profile>"));
  assertStringIncludes(html, "a &lt;note&gt; on inputs");
  assertStringIncludes(html, "<code>[1001]</code>");
  assertStringIncludes(html, "2.9.6");
  assertStringIncludes(html, "mathjs@15.2.0");
  assertStringIncludes(html, "All 3 upstream instances");
});

Deno.test("report html: Figures 2 and 5 open the page in a section on the model, before training", () => {
  const fig = (name: string, title: string) => ({ name, title, caption: "c", notes: [], svg: SVG });
  const html = reportHtml(input({
    figures: [
      fig("fig2_patches", "Figure 2: patches"),
      fig("fig5_circuit", "Figure 5: circuit"),
      fig("fig1_loss", "Figure 1: loss"),
    ],
  }));
  const at = (s: string) => {
    const i = html.indexOf(s);
    assert(i >= 0, s);
    return i;
  };
  assertStringIncludes(html, "<h2>2. The model</h2>");
  assertStringIncludes(html, "<h2>3. Training and generalisation</h2>");
  const model = at('<section id="model">');
  const training = at('<section id="training">');
  assert(model < at('id="fig-fig2_patches"') && at('id="fig-fig2_patches"') < training);
  assert(at('id="fig-fig2_patches"') < at('id="fig-fig5_circuit"'));
  assert(at('id="fig-fig5_circuit"') < training);
  assert(training < at('id="fig-fig1_loss"'));
  // The sections place every figure: none lands in "Other results" (the unplaced table does).
  assert(!html.slice(at('<section id="other">')).includes('class="figure"'), "figures placed");
  // The contents list the section and both figures.
  assertStringIncludes(html, '<a href="#model">The model</a>');
});

Deno.test("report html: self-contained (no external resources)", () => {
  const html = reportHtml(input());
  for (
    const bad of [
      /<link\b/i,
      /<script\b/i,
      /\bsrc=/i,
      /@import/i,
      /url\(\s*["']?https?:/i,
      /@font-face/i,
    ]
  ) {
    assert(!bad.test(html), `no ${bad}`);
  }
  // The only URLs are XML namespace names inside the SVGs.
  const urls = [...html.matchAll(/https?:\/\/[^\s"')<]+/g)].map((m) => m[0]);
  assert(urls.every((u) => u.startsWith("http://www.w3.org/")), urls.join(" "));
});

Deno.test("report html: says so when there is no upstream provenance or profile name", () => {
  const html = reportHtml(input({ upstream: undefined, profileName: null }));
  assertStringIncludes(html, "left out of this page");
  assertStringIncludes(html, "(unnamed profile)");
});

Deno.test("report html: upstream grouped by step, several code versions flagged", () => {
  const g = groupUpstream(input().upstream!);
  assertEquals(g.map((x) => [x.step, x.instances, x.code.length]), [["train", 2, 1], [
    "hessian",
    1,
    1,
  ]]);
  const html = reportHtml(input({
    upstream: [...input().upstream!, {
      id: "hessian[P=9]",
      step: "hessian",
      key: "k4",
      code: "h2",
      npm: [],
    }],
  }));
  assertStringIncludes(html, "hessian ran with more than one code version");
  assertEquals(esc(`<a href="x">&`), "&lt;a href=&quot;x&quot;&gt;&amp;");
});
