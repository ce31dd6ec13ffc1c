import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "./_assert.ts";
import { writeFixtures } from "./fixtures.ts";
import {
  checkBestAgainstMetrics,
  fitExponent,
  loadStudy,
  mean,
  sampleStd,
  type Study,
} from "../../lib/study/mod.ts";
import {
  buildTables,
  fixed,
  gridMarkdown,
  signed,
  tableCsv,
  tableMarkdown,
  thousands,
} from "../../lib/report/mod.ts";
import type { CsvCell, Table } from "../../lib/artifacts/mod.ts";

/** Hand-set values of a tiny study on the paper's grid: P = 4, 9; d = 50; two seeds. */
const BEST: Record<string, { test_loss: number; test_acc: number }> = {
  "4|1001": { test_loss: 0.07, test_acc: 0.98 },
  "4|1002": { test_loss: 0.09, test_acc: 0.96 },
  "9|1001": { test_loss: 0.06, test_acc: 0.985 },
  "9|1002": { test_loss: 0.06, test_acc: 0.985 },
};
const HESSIAN: Record<string, { lambda_max: number; gn: number; curv: number; min: number }> = {
  "4|1001": { lambda_max: 16.99, gn: 16, curv: 0.5, min: -0.4 },
  "4|1002": { lambda_max: 17.99, gn: 17, curv: 0.5, min: -0.4 },
  "9|1001": { lambda_max: 4.48, gn: 3, curv: 0.25, min: -0.2 },
  "9|1002": { lambda_max: 4.48, gn: 3, curv: 0.25, min: -0.2 },
};

async function tinyStudy(): Promise<Study> {
  const dir = await Deno.makeTempDir({ prefix: "tables_test_" });
  const f = await writeFixtures(dir, {
    Ps: [4, 9],
    ds: [50],
    seeds: [1001, 1002],
    nTrain: 60000,
    epochs: 50,
    best: (P, _d, seed) => BEST[`${P}|${seed}`],
    hessian: (P, _d, seed) => {
      const h = HESSIAN[`${P}|${seed}`];
      return {
        lambda_max: h.lambda_max,
        gauss_newton: { lambda_max: h.gn },
        curvature: { lambda_max: h.curv, lambda_min: h.min },
      };
    },
    pca: (P) => (P === 4 ? [0.8853, 0.0749] : [0.8880, 0.0784]),
  });
  const study = await loadStudy(f.inputs);
  await Deno.remove(dir, { recursive: true });
  return study;
}

function table(tables: Table[], id: string): Table {
  const t = tables.find((x) => x.id === id);
  assert(t, `table ${id}`);
  return t;
}

/** A CSV row as a record, found by its P (and d) cells. */
function row(t: Table, match: Record<string, CsvCell>): Record<string, CsvCell> {
  const recs = t.csv.rows.map((r) => Object.fromEntries(t.csv.columns.map((c, i) => [c, r[i]])));
  const hit = recs.find((r) => Object.entries(match).every(([k, v]) => r[k] === v));
  assert(hit, `${t.id}: a row with ${JSON.stringify(match)}`);
  return hit;
}

const tinyTables = tinyStudy().then((s) => ({ s, tables: buildTables(s) }));

Deno.test("stats: mean and sample std (n - 1) by hand", () => {
  assertEquals(mean([1, 2, 3, 4]), 2.5);
  // Deviations -1.5, -0.5, 0.5, 1.5: squares sum to 5; 5 / 3.
  assertAlmostEquals(sampleStd([1, 2, 3, 4]), Math.sqrt(5 / 3), 1e-15);
  assertAlmostEquals(sampleStd([0.07, 0.09]), Math.SQRT2 * 0.01, 1e-15);
  assert(Number.isNaN(sampleStd([1])));
  assert(Number.isNaN(mean([])));
});

Deno.test("format: fixed, signed with a real minus, thousands", () => {
  assertEquals(fixed(0.123456, 4), "0.1235");
  assertEquals(fixed(-0.00001, 3), "0.000");
  assertEquals(fixed(null, 2), "—");
  assertEquals(signed(0.5, 2), "+0.50");
  assertEquals(signed(-0.5, 2), "−0.50");
  assertEquals(signed(0.0001, 2), "±0.00");
  assertEquals(thousands(155844), "155,844");
});

