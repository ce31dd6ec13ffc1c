/**
 * The paper's tables computed from the gathered study, each beside the
 * paper's reference values where the profile's cells are comparable (same P
 * and d): Table 1 (test loss and accuracy, first seed), Table 2 (parameter
 * counts), Table 3 (largest Hessian eigenvalue, first seed), Tables 4 and 5
 * (mean ± sample std over seeds), Table 6 (PCA explained-variance ratios),
 * the Gauss-Newton vs curvature split, and the lambda_max ratios between
 * consecutive P against the theory's scalings.
 *
 * @module
 */

import type { CsvCell, Grid, Table } from "../artifacts/mod.ts";
import {
  configurations,
  findRun,
  inPaperGrid,
  modelParams,
  PAPER_D,
  PAPER_EPOCHS,
  PAPER_N_TRAIN,
  PAPER_P,
  PAPER_QNN_PARAMS,
  PAPER_SEED,
  paperEpoch,
  paperLambdaMax,
  paperPca,
  paperTable1,
  printedPca,
  qnnParams,
  runsOf,
  type Study,
  summarize,
  TABLE1_CELLS,
  THEORY,
} from "../study/mod.ts";
import { fixed, meanStd, MISSING, signed, signedPercent, thousands } from "./format.ts";
import { claimsTable, exponentsTable, spectrumTable } from "./claims_tables.ts";
import { aggregateVariantTable } from "./variant_table.ts";

/** Builds every table of the report, in report order. */
export function buildTables(study: Study): Table[] {
  return [
    claimsTable(study),
    table1(study),
    table2(study),
    table3(study),
    table4(study),
    table5(study),
    table6(study),
    hessianSplit(study),
    lambdaRatios(study),
    exponentsTable(study),
    spectrumTable(study),
    ...[aggregateVariantTable(study)].filter((t): t is Table => t !== null),
  ];
}

// ---------------------------------------------------------------- helpers

const GRID_CORNER = "P \\ d";

function pdColumns(ds: readonly number[]): string[] {
  return [GRID_CORNER, ...ds.map((d) => `d = ${d}`)];
}

/** A P-rows x d-columns grid over the given axes, one cell function. */
function pdGrid(
  Ps: readonly number[],
  ds: readonly number[],
  cell: (P: number, d: number) => string,
): Grid {
  return {
    columns: pdColumns(ds),
    rows: Ps.map((P) => [`P = ${P}`, ...ds.map((d) => cell(P, d))]),
  };
}

function list(xs: readonly number[]): string {
  return `{${xs.join(", ")}}`;
}

/**
 * Notes on how the profile relates to the paper's grid and runs, and whether
 * the paper's table must be printed separately (some cell not comparable).
 */
function comparability(
  study: Study,
  has: (P: number, d: number) => boolean,
): { notes: string[]; printReference: boolean; anyComparable: boolean } {
  const cells = configurations(study).filter((c) => has(c.P, c.d));
  const comparable = cells.filter((c) => inPaperGrid(c.P, c.d));
  const grid = `P ∈ ${list(PAPER_P)} × d ∈ ${list(PAPER_D)}`;
  const ours = `P ∈ ${list(study.Ps)} × d ∈ ${list(study.ds)}`;
  const notes: string[] = [];
  if (cells.length === 0) return { notes, printReference: true, anyComparable: false };
  if (comparable.length === 0) {
    notes.push(
      `Not comparable with the paper cell by cell: the paper's grid is ${grid}, this profile ` +
        `has ${ours}. The paper's table is printed separately below.`,
    );
  } else if (comparable.length < cells.length) {
    notes.push(
      `Only ${comparable.length} of ${cells.length} configurations lie on the paper's grid ` +
        `(${grid}); those show the paper's value and the difference (ours − paper). ` +
        `The paper's full table is printed below.`,
    );
  } else {
    notes.push(
      `Every configuration lies on the paper's grid: cells show the paper's value and the ` +
        `difference Δ = ours − paper.`,
    );
  }
  if (comparable.length > 0) notes.push(...runCaveats(study));
  return {
    notes,
    printReference: comparable.length < cells.length,
    anyComparable: comparable.length > 0,
  };
}

