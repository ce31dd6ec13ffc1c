import { assert, assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { runAsProcesses, runInProcess, UPSTREAM } from "./_pipeline.ts";
import { makeContext } from "../../lib/step/context.ts";
import { main as tablesMain } from "../../steps/tables.ts";
import { main as reportMain } from "../../steps/report.ts";
import { isPng } from "../charts/png_decode.ts";

const TABLE_IDS = [
  "claims",
  "table1",
  "table2",
  "table3",
  "table4",
  "table5",
  "table6",
  "hessian_split",
  "lambda_ratios",
  "exponents",
  "spectrum",
];
const FIGURES = [
  "fig2_patches",
  "fig5_circuit",
  "fig1_loss",
  "fig3_landscape",
  "fig4_density",
  "lambda_max",
  "hessian_split",
];

async function checkOutputs(out: { tables: string; figures: string; html: string }) {
  for (const id of TABLE_IDS) {
    assert((await Deno.readTextFile(`${out.tables}/${id}.csv`)).includes(","), `${id}.csv`);
    assert((await Deno.readTextFile(`${out.tables}/${id}.md`)).startsWith("## "), `${id}.md`);
  }
  assertStringIncludes(await Deno.readTextFile(`${out.tables}/README.md`), "# Tables");
  const manifest = JSON.parse(await Deno.readTextFile(`${out.figures}/manifest.json`));
  assertEquals(manifest.figures.map((f: { name: string }) => f.name), FIGURES);
  for (const name of FIGURES) {
    JSON.parse(await Deno.readTextFile(`${out.figures}/${name}.vl.json`));
    assert((await Deno.readTextFile(`${out.figures}/${name}.svg`)).startsWith("<svg"), name);
    assert(isPng(await Deno.readFile(`${out.figures}/${name}.png`)), name);
  }
  const html = await Deno.readTextFile(out.html);
  // Every figure inline, every table present.
  for (const name of FIGURES) {
    assert(
      new RegExp(`data-figure="${name}">\\s*<div class="svg"><svg `).test(html),
      `${name} inline`,
    );
  }
  for (const id of TABLE_IDS) assertStringIncludes(html, `<section id="${id}" class="table">`);
  assertStringIncludes(html, "fixture-profile");
  // Nothing that is not a function of the report's key: no upstream code hashes, no Deno version.
  assert(!html.includes("a1b2c3d4e5f6a7b8"), "upstream provenance leaked into the report");
  assert(!html.includes(Deno.version.deno), "the Deno version leaked into the report");
  return html;
}

Deno.test("steps: tables, charts and report in-process on fixtures", async () => {
  const dir = await Deno.makeTempDir({ prefix: "steps_" });
  try {
    const out = await runInProcess(dir, { Ps: [4, 9], ds: [2, 3], epochs: 6, grid: 10 });
    const html = await checkOutputs(out);
    // A self-contained page: ids are unique across the inlined figures.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assertEquals(new Set(ids).size, ids.length, "no duplicate id in the page");
    const doc = JSON.parse(await Deno.readTextFile(`${out.tables}/tables.json`));
    assertEquals(doc.study.seeds, [1001, 1002]);
    assertEquals(doc.tables.map((t: { id: string }) => t.id), TABLE_IDS);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("steps: the report is a function of its inputs and params (file times do not matter)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "steps_same_" });
  try {
    const out = await runInProcess(dir, { Ps: [4], ds: [2], epochs: 3, grid: 6 });
    // Same inputs with other modification times: the page must not change by a byte.
    const later = new Date("2031-01-02T03:04:05Z");
    for (const d of [out.tables, out.figures]) {
      for await (const e of Deno.readDir(d)) await Deno.utime(`${d}/${e.name}`, later, later);
    }
    await reportMain({
      ...makeContext({
        protocol: 1,
        id: "report",
        step: "report",
        matrix: {},
        params: {
          profile_name: "fixture-profile",
          seeds: [1001, 1002],
          epochs: 8,
        },
        inputs: { tables: out.tables, figures: out.figures },
        outputs: { "report/": `${dir}/again` },
        checkpoint_dir: dir,
        scratch_dir: dir,
        cores: 1,
        upstream: UPSTREAM,
      }),
      log: () => {},
    });
    const first = await Deno.readFile(out.html);
    const second = await Deno.readFile(`${dir}/again/index.html`);
    assertEquals(second, first);
    const html = new TextDecoder().decode(first);
    assert(!/\b20\d\d-\d\d-\d\d\b/.test(html), "no date in the report");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("steps: each step runs as its own process with least privilege", async () => {
  const dir = await Deno.makeTempDir({ prefix: "steps_proc_" });
  try {
    await checkOutputs(await runAsProcesses(dir, { Ps: [4, 9], ds: [2], epochs: 4, grid: 8 }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("steps: tables without optional inputs, declared or not, and without best", async () => {
  const dir = await Deno.makeTempDir({ prefix: "steps_opt_" });
  try {
    const { writeFixtures } = await import("./fixtures.ts");
    const f = await writeFixtures(`${dir}/in`, { Ps: [4], ds: [2] });
    const ctx = (inputs: Record<string, unknown>, out: string) => ({
      ...makeContext({
        protocol: 1,
        id: "tables",
        step: "tables",
        matrix: {},
        params: {},
        inputs: inputs as never,
        outputs: { tables: out },
        checkpoint_dir: dir,
        scratch_dir: dir,
        cores: 1,
      }),
      log: () => {},
    });
    // Only best: every other table explains itself.
    await tablesMain(ctx({ best: f.inputs.best }, `${dir}/t1`));
    const md = await Deno.readTextFile(`${dir}/t1/table3.md`);
    assertStringIncludes(md, "No 'hessian' input");
    // An empty gathered list of hessians is the same as none.
    await tablesMain(ctx({ best: f.inputs.best, hessian: [] }, `${dir}/t2`));
    assertStringIncludes(await Deno.readTextFile(`${dir}/t2/table6.md`), "No 'landscape' input");
    // best is required.
    await assertRejects(
      () => tablesMain(ctx({ hessian: f.inputs.hessian }, `${dir}/t3`)),
      /input 'best' is not declared/,
    );
    // The report rejects a directory that is not the tables step's output.
    await assertRejects(
      () =>
        reportMain(makeContext({
          protocol: 1,
          id: "report",
          step: "report",
          matrix: {},
          params: {},
          inputs: { tables: `${dir}/in`, figures: `${dir}/in` },
          outputs: { report: `${dir}/r` },
          checkpoint_dir: dir,
          scratch_dir: dir,
          cores: 1,
        })),
      /cannot read the tables/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report step: upstream records that differ (other code, other keys) give byte-identical HTML", async () => {
  const dir = await Deno.makeTempDir({ prefix: "report_key_" });
  try {
    const out = await runInProcess(dir, { Ps: [4, 9], ds: [2, 3], epochs: 6, grid: 10 });
    const render = async (name: string, upstream: typeof UPSTREAM) => {
      const ctx = makeContext({
        protocol: 1,
        id: "report",
        step: "report",
        matrix: {},
        params: { profile_name: "fixture-profile" },
        inputs: { tables: out.tables, figures: out.figures },
        outputs: { "report/": `${dir}/${name}` },
        checkpoint_dir: `${dir}/ckpt-${name}`,
        scratch_dir: `${dir}/scratch-${name}`,
        cores: 1,
        upstream,
      });
      await reportMain({ ...ctx, log: () => {}, progress: () => {} });
      return await Deno.readFile(`${dir}/${name}/index.html`);
    };
    const other = UPSTREAM.map((r) => ({ ...r, key: `${r.key}-rerun`, code: `ff${r.code}` }));
    assertEquals(await render("a", UPSTREAM), await render("b", other));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