Deno.test("table 1: first seed's test loss and accuracy beside the paper's cell", async () => {
  const { tables } = await tinyTables;
  const t = table(tables, "table1");
  const r4 = row(t, { P: 4, d: 50 });
  assertEquals(r4.seed, 1001);
  assertEquals(r4.test_loss, 0.07);
  assertEquals(r4.paper_test_acc, 0.9798);
  assertEquals(r4.paper_test_loss, 0.066075);
  assertAlmostEquals(r4.diff_test_acc as number, 0.0002, 1e-12);
  assertAlmostEquals(r4.diff_test_loss as number, 0.003925, 1e-12);
  const r9 = row(t, { P: 9, d: 50 });
  assertEquals(r9.paper_test_acc, 0.9823);
  // The display grid: P rows x d columns, our value first, then the paper's and the difference.
  assertEquals(t.grid.columns, ["P \\ d", "d = 50"]);
  assertEquals(t.grid.rows.map((r) => r[0]), ["P = 4", "P = 9"]);
  assertEquals(t.grid.rows[0][1].split("\n")[0], "0.07000 / 0.9800");
  assertStringIncludes(t.grid.rows[0][1], "paper 0.06607 / 0.9798");
  assertStringIncludes(t.grid.rows[0][1], "Δ +0.00393 / +0.0002");
  assertEquals(t.reference, undefined, "every cell is comparable: no separate paper table");
  assertStringIncludes(t.notes.join(" "), "Every configuration lies on the paper's grid");
});

Deno.test("table 2: parameter counts from the formula, checked against best.json", async () => {
  const { tables } = await tinyTables;
  const t = table(tables, "table2");
  const r = row(t, { P: 4, d: 50 });
  assertEquals(r.qnn_params, 2528);
  assertEquals(r.model_params, 4 * 2528 + 196);
  assertEquals(r.paper_qnn_params, 2528);
  assertEquals(r.best_matches, true);
  assertStringIncludes(t.grid.rows[0][1], "10,308 in all");
});

Deno.test("table 3: λ_max of the first seed, difference and relative difference", async () => {
  const { tables } = await tinyTables;
  const t = table(tables, "table3");
  const r = row(t, { P: 4, d: 50 });
  assertEquals(r.lambda_max, 16.99);
  assertEquals(r.paper_lambda_max, 15.99);
  assertAlmostEquals(r.diff as number, 1.0, 1e-12);
  assertAlmostEquals(r.rel_diff as number, 1 / 15.99, 1e-12);
  assertStringIncludes(t.grid.rows[0][1], "Δ +1.00 (+6.3%)");
  assertAlmostEquals(row(t, { P: 9, d: 50 }).diff as number, 0, 1e-12);
});

Deno.test("tables 4 and 5: mean ± sample std over the two seeds", async () => {
  const { tables } = await tinyTables;
  const t4 = table(tables, "table4");
  const r = row(t4, { P: 4, d: 50 });
  assertEquals(r.n, 2);
  assertEquals(r.seeds, "1001 1002");
  assertAlmostEquals(r.test_loss_mean as number, 0.08, 1e-15);
  assertAlmostEquals(r.test_loss_std as number, 0.0141421356, 1e-9);
  assertAlmostEquals(r.test_acc_mean as number, 0.97, 1e-15);
  assertAlmostEquals(r.test_acc_std as number, 0.0141421356, 1e-9);
  assertEquals(t4.grid.rows[0][1], "0.08000 ± 0.01414\n0.9700 ± 0.0141\nn = 2");
  assertEquals(row(t4, { P: 9, d: 50 }).test_loss_std, 0);
  assertStringIncludes(t4.notes.join(" "), "n − 1");
  const t5 = table(tables, "table5");
  const r5 = row(t5, { P: 4, d: 50 });
  assertAlmostEquals(r5.lambda_max_mean as number, 17.49, 1e-12);
  assertAlmostEquals(r5.lambda_max_std as number, Math.SQRT1_2, 1e-12);
});

