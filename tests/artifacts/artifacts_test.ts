/**
 * The artifact formats (lib/artifacts): each reader accepts what its writer
 * wrote (round trip, the writer's exact bytes), and rejects a malformed file
 * with an `ArtifactError` whose message names the file and the problem.
 */

import { assert, assertEquals, assertStringIncludes } from "../report/_assert.ts";
import {
  ArtifactError,
  type Best,
  bestJson,
  type FiguresManifest,
  type HessianJson,
  historyCsv,
  type Landscape,
  landscapeJson,
  metricsCsv,
  type MetricsRow,
  readBest,
  readDensity,
  readFiguresManifest,
  readHessian,
  readHistory,
  readLandscape,
  readMetrics,
  readTablesDocument,
  readTrajectory,
  type TablesDocument,
  writeBest,
  writeDensity,
  writeHessian,
  writeHistory,
  writeLandscape,
  writeMetrics,
  writeTrajectory,
} from "../../lib/artifacts/mod.ts";
import { manifestJson, tablesJson } from "../../lib/artifacts/mod.ts";
import { writeNpy } from "../../lib/io/npy.ts";

const BEST: Best = {
  P: 4,
  d: 2,
  seed: 1001,
  n_params: 1100,
  n_qnn_params: 226,
  epoch: 3,
  train_loss: 0.5,
  train_acc: 0.875,
  test_loss: 0.625,
  test_acc: 0.8125,
  epochs: 5,
  n_train: 100,
  n_test: 50,
};

const ROWS: MetricsRow[] = [
  {
    epoch: 0,
    lr: 0.01,
    train_loss: 2.3,
    train_acc: 0.1,
    test_loss: 2.31,
    test_acc: 0.09,
    seconds: 0,
  },
  {
    epoch: 1,
    lr: 0.01,
    train_loss: 1 / 3,
    train_acc: 0.5,
    test_loss: 0.4,
    test_acc: 0.45,
    seconds: 1.23456,
  },
];

const HESSIAN: HessianJson = {
  P: 4,
  d: 2,
  seed: 1001,
  n_params: 1100,
  epoch: 3,
  lambda_max: 15.9,
  power: { eigenvalue: 15.9, iterations: 23, converged: true },
  lanczos: { eigenvalue: 15.8, iterations: 12, converged: true, steps: 40, top: [15.8, 9.1] },
  gauss_newton: { lambda_max: 15.1, lambda_min: 0, top: [15.1], iterations: 20 },
  curvature: { lambda_max: 0.8, lambda_min: -0.7, top: [0.8], iterations: 20 },
  slq: { probes: 1, steps: 2, nodes: [[0.1, 15.8]], weights: [[0.9, 0.1]] },
  exact: null,
  products: { power: 23, gauss_newton: 20, curvature: 20, slq: 2 },
  hvp: {
    method: "central-difference of exact float64 gradients",
    epsilon: 1e-4,
    relative_error: 1e-9,
  },
  n_samples: 100,
};

const LANDSCAPE: Landscape = {
  P: 4,
  d: 2,
  seed: 1001,
  min_epoch: 3,
  explained_variance_ratio: [0.875, 0.0625],
  x: [-1, 0, 1],
  y: [-2, 2],
  loss: [[1, 0.5, 1], [1.5, 0.75, 1.5]],
  trajectory: [[0.5, 1], [0, 0]],
  n_samples: 100,
};

/** Runs `fn` with a fresh temporary directory. */
async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "artifacts_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Expects `fn` to reject with an ArtifactError naming `path` and containing `problem`. */
async function rejectsNaming(fn: () => Promise<unknown>, path: string, problem: string) {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert(error instanceof ArtifactError, `expected an ArtifactError, got ${error}`);
  assertEquals(error.file, path);
  assertStringIncludes(error.message, path);
  assertStringIncludes(error.message, problem);
}