/** How the profile's first-seed runs differ from the paper's runs (data, epochs, seed). */
function runCaveats(study: Study): string[] {
  const firsts = study.runs.filter((r) => r.seed === study.firstSeed && r.best);
  const nTrain = [...new Set(firsts.map((r) => r.best!.n_train))];
  const epochs = [...new Set(firsts.map((r) => r.best!.epochs))];
  const diffs: string[] = [];
  if (nTrain.some((n) => n !== PAPER_N_TRAIN)) {
    diffs.push(`${nTrain.join("/")} training images (paper ${thousands(PAPER_N_TRAIN)})`);
  }
  if (epochs.some((e) => e !== PAPER_EPOCHS)) {
    diffs.push(`${epochs.join("/")} epochs (paper ${PAPER_EPOCHS})`);
  }
  if (study.firstSeed !== PAPER_SEED) {
    diffs.push(`seed ${study.firstSeed} (paper ${PAPER_SEED})`);
  }
  if (diffs.length === 0) return [];
  return [
    `Caveat: this profile's runs use ${diffs.join(", ")}; a difference from the paper then ` +
    `measures the profile as much as the reproduction.`,
  ];
}

function firstSeedNote(study: Study, what: string): string {
  return `${what} are from the first seed of the profile, ${study.firstSeed}` +
    (study.seeds.length > 1 ? ` (of ${study.seeds.join(", ")}).` : ".");
}

// ---------------------------------------------------------------- Table 1

function table1(study: Study): Table {
  const seed = study.firstSeed;
  const csvRows: CsvCell[][] = [];
  const missing: string[] = [];
  const grid = pdGrid(study.Ps, study.ds, (P, d) => {
    const b = findRun(study, P, d, seed)?.best;
    if (!b) {
      if (runsOf(study, P, d).length > 0) missing.push(`P=${P} d=${d}`);
      return MISSING;
    }
    const ref = paperTable1(P, d);
    const lines = [
      `${fixed(b.test_loss, 5)} / ${fixed(b.test_acc, 4)}`,
      `epoch ${paperEpoch(b.epoch)}`,
    ];
    if (ref) {
      lines.push(`paper ${fixed(ref.test_loss, 5)} / ${fixed(ref.test_acc, 4)}`);
      lines.push(
        `Δ ${ref.test_loss === null ? MISSING : signed(b.test_loss - ref.test_loss, 5)} / ` +
          signed(b.test_acc - ref.test_acc, 4),
      );
    } else if (inPaperGrid(P, d)) {
      lines.push("paper: cell lost");
    }
    csvRows.push([
      P,
      d,
      seed,
      b.epoch,
      paperEpoch(b.epoch),
      b.test_loss,
      b.test_acc,
      ref?.test_loss ?? null,
      ref?.test_acc ?? null,
      ref?.test_loss != null ? b.test_loss - ref.test_loss : null,
      ref ? b.test_acc - ref.test_acc : null,
    ]);
    return lines.join("\n");
  });
  const cmp = comparability(study, (P, d) => !!findRun(study, P, d, seed)?.best);
  const notes = [
    firstSeedNote(study, "Values"),
    "Each cell: test loss / test accuracy at the epoch of minimum full-training-set loss, " +
    "then that epoch in the paper's numbering (the initialisation is epoch −1, so the paper's " +
    "epoch 36 is the 37th epoch of training; the CSV keeps best.json's `epoch`, one more, " +
    "beside `paper_epoch`).",
    ...cmp.notes,
    "The paper's values are those its public code printed (puyokw/qnns_with_patches, " +
    "src_vis/mnist_plot_loss.ipynb), of which the paper's text keeps a part.",
  ];
  if (missing.length > 0) notes.push(`No run of seed ${seed} for ${missing.join(", ")}.`);
  return {
    id: "table1",
    title: "Table 1: test loss and accuracy at the minimum-training-loss epoch",
    description: "Test-set cross-entropy and accuracy of the model at the epoch with the " +
      "smallest full-training-set loss (the reported model), P rows × d columns.",
    grid: hasCells(csvRows) ? grid : emptyGrid(),
    csv: {
      columns: [
        "P",
        "d",
        "seed",
        "epoch",
        "paper_epoch",
        "test_loss",
        "test_acc",
        "paper_test_loss",
        "paper_test_acc",
        "diff_test_loss",
        "diff_test_acc",
      ],
      rows: csvRows,
    },
    notes,
    reference: cmp.printReference
      ? { title: "Paper, Table 1 (seed 1001)", grid: paperTable1Grid() }
      : undefined,
  };
}