Deno.test("table 6: PCA ratios beside the paper's", async () => {
  const { tables } = await tinyTables;
  const t = table(tables, "table6");
  const r = row(t, { P: 4, d: 50 });
  // The CSV holds the notebooks' full values (0.87535346, 0.08494658) and the full differences;
  // the cell shows both truncated to the paper's 4 printed decimals and compares those.
  assertEquals(r.paper_pc1, 0.87535346);
  assertEquals(r.paper_pc2, 0.08494658);
  assertAlmostEquals(r.diff_pc1 as number, 0.8853 - 0.87535346, 1e-12);
  assertAlmostEquals(r.diff_pc2 as number, 0.0749 - 0.08494658, 1e-12);
  assertAlmostEquals(r.pc1_plus_pc2 as number, 0.9602, 1e-12);
  assertStringIncludes(t.grid.rows[0][1], "paper 0.8753 / 0.0849");
  assertStringIncludes(t.grid.rows[0][1], "Δ +0.0100 / −0.0100");
  // 0.8880 against 0.8880086: a difference below the printed precision is no difference.
  const r9 = row(t, { P: 9, d: 50 });
  assertAlmostEquals(r9.diff_pc1 as number, 0.888 - 0.8880086, 1e-12);
  assertStringIncludes(t.grid.rows[1][1], "Δ ±0.0000 / ±0.0000");
});

Deno.test("Gauss-Newton vs curvature and the λ_max ratios against the theory", async () => {
  const { tables } = await tinyTables;
  const split = table(tables, "hessian_split");
  const s4 = row(split, { P: 4, d: 50 });
  assertEquals(s4.gauss_newton_lambda_max, 16);
  assertEquals(s4.curvature_lambda_min, -0.4);
  assertAlmostEquals(s4.gauss_newton_share as number, 16 / 16.99, 1e-12);
  const ratios = table(tables, "lambda_ratios");
  const r = row(ratios, { d: 50, P_a: 4, P_b: 9 });
  assertAlmostEquals(r.ratio_full as number, 16.99 / 4.48, 1e-12);
  assertAlmostEquals(r.ratio_full_seed_means as number, 17.49 / 4.48, 1e-12);
  assertAlmostEquals(r.ratio_gauss_newton as number, 16 / 3, 1e-12);
  assertAlmostEquals(r.ratio_curvature as number, 2, 1e-12);
  assertAlmostEquals(r.ratio_paper as number, 15.99 / 4.48, 1e-12);
  assertEquals(r.theory_inverse_P2, 5.0625);
  assertEquals(r.theory_inverse_P, 2.25);
  assertEquals(ratios.grid.rows[0].slice(-2), ["5.06", "2.25"]);
});