Deno.test("best.json: round trip, documented key order whatever the object's order", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/best.json`;
    const shuffled = Object.fromEntries(Object.entries(BEST).reverse()) as unknown as Best;
    await writeBest(path, shuffled);
    const text = await Deno.readTextFile(path);
    assertEquals(text, JSON.stringify(BEST, null, 2) + "\n");
    assertEquals(bestJson(BEST), text);
    assertEquals(await readBest(path), BEST);
  });
});

Deno.test("best.json: a missing field, a string field, bad JSON, no file", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/best.json`;
    const { epoch: _, ...noEpoch } = BEST;
    await Deno.writeTextFile(path, JSON.stringify(noEpoch));
    await rejectsNaming(() => readBest(path), path, "field 'epoch' must be a number");
    await Deno.writeTextFile(path, JSON.stringify({ ...BEST, P: "4" }));
    await rejectsNaming(() => readBest(path), path, "field 'P' must be a number");
    await Deno.writeTextFile(path, "{ not json");
    await rejectsNaming(() => readBest(path), path, "invalid JSON");
    await Deno.writeTextFile(path, "[1, 2]");
    await rejectsNaming(() => readBest(path), path, "not a JSON object");
    await rejectsNaming(() => readBest(`${dir}/absent.json`), `${dir}/absent.json`, "cannot read");
  });
});

Deno.test("metrics.csv and history.csv: the same rows, history without seconds", async () => {
  await inTemp(async (dir) => {
    await writeMetrics(`${dir}/metrics.csv`, ROWS);
    await writeHistory(`${dir}/history.csv`, ROWS);
    const metrics = await Deno.readTextFile(`${dir}/metrics.csv`);
    const history = await Deno.readTextFile(`${dir}/history.csv`);
    assertEquals(
      metrics,
      "epoch,lr,train_loss,train_acc,test_loss,test_acc,seconds\n" +
        "0,0.01,2.3,0.1,2.31,0.09,0\n" +
        "1,0.01,0.3333333333333333,0.5,0.4,0.45,1.235\n",
    );
    assertEquals(metricsCsv(ROWS), metrics);
    assertEquals(historyCsv(ROWS), history);
    assertEquals(history, metrics.split("\n").map((l) => l.replace(/,[^,]*$/, "")).join("\n"));
    const read = await readMetrics(`${dir}/metrics.csv`);
    assertEquals(read.map((r) => r.seconds), [0, 1.235]);
    assertEquals(read.map((r) => r.train_loss), ROWS.map((r) => r.train_loss));
    const hist = await readHistory(`${dir}/history.csv`);
    assertEquals(hist, ROWS.map(({ seconds: _, ...h }) => h));
  });
});

Deno.test("metrics.csv / history.csv: missing column, non-number, no rows", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/history.csv`;
    await Deno.writeTextFile(path, "epoch,lr,train_loss,train_acc,test_loss\n0,0.1,1,0.5,1\n");
    await rejectsNaming(() => readHistory(path), path, "missing column 'test_acc'");
    await writeHistory(path, ROWS);
    await rejectsNaming(() => readMetrics(path), path, "missing column 'seconds'");
    await Deno.writeTextFile(path, historyCsv(ROWS).replace("0.3333333333333333", "x"));
    await rejectsNaming(() => readHistory(path), path, "line 3, column 'train_loss'");
    await Deno.writeTextFile(path, historyCsv([]));
    await rejectsNaming(() => readHistory(path), path, "no rows");
    await Deno.writeTextFile(path, "");
    await rejectsNaming(() => readHistory(path), path, "empty CSV");
  });
});

Deno.test("trajectory.npy: round trip; wrong dtype, wrong rank, not .npy", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/trajectory.npy`;
    const data = Float64Array.from({ length: 12 }, (_, i) => i / 7);
    await writeTrajectory(path, { data, rows: 3, n: 4 });
    const t = await readTrajectory(path);
    assertEquals([t.rows, t.n], [3, 4]);
    assertEquals(Array.from(t.data), Array.from(data));
    await writeNpy(path, Float32Array.from(data), [3, 4]);
    await rejectsNaming(() => readTrajectory(path), path, "dtype must be <f8");
    await writeNpy(path, data, [12]);
    await rejectsNaming(() => readTrajectory(path), path, "shape must be [epochs + 1, N]");
    await Deno.writeTextFile(path, "not numpy");
    await rejectsNaming(() => readTrajectory(path), path, "not a valid .npy file");
  });
});

