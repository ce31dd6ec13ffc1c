/**
 * Runs the tables, charts and report steps on synthetic fixtures, the way
 * the pipeline wires them: in-process through `makeContext`, or as separate
 * `deno run` processes with least privilege (read: their inputs, the
 * context file and the renderer's npm package directories; write: their
 * outputs).
 *
 * @module
 */

import { type ContextFile, makeContext, type UpstreamRecord } from "../../lib/step/context.ts";
import { main as tablesMain } from "../../steps/tables.ts";
import { main as chartsMain } from "../../steps/charts.ts";
import { main as reportMain } from "../../steps/report.ts";
import { rendererFiles } from "../../lib/charts/mod.ts";
import { type FixtureOptions, writeFixtures } from "./fixtures.ts";

/** Where each step wrote. */
export interface PipelineOutputs {
  tables: string;
  figures: string;
  report: string;
  html: string;
}

const ROOT = new URL("../..", import.meta.url).pathname;

/** Upstream provenance as a runner would pass it. */
export const UPSTREAM: UpstreamRecord[] = [
  {
    id: "train[P=4,d=2,seed=1001]",
    step: "train",
    key: "k-train",
    code: "a1b2c3d4e5f6a7b8c9d0",
    npm: ["mathjs@15.2.0"],
  },
  {
    id: "hessian[P=4,d=2,seed=1001]",
    step: "hessian",
    key: "k-hess",
    code: "0f0e0d0c0b0a",
    npm: [],
  },
];

function contexts(dir: string, fixtures: Awaited<ReturnType<typeof writeFixtures>>) {
  const inputs = fixtures.inputs;
  const base = (step: string) => ({
    protocol: 1 as const,
    id: step,
    step,
    matrix: {},
    checkpoint_dir: `${dir}/work/${step}/checkpoint`,
    scratch_dir: `${dir}/work/${step}/scratch`,
    cores: 1,
  });
  const out = {
    tables: `${dir}/out/tables`,
    figures: `${dir}/out/figures`,
    report: `${dir}/out/report`,
  };
  const files: Record<"tables" | "charts" | "report", ContextFile> = {
    tables: {
      ...base("tables"),
      params: { seeds: [1001, 1002] },
      inputs: {
        best: inputs.best,
        metrics: inputs.metrics,
        hessian: inputs.hessian,
        landscape: inputs.landscape,
      },
      outputs: { "tables/": out.tables },
    },
    charts: {
      ...base("charts"),
      params: { seeds: [1001, 1002] },
      inputs: { ...inputs, ...(fixtures.images ? { images: fixtures.images } : {}) },
      outputs: { "figures/": out.figures },
    },
    report: {
      ...base("report"),
      params: {
        profile_name: "fixture-profile",
        seeds: [1001, 1002],
        epochs: 8,
      },
      inputs: { tables: out.tables, figures: out.figures },
      outputs: { "report/": out.report },
      upstream: UPSTREAM,
    },
  };
  return { files, out };
}

/** Runs the three steps in-process on fresh fixtures under `dir`. */
export async function runInProcess(
  dir: string,
  opts: FixtureOptions = {},
): Promise<PipelineOutputs> {
  const f = await writeFixtures(`${dir}/in`, { seeds: [1001, 1002], ...opts });
  const { files, out } = contexts(dir, f);
  const quiet = (file: ContextFile) => ({
    ...makeContext(file),
    log: () => {},
    progress: () => {},
  });
  await tablesMain(quiet(files.tables));
  await chartsMain(quiet(files.charts));
  await reportMain(quiet(files.report));
  return { ...out, html: `${out.report}/index.html` };
}

/** Runs the three steps as `deno run` processes with least privilege. */
export async function runAsProcesses(
  dir: string,
  opts: FixtureOptions = {},
): Promise<PipelineOutputs> {
  const f = await writeFixtures(`${dir}/in`, { seeds: [1001, 1002], ...opts });
  const { files, out } = contexts(dir, f);
  const npmDirs = (() => {
    const r = rendererFiles();
    const parent = (p: string) => p.slice(0, p.lastIndexOf("/"));
    // The package directories (the font files sit in the package's ttf/ folder).
    return [parent(r.wasm), parent(parent(r.fonts[0]))];
  })();
  const run = async (step: "tables" | "charts" | "report", reads: string[], writes: string[]) => {
    const ctxPath = `${dir}/work/${step}.context.json`;
    await Deno.mkdir(`${dir}/work`, { recursive: true });
    await Deno.writeTextFile(ctxPath, JSON.stringify(files[step]));
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-lock",
        "--no-prompt",
        `--allow-read=${[ctxPath, ...reads].join(",")}`,
        `--allow-write=${writes.join(",")}`,
        `steps/${step}.ts`,
        ctxPath,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    });
    const res = await cmd.output();
    if (!res.success) {
      const err = new TextDecoder().decode(res.stderr);
      throw new Error(`step ${step} failed (exit ${res.code}):\n${err}`);
    }
  };
  const inputs = `${dir}/in`;
  await run("tables", [inputs], [out.tables]);
  await run("charts", [inputs, ...npmDirs], [out.figures]);
  await run("report", [out.tables, out.figures], [out.report]);
  return { ...out, html: `${out.report}/index.html` };
}