function paperTable1Grid(): Grid {
  return pdGrid(PAPER_P, PAPER_D, (P, d) => {
    const c = TABLE1_CELLS.find((x) => x.P === P && x.d === d);
    return c ? `${fixed(c.test_loss, 5)} / ${fixed(c.test_acc, 4)}` : "—";
  });
}

function hasCells(rows: unknown[]): boolean {
  return rows.length > 0;
}

function emptyGrid(): Grid {
  return { columns: [], rows: [] };
}

// ---------------------------------------------------------------- Table 2

function table2(study: Study): Table {
  const csvRows: CsvCell[][] = [];
  const mismatches: string[] = [];
  const configs = configurations(study);
  const grid = pdGrid(study.Ps, study.ds, (P, d) => {
    if (!configs.some((c) => c.P === P && c.d === d)) return MISSING;
    const perQnn = qnnParams(d);
    const total = modelParams(P, d);
    const reported = runsOf(study, P, d).map((r) => r.best).filter((b) => b !== undefined);
    for (const b of reported) {
      const qnnOk = b.n_qnn_params === perQnn || b.n_qnn_params === P * perQnn;
      if (b.n_params !== total || !qnnOk) {
        mismatches.push(
          `P=${P} d=${d} seed=${b.seed}: best.json has n_params ${b.n_params}, ` +
            `n_qnn_params ${b.n_qnn_params}; the formula gives ${total} and ${perQnn} per QNN`,
        );
      }
    }
    const paper = inPaperGrid(P, d) ? PAPER_QNN_PARAMS[d] : null;
    const lines = [
      `${thousands(total)} in all`,
      `= ${P} × ${thousands(perQnn)} + 196`,
    ];
    if (paper !== null) lines.push(`paper ${thousands(paper)} per QNN (Δ ${perQnn - paper})`);
    csvRows.push([
      P,
      d,
      perQnn,
      P * perQnn,
      196,
      total,
      paper,
      reported[0]?.n_params ?? null,
      reported.every((b) => b.n_params === total),
    ]);
    return lines.join("\n");
  });
  const cmp = comparability(study, () => true);
  const notes = [
    "Each cell: trainable numbers of the model, P QNNs of 48d + 128 parameters each plus the " +
    "196 entries of the 14 × 14 positional bias.",
    ...cmp.notes.filter((n) => !n.startsWith("Caveat")),
  ];
  if (mismatches.length > 0) {
    notes.push(`Mismatch with the runs' best.json: ${mismatches.join("; ")}.`);
  } else if (csvRows.length > 0) {
    notes.push("Every run's best.json reports the same count as the formula.");
  }
  return {
    id: "table2",
    title: "Table 2: parameter counts",
    description: "Number of trainable parameters per configuration: per QNN, in all QNNs, " +
      "and in the whole model with the positional bias.",
    grid: hasCells(csvRows) ? grid : emptyGrid(),
    csv: {
      columns: [
        "P",
        "d",
        "qnn_params",
        "qnn_params_all",
        "bias_params",
        "model_params",
        "paper_qnn_params",
        "best_n_params",
        "best_matches",
      ],
      rows: csvRows,
    },
    notes,
    reference: cmp.printReference
      ? {
        title: "Paper, Table 2 (per QNN 48d + 128; model P(48d + 128) + 196)",
        grid: pdGrid(
          PAPER_P,
          PAPER_D,
          (P, d) =>
            `${thousands(PAPER_QNN_PARAMS[d])} per QNN\n${thousands(modelParams(P, d))} in all`,
        ),
      }
      : undefined,
  };
}

// ---------------------------------------------------------------- Table 3

function missingInput(study: Study, name: "hessian" | "landscape"): string | null {
  if (study.available[name]) return null;
  return `No '${name}' input was given to this step (a profile without ${
    name === "hessian" ? "Hessian analyses" : "landscapes"
  }), so this table is empty.`;
}