Deno.test("hessian.json: round trip in the documented key order; malformed parts", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/hessian.json`;
    const { P, d, seed, n_params, epoch, hvp, n_samples, ...analysis } = HESSIAN;
    // The step's own construction: identity, then the analysis, then hvp and the sample count.
    const stepOrder = { P, d, seed, n_params, epoch, ...analysis, hvp, n_samples };
    await writeHessian(path, { ...HESSIAN, hvp: { ...hvp } });
    assertEquals(await Deno.readTextFile(path), JSON.stringify(stepOrder, null, 2) + "\n");
    assertEquals(await readHessian(path), HESSIAN as unknown);
    await Deno.writeTextFile(path, JSON.stringify({ ...HESSIAN, lambda_max: null }));
    await rejectsNaming(() => readHessian(path), path, "field 'lambda_max' must be a number");
    await Deno.writeTextFile(path, JSON.stringify({ ...HESSIAN, curvature: 3 }));
    await rejectsNaming(() => readHessian(path), path, "field 'curvature' must be an object");
    await Deno.writeTextFile(path, JSON.stringify({ ...HESSIAN, gauss_newton: { top: [] } }));
    await rejectsNaming(() => readHessian(path), path, "(gauss_newton): field 'lambda_max'");
  });
});

Deno.test("density.csv: round trip (sorted by lambda); malformed", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/density.csv`;
    await writeDensity(path, [[-0.5, 0.25], [0, 1], [1.5, 1e-7]]);
    assertEquals(await Deno.readTextFile(path), "lambda,density\n-0.5,0.25\n0,1\n1.5,1e-7\n");
    assertEquals(await readDensity(path), [
      { lambda: -0.5, density: 0.25 },
      { lambda: 0, density: 1 },
      { lambda: 1.5, density: 1e-7 },
    ]);
    await Deno.writeTextFile(path, "lambda,value\n0,1\n");
    await rejectsNaming(() => readDensity(path), path, "missing column 'density'");
    await Deno.writeTextFile(path, "lambda,density\n0,1,2\n");
    await rejectsNaming(() => readDensity(path), path, "line 2 has 3 cells");
  });
});

Deno.test("landscape.json: round trip; grid and trajectory shapes checked", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/landscape.json`;
    await writeLandscape(path, LANDSCAPE);
    const text = await Deno.readTextFile(path);
    assertEquals(text, JSON.stringify(LANDSCAPE, null, 2) + "\n");
    assertEquals(landscapeJson(LANDSCAPE), text);
    // The reader keeps the optional fields it knows (n_samples, plane, residuals).
    assertEquals(await readLandscape(path), LANDSCAPE);
    const bad = async (patch: Partial<Record<keyof Landscape, unknown>>, problem: string) => {
      await Deno.writeTextFile(path, JSON.stringify({ ...LANDSCAPE, ...patch }));
      await rejectsNaming(() => readLandscape(path), path, problem);
    };
    await bad({ loss: [[1, 2, 3]] }, "loss must have 2 rows");
    await bad({ loss: [[1, 2, 3], [1, 2]] }, "loss[1] has 2 values, x has 3");
    await bad({ trajectory: [] }, "trajectory must be a non-empty array");
    await bad({ trajectory: [[1, 2, 3]] }, "trajectory[0] must be [x, y]");
    await bad({ x: [0] }, "x and y need at least two grid coordinates");
    await bad({ explained_variance_ratio: [0.5] }, "explained_variance_ratio needs two values");
    await bad({ min_epoch: "3" }, "field 'min_epoch' must be a number");
  });
});

Deno.test("tables.json and manifest.json: round trip; wrong format tag", async () => {
  await inTemp(async (dir) => {
    const doc: TablesDocument = {
      format: "qnn-tables/1",
      study: {
        Ps: [4],
        ds: [2],
        seeds: [1001],
        first_seed: 1001,
        runs: 1,
        available: {},
        notes: [],
      },
      tables: [],
    };
    await Deno.writeTextFile(`${dir}/tables.json`, tablesJson(doc));
    assertEquals(await readTablesDocument(dir), doc);
    const manifest: FiguresManifest = { format: "qnn-figures/1", figures: [] };
    await Deno.writeTextFile(`${dir}/manifest.json`, manifestJson(manifest));
    assertEquals(await readFiguresManifest(dir), manifest);
    await Deno.writeTextFile(`${dir}/tables.json`, JSON.stringify({ ...doc, format: "x" }));
    await rejectsNaming(
      () => readTablesDocument(dir),
      `${dir}/tables.json`,
      "not a tables document",
    );
    await Deno.writeTextFile(`${dir}/manifest.json`, "{");
    await rejectsNaming(
      () => readFiguresManifest(dir),
      `${dir}/manifest.json`,
      "cannot read the figures manifest",
    );
  });
});