Deno.test("tables: a profile off the paper's grid says so and prints the paper's tables", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tables_off_" });
  try {
    const f = await writeFixtures(dir, { Ps: [2, 3], ds: [1, 2], seeds: [7] });
    const tables = buildTables(await loadStudy(f.inputs));
    const paperColumn = {
      table1: "paper_test_acc",
      table3: "paper_lambda_max",
      table6: "paper_pc1",
    };
    for (const [id, column] of Object.entries(paperColumn)) {
      const t = table(tables, id);
      assertStringIncludes(t.notes.join(" "), "Not comparable");
      assert(t.reference, `${id} prints the paper's table`);
      assertEquals(t.reference.grid.rows.length, 3);
      assertEquals(row(t, { P: 2, d: 1 })[column], null);
    }
    assertEquals(table(tables, "table3").reference!.grid.rows[0][1], "15.99");
    assertEquals(table(tables, "table6").reference!.grid.rows[2][4], "0.9690 / 0.0206");
    // One seed: no spread to report, and a note that says why instead of a table of NaNs.
    const t4 = table(tables, "table4");
    assertEquals(t4.grid.rows, []);
    assertEquals(t4.csv.rows, []);
    assertStringIncludes(t4.notes.join(" "), "one seed per configuration");
    // Ratios between consecutive P of the profile, theory only (no paper ratio).
    const r = row(table(tables, "lambda_ratios"), { d: 1, P_a: 2, P_b: 3 });
    assertEquals(r.ratio_paper, null);
    assertEquals(r.theory_inverse_P2, 2.25);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tables: a profile with some cells on the grid shows diffs there and the paper's table", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tables_part_" });
  try {
    const f = await writeFixtures(dir, { Ps: [4], ds: [2, 50], seeds: [1001] });
    const t = table(buildTables(await loadStudy(f.inputs)), "table3");
    assertEquals(row(t, { P: 4, d: 2 }).paper_lambda_max, null);
    assertEquals(row(t, { P: 4, d: 50 }).paper_lambda_max, 15.99);
    assertStringIncludes(t.notes.join(" "), "Only 1 of 2 configurations");
    assert(t.reference);
    // The caveat names what differs from the paper's runs.
    assertStringIncludes(t.notes.join(" "), "1000 training images (paper 60,000)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tables: missing Hessians and landscapes give notes, not a crash", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tables_missing_" });
  try {
    const f = await writeFixtures(dir, {
      Ps: [4, 9],
      ds: [50],
      kinds: { hessian: false, landscape: false, density: false },
    });
    const study = await loadStudy({ best: f.inputs.best, metrics: f.inputs.metrics, hessian: [] });
    const tables = buildTables(study);
    for (const id of ["table3", "table5", "hessian_split", "lambda_ratios"]) {
      const t = table(tables, id);
      assertEquals(t.grid.rows, [], id);
      assertStringIncludes(t.notes.join(" "), "No 'hessian' input", id);
    }
    assertStringIncludes(table(tables, "table6").notes.join(" "), "No 'landscape' input");
    assert(table(tables, "table1").grid.rows.length === 2);
    assertStringIncludes(study.notes.join(" "), "No 'hessian' input");
    assert(
      !study.notes.join(" ").includes("'density'"),
      "kinds the step did not ask for are not noted",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tables: a hessian missing for one run is a dash and a note", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tables_hole_" });
  try {
    const f = await writeFixtures(dir, { Ps: [4, 9], ds: [50] });
    f.inputs.hessian = f.inputs.hessian.filter((g) => g.matrix.P !== 9);
    const study = await loadStudy(f.inputs);
    const t = table(buildTables(study), "table3");
    assertEquals(t.grid.rows[1][1], "—");
    assertStringIncludes(study.notes.join(" "), "'hessian' is missing for 1 of 2 runs: P=9 d=50");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("collect: best is required; a file that contradicts its instance is an error", async () => {
  await assertRejects(() => loadStudy({ best: [] }), /input 'best' is required/);
  const dir = await Deno.makeTempDir({ prefix: "collect_" });
  try {
    const f = await writeFixtures(dir, { Ps: [4], ds: [2] });
    const wrong = [{ ...f.inputs.best[0], matrix: { P: 9, d: 2, seed: 1001 } }];
    await assertRejects(() => loadStudy({ best: wrong }), /says P=4 but its instance has P=9/);
    await Deno.writeTextFile(f.inputs.best[0].path, '{"P": 4}');
    await assertRejects(() => loadStudy({ best: f.inputs.best }), /field 'd' must be a number/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("collect: the seeds option orders seeds and picks the first seed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "collect_seeds_" });
  try {
    const f = await writeFixtures(dir, { Ps: [4], ds: [2], seeds: [1001, 1002, 1003] });
    assertEquals((await loadStudy(f.inputs)).firstSeed, 1001);
    const s = await loadStudy(f.inputs, { seeds: [1003, 1001] });
    assertEquals(s.seeds, [1003, 1001, 1002]);
    assertEquals(s.firstSeed, 1003);
    assertEquals(table(buildTables(s), "table1").csv.rows[0][2], 1003);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("consistency: best.json that is not metrics.csv's minimum is reported", async () => {
  const dir = await Deno.makeTempDir({ prefix: "consistency_" });
  try {
    const f = await writeFixtures(dir, { Ps: [4], ds: [2], best: () => ({ epoch: 1 }) });
    const notes = checkBestAgainstMetrics(await loadStudy(f.inputs));
    assertEquals(notes.length, 1);
    assertStringIncludes(notes[0], "best.json says epoch 1");
    const ok = await writeFixtures(`${dir}/ok`, { Ps: [4], ds: [2] });
    assertEquals(checkBestAgainstMetrics(await loadStudy(ok.inputs)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("table rendering: CSV quoting and Markdown escaping", () => {
  const t: Table = {
    id: "t",
    title: "T",
    description: "d",
    grid: { columns: ["a", "b"], rows: [["x|y", "1\n2"]] },
    csv: { columns: ["a", "b"], rows: [["x,y", null], [1.5, NaN]] },
    notes: ["n"],
  };
  assertEquals(tableCsv(t), 'a,b\n"x,y",\n1.5,NaN\n');
  assertEquals(gridMarkdown(t.grid), "| a | b |\n| --- | ---: |\n| x\\|y | 1<br>2 |");
  const md = tableMarkdown(t);
  assertStringIncludes(md, "## T");
  assertStringIncludes(md, "- n");
});

Deno.test("table1 shows the epoch in the paper's numbering (initialisation -1)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "epochs_" });
  try {
    const f = await writeFixtures(dir, { Ps: [4], ds: [2] });
    const s = await loadStudy(f.inputs);
    const best = s.runs[0].best!;
    const t = table(buildTables(s), "table1");
    const cols = t.csv.columns;
    const row = t.csv.rows[0];
    assertEquals(row[cols.indexOf("epoch")], best.epoch);
    assertEquals(row[cols.indexOf("paper_epoch")], best.epoch - 1);
    assertStringIncludes(JSON.stringify(t.grid), `epoch ${best.epoch - 1}`);
    assert(!JSON.stringify(t.grid).includes(`epoch ${best.epoch}\\n`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aggregate_variant: mean vs 1/sqrt(P) only when both aggregations were run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "variant_" });
  try {
    const opts = { Ps: [4, 9, 16], ds: [2], seeds: [1001, 1002] };
    const a = await writeFixtures(`${dir}/mean`, opts);
    const b = await writeFixtures(`${dir}/sqrt`, opts);
    // Without the axis: one aggregation, no table, every run is the paper's mean.
    const plain = await loadStudy(a.inputs);
    assertEquals(plain.aggregates, ["mean"]);
    assert(!buildTables(plain).some((t) => t.id === "aggregate_variant"));
    // The same runs under two values of the `aggregate` axis (sqrt listed first).
    const tag = (inputs: typeof a.inputs, aggregate: string) =>
      Object.fromEntries(
        Object.entries(inputs).map(([k, list]) => [
          k,
          list!.map((g) => ({
            ...g,
            id: `${g.id}+${aggregate}`,
            matrix: { ...g.matrix, aggregate },
          })),
        ]),
      );
    const sq = tag(b.inputs, "sqrt");
    const mn = tag(a.inputs, "mean");
    const both = Object.fromEntries(
      Object.keys(mn).map((k) => [k, [...(sq[k] ?? []), ...(mn[k] ?? [])]]),
    );
    const s = await loadStudy(both);
    assertEquals(s.aggregates, ["mean", "sqrt"]);
    assertEquals(s.runs.length, plain.runs.length, "the tables keep showing the mean's runs");
    assert(s.runs.every((r) => r.aggregate === "mean"));
    const t = table(buildTables(s), "aggregate_variant");
    const cols = t.csv.columns;
    const configs = t.csv.rows.filter((r) => r[0] === "config");
    assertEquals(configs.length, 3 * 2);
    const r4 = configs.find((r) => r[1] === 4 && r[cols.indexOf("aggregate")] === "sqrt")!;
    const l4 = s.byAggregate.sqrt.filter((r) => r.P === 4).map((r) => r.hessian!.lambda_max);
    assertAlmostEquals(r4[cols.indexOf("lambda_max_mean")] as number, (l4[0] + l4[1]) / 2, 1e-12);
    const exps = t.csv.rows.filter((r) => r[0] === "exponent");
    assertEquals(exps.map((r) => r[cols.indexOf("aggregate")]), ["mean", "sqrt"]);
    const pts = s.byAggregate.mean.map((r) => ({ P: r.P, value: r.hessian!.lambda_max }));
    assertAlmostEquals(
      exps[0][cols.indexOf("exponent")] as number,
      fitExponent(2, "full", pts).slope,
      1e-12,
    );
    assertStringIncludes(t.title, "1/√P");
    // The variant alone: its tables say they are not the paper's model.
    const only = await loadStudy(sq);
    assertEquals(only.aggregates, ["sqrt"]);
    assert(
      only.notes.some((n) => n.includes("by 'sqrt', not the paper's mean")),
      only.notes.join(),
    );
    assert(!plain.notes.some((n) => n.includes("not the paper's mean")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