function table3(study: Study): Table {
  const seed = study.firstSeed;
  const csvRows: CsvCell[][] = [];
  const unconverged: string[] = [];
  const grid = pdGrid(study.Ps, study.ds, (P, d) => {
    const h = findRun(study, P, d, seed)?.hessian;
    if (!h) return MISSING;
    const ref = paperLambdaMax(P, d);
    const lines = [fixed(h.lambda_max, 2)];
    if (h.power && h.power.converged === false) {
      lines[0] += " *";
      unconverged.push(`P=${P} d=${d}`);
    }
    if (ref !== null) {
      lines.push(`paper ${fixed(ref, 2)}`);
      lines.push(`Δ ${signed(h.lambda_max - ref, 2)} (${signedPercent(h.lambda_max, ref)})`);
    }
    csvRows.push([
      P,
      d,
      seed,
      h.lambda_max,
      h.power?.iterations ?? null,
      h.power?.converged ?? null,
      ref,
      ref !== null ? h.lambda_max - ref : null,
      ref !== null ? (h.lambda_max - ref) / ref : null,
    ]);
    return lines.join("\n");
  });
  const absent = missingInput(study, "hessian");
  const cmp = comparability(study, (P, d) => !!findRun(study, P, d, seed)?.hessian);
  const notes = absent ? [absent] : [
    firstSeedNote(study, "Values"),
    "Largest eigenvalue of the Hessian of the full-training-set loss (QNN parameters and " +
    "bias) at the minimum-training-loss parameters, by power iteration.",
    ...cmp.notes,
  ];
  if (unconverged.length > 0) {
    notes.push(`* power iteration did not converge for ${unconverged.join(", ")}.`);
  }
  return {
    id: "table3",
    title: "Table 3: largest Hessian eigenvalue at the minimum",
    description: "λ_max of the training-loss Hessian at the reported model, P rows × d columns.",
    grid: hasCells(csvRows) ? grid : emptyGrid(),
    csv: {
      columns: [
        "P",
        "d",
        "seed",
        "lambda_max",
        "power_iterations",
        "power_converged",
        "paper_lambda_max",
        "diff",
        "rel_diff",
      ],
      rows: csvRows,
    },
    notes,
    reference: absent === null && cmp.printReference
      ? {
        title: "Paper, Table 3 (seed 1001)",
        grid: pdGrid(PAPER_P, PAPER_D, (P, d) => fixed(paperLambdaMax(P, d), 2)),
      }
      : undefined,
  };
}

// ---------------------------------------------------------------- Tables 4 and 5

const STD_NOTE = "± is the sample standard deviation over seeds (divisor n − 1, numpy's " +
  "ddof=1): the seeds are a sample of the run-to-run spread, and with five seeds the n divisor " +
  "would understate it by about 11%. n is the number of seeds in the cell.";

function seedStatsTable(
  study: Study,
  spec: {
    id: string;
    title: string;
    description: string;
    values: (run: Study["runs"][number]) => number[] | null;
    names: string[];
    decimals: number[];
    lostNote: string;
    absent: string | null;
  },
): Table {
  const csvRows: CsvCell[][] = [];
  let maxN = 0;
  const grid = pdGrid(study.Ps, study.ds, (P, d) => {
    const samples = runsOf(study, P, d)
      .map((r) => ({ seed: r.seed, v: spec.values(r) }))
      .filter((s): s is { seed: number; v: number[] } => s.v !== null);
    if (samples.length === 0) return MISSING;
    maxN = Math.max(maxN, samples.length);
    const sums = spec.names.map((_, k) => summarize(samples.map((s) => s.v[k])));
    csvRows.push([
      P,
      d,
      samples.length,
      samples.map((s) => s.seed).join(" "),
      ...sums.flatMap((s) => [s.mean, Number.isFinite(s.std) ? s.std : null]),
    ]);
    return [
      ...sums.map((s, k) => meanStd(s.mean, s.std, spec.decimals[k])),
      `n = ${samples.length}`,
    ].join("\n");
  });
  const notes: string[] = [];
  if (spec.absent) notes.push(spec.absent);
  else if (maxN < 2) {
    notes.push(
      `This profile has ${
        maxN === 0 ? "no runs" : "one seed per configuration"
      } here, so there is no spread over seeds to report (it needs at least two); the ` +
        `single-seed values are in the corresponding single-seed table.`,
    );
  } else {
    notes.push(STD_NOTE, spec.lostNote);
  }
  return {
    id: spec.id,
    title: spec.title,
    description: spec.description,
    grid: maxN >= 2 ? grid : emptyGrid(),
    csv: {
      columns: ["P", "d", "n", "seeds", ...spec.names.flatMap((n) => [`${n}_mean`, `${n}_std`])],
      rows: maxN >= 2 ? csvRows : [],
    },
    notes,
  };
}

function table4(study: Study): Table {
  return seedStatsTable(study, {
    id: "table4",
    title: "Table 4: test loss and accuracy over seeds (mean ± std)",
    description: "Table 1 over every seed of the profile: mean ± standard deviation of the " +
      "test loss (first line) and test accuracy (second line) at each run's " +
      "minimum-training-loss epoch.",
    values: (r) => (r.best ? [r.best.test_loss, r.best.test_acc] : null),
    names: ["test_loss", "test_acc"],
    decimals: [5, 4],
    lostNote: "The paper's Table 4 values were lost in extraction; there is nothing to " +
      "compare cell by cell (its text: accuracy improves from P = 4 to 9, slightly to 16, " +
      "and with depth up to d = 150).",
    absent: null,
  });
}

function table5(study: Study): Table {
  return seedStatsTable(study, {
    id: "table5",
    title: "Table 5: largest Hessian eigenvalue over seeds (mean ± std)",
    description: "Table 3 over every seed of the profile: mean ± standard deviation of λ_max.",
    values: (r) => (r.hessian ? [r.hessian.lambda_max] : null),
    names: ["lambda_max"],
    decimals: [2],
    lostNote: "The paper's Table 5 values were lost in extraction; its text: λ_max grows with " +
      "d and falls with P, most from P = 4 to 9.",
    absent: missingInput(study, "hessian"),
  });
}

// ---------------------------------------------------------------- Table 6

function table6(study: Study): Table {
  const seed = study.firstSeed;
  const csvRows: CsvCell[][] = [];
  const low: string[] = [];
  const grid = pdGrid(study.Ps, study.ds, (P, d) => {
    const l = findRun(study, P, d, seed)?.landscape;
    if (!l) return MISSING;
    const [pc1, pc2] = l.explained_variance_ratio;
    const ref = paperPca(P, d);
    if (pc1 + pc2 < 0.9) low.push(`P=${P} d=${d} (${fixed(pc1 + pc2, 4)})`);
    const lines = [`${fixed(pc1, 4)} / ${fixed(pc2, 4)}`];
    if (ref) {
      // The paper prints its ratios truncated to 4 decimals: show and compare both at that
      // precision (the CSV keeps the notebooks' full values).
      const cut = printedPca;
      lines.push(`paper ${fixed(cut(ref[0]), 4)} / ${fixed(cut(ref[1]), 4)}`);
      lines.push(
        `Δ ${signed(cut(pc1) - cut(ref[0]), 4)} / ${signed(cut(pc2) - cut(ref[1]), 4)}`,
      );
    }
    if (l.min_residual !== undefined) {
      lines.push(
        `min. off plane ${fixed(l.min_residual, 3)}` +
          (l.min_offset !== undefined ? ` (of ${fixed(l.min_offset, 3)})` : ""),
      );
    }
    csvRows.push([
      P,
      d,
      seed,
      pc1,
      pc2,
      pc1 + pc2,
      ref?.[0] ?? null,
      ref?.[1] ?? null,
      ref ? pc1 - ref[0] : null,
      ref ? pc2 - ref[1] : null,
      l.plane ?? null,
      l.min_residual ?? null,
      l.min_offset ?? null,
    ]);
    return lines.join("\n");
  });
  const absent = missingInput(study, "landscape");
  const cmp = comparability(study, (P, d) => !!findRun(study, P, d, seed)?.landscape);
  const notes = absent ? [absent] : [
    firstSeedNote(study, "Values"),
    "Each cell: explained-variance ratio of PC1 / PC2 of the centred PCA of the QNN " +
    "parameters at initialisation and after every epoch.",
    "The paper prints its ratios truncated to 4 decimals (0.8295821 → 0.8295): the cells show " +
    "both truncated so, and Δ compares them at that precision; the CSV keeps ours and the " +
    "notebooks' printed values (src_vis/…_cos_vis.ipynb) at full precision.",
    "“min. off plane”: the distance of the minimum from the PCA plane (of its distance from " +
    "the trajectory's mean). On the paper's plane (landscape_plane: trajectory_mean, the " +
    "default) grid (0, 0) is the minimum's projection, so the landscape's loss at (0, 0) " +
    "differs from the minimum's training loss by what this residual costs.",
    ...cmp.notes,
  ];
  if (!absent && csvRows.length > 0) {
    notes.push(
      low.length === 0
        ? "PC1 + PC2 exceeds 0.9 in every cell, as in the paper (the plane captures the trajectory)."
        : `PC1 + PC2 is below the paper's 0.9 for ${low.join(", ")}: the plane captures less ` +
          `of that trajectory.`,
    );
  }
  return {
    id: "table6",
    title: "Table 6: PCA explained-variance ratios (PC1 / PC2)",
    description: "How much of the optimisation trajectory's variance the two axes of the " +
      "landscape plots capture.",
    grid: hasCells(csvRows) ? grid : emptyGrid(),
    csv: {
      columns: [
        "P",
        "d",
        "seed",
        "pc1",
        "pc2",
        "pc1_plus_pc2",
        "paper_pc1",
        "paper_pc2",
        "diff_pc1",
        "diff_pc2",
        "plane",
        "min_residual",
        "min_offset",
      ],
      rows: csvRows,
    },
    notes,
    reference: absent === null && cmp.printReference
      ? {
        title: "Paper, Table 6 (seed 1001)",
        grid: pdGrid(PAPER_P, PAPER_D, (P, d) => {
          const r = paperPca(P, d)!;
          return `${fixed(printedPca(r[0]), 4)} / ${fixed(printedPca(r[1]), 4)}`;
        }),
      }
      : undefined,
  };
}

// ---------------------------------------------------------------- Gauss-Newton vs curvature

function hessianSplit(study: Study): Table {
  const seed = study.firstSeed;
  const rows: string[][] = [];
  const csvRows: CsvCell[][] = [];
  let noSplit = 0;
  for (const { P, d } of configurations(study)) {
    const h = findRun(study, P, d, seed)?.hessian;
    if (!h) continue;
    const gn = h.gauss_newton?.lambda_max ?? null;
    const cmax = h.curvature?.lambda_max ?? null;
    const cmin = h.curvature?.lambda_min ?? null;
    if (gn === null && cmax === null) noSplit++;
    const share = gn !== null && h.lambda_max !== 0 ? gn / h.lambda_max : null;
    rows.push([
      String(P),
      String(d),
      fixed(h.lambda_max, 3),
      fixed(gn, 3),
      fixed(cmax, 4),
      fixed(cmin, 4),
      fixed(share, 3),
    ]);
    csvRows.push([P, d, seed, h.lambda_max, gn, cmax, cmin, share]);
  }
  const absent = missingInput(study, "hessian");
  const notes = absent ? [absent] : [
    firstSeedNote(study, "Values"),
    "The Hessian splits into a Gauss-Newton term (pairs of QNN outputs weighted by " +
    "∂²L/∂y²; the theory says it scales as 1/P²) and a curvature term (∂L/∂y times " +
    "second derivatives of single QNN outputs; scales as 1/P and vanishes as the training " +
    "loss goes to zero). The Gauss-Newton term is positive semi-definite; the curvature " +
    "term is indefinite, hence its λ_min (and GN / full can exceed 1). GN / full near 1 " +
    "means the Gauss-Newton term sets the sharpness, the paper's explanation of its Table 3.",
    "The paper does not report the two terms separately: there is no reference column.",
  ];
  if (noSplit > 0) {
    notes.push(`${noSplit} hessian.json file(s) carry no gauss_newton/curvature measurement.`);
  }
  return {
    id: "hessian_split",
    title: "Gauss-Newton vs curvature: λ_max of each Hessian term",
    description: "Largest eigenvalue of the full Hessian and of each of its two terms at the " +
      "minimum, one row per configuration.",
    grid: rows.length > 0
      ? {
        columns: [
          "P",
          "d",
          "full λ_max",
          "Gauss-Newton λ_max",
          "curvature λ_max",
          "curvature λ_min",
          "GN / full",
        ],
        rows,
      }
      : emptyGrid(),
    csv: {
      columns: [
        "P",
        "d",
        "seed",
        "lambda_max",
        "gauss_newton_lambda_max",
        "curvature_lambda_max",
        "curvature_lambda_min",
        "gauss_newton_share",
      ],
      rows: csvRows,
    },
    notes,
  };
}

// ---------------------------------------------------------------- lambda_max ratios

/** λ_max values of one run, by Hessian term. */
function terms(h: NonNullable<Study["runs"][number]["hessian"]>): Record<string, number | null> {
  return {
    full: h.lambda_max,
    gn: h.gauss_newton?.lambda_max ?? null,
    curv: h.curvature?.lambda_max ?? null,
  };
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

function meanLambda(study: Study, P: number, d: number): number | null {
  const xs = runsOf(study, P, d).flatMap((r) => (r.hessian ? [r.hessian.lambda_max] : []));
  return xs.length > 0 ? summarize(xs).mean : null;
}

function lambdaRatios(study: Study): Table {
  const seed = study.firstSeed;
  const multiSeed = study.runs.some((r) =>
    r.hessian && runsOf(study, r.P, r.d).filter((x) => x.hessian).length > 1
  );
  const rows: string[][] = [];
  const csvRows: CsvCell[][] = [];
  for (const d of study.ds) {
    const Ps = study.Ps.filter((P) => findRun(study, P, d, seed)?.hessian);
    for (let i = 0; i + 1 < Ps.length; i++) {
      const [Pa, Pb] = [Ps[i], Ps[i + 1]];
      const ta = terms(findRun(study, Pa, d, seed)!.hessian!);
      const tb = terms(findRun(study, Pb, d, seed)!.hessian!);
      const full = ratio(ta.full, tb.full);
      const gn = ratio(ta.gn, tb.gn);
      const curv = ratio(ta.curv, tb.curv);
      const means = multiSeed ? ratio(meanLambda(study, Pa, d), meanLambda(study, Pb, d)) : null;
      const paper = ratio(paperLambdaMax(Pa, d), paperLambdaMax(Pb, d));
      const th2 = THEORY.gaussNewtonRatio(Pa, Pb);
      const th1 = THEORY.curvatureRatio(Pa, Pb);
      rows.push([
        String(d),
        `P = ${Pa} / P = ${Pb}`,
        fixed(full, 2),
        ...(multiSeed ? [fixed(means, 2)] : []),
        fixed(gn, 2),
        fixed(curv, 2),
        fixed(paper, 2),
        fixed(th2, 2),
        fixed(th1, 2),
      ]);
      csvRows.push([d, Pa, Pb, seed, full, means, gn, curv, paper, th2, th1]);
    }
  }
  const absent = missingInput(study, "hessian");
  const notes = absent ? [absent] : [
    `Ratios λ_max(P_a) / λ_max(P_b) between consecutive P of the profile at fixed d, ` +
    `seed ${seed}` + (multiSeed ? " (and of the seed means)" : "") + ".",
    "Theory: a term scaling as 1/P² gives (P_b/P_a)² — 5.06 for 4→9, 3.16 for 9→16; one " +
    "scaling as 1/P gives P_b/P_a — 2.25 and 1.78. The paper's ratios come from its Table 3 " +
    "(seed 1001) where both P lie on its grid.",
  ];
  if (!absent && rows.length === 0) {
    notes.push("Fewer than two values of P with a Hessian at some depth: no ratio to form.");
  }
  return {
    id: "lambda_ratios",
    title: "λ_max ratios between numbers of patches, against the theory",
    description: "How λ_max falls as P grows at fixed depth, for the full Hessian and for " +
      "each of its terms, beside the paper's ratios and the 1/P² and 1/P scalings.",
    grid: rows.length > 0
      ? {
        columns: [
          "d",
          "ratio",
          "full",
          ...(multiSeed ? ["full (seed means)"] : []),
          "Gauss-Newton",
          "curvature",
          "paper (Table 3)",
          "theory 1/P²",
          "theory 1/P",
        ],
        rows,
      }
      : emptyGrid(),
    csv: {
      columns: [
        "d",
        "P_a",
        "P_b",
        "seed",
        "ratio_full",
        "ratio_full_seed_means",
        "ratio_gauss_newton",
        "ratio_curvature",
        "ratio_paper",
        "theory_inverse_P2",
        "theory_inverse_P",
      ],
      rows: csvRows,
    },
    notes,
  };
}
