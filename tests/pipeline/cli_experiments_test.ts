/**
 * Integration: experiments on the mini fixture — overrides (what reruns,
 * cache hits, validation), the run history, metrics, compare (runs, a git
 * revision, figures) and gc keeping what listed runs reach.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { cli, ran, records, removeProject, replaceIn } from "./helpers.ts";
import { git, makeExperimentProject } from "./experiments_helpers.ts";

const ALL = [
  "count",
  "curve",
  "gen",
  "merge",
  "split",
  "square[k=1]",
  "square[k=2]",
  "square[k=3]",
  "total",
];

/** What `compare base s3` prints after its two header lines. */
const GOLDEN_COMPARE = `
parameters that differ:
instance     parameter  A  B
square[k=1]  scale      2  3
square[k=2]  scale      2  3
square[k=3]  scale      2  3
curve        scale      2  3

metrics:
instance  metric                   A    B     change  change %
total     total.json:sum           840  1260  +420    +50.00%
curve     history.csv:loss         0.5  0.75  +0.25   +50.00%
curve     summary.json:final_loss  0.5  0.75  +0.25   +50.00%
`;

interface RunJson {
  id: string;
  name: string | null;
  profile: string;
  base: string;
  overrides: { params: Record<string, unknown> };
  git: { commit: string; dirty: boolean } | null;
  counts: { ran: number; cached: number; failed: number };
  outcome: string;
  instances: { id: string; key: string | null; outcome: string }[];
}

async function runsJson(dir: string): Promise<RunJson[]> {
  const r = await cli(dir, ["runs", "--json"]);
  equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test("experiments: overrides, runs, metrics, compare, plots, gc", async (t) => {
  const dir = await makeExperimentProject();
  try {
    await t.step("a first named run runs everything and is recorded", async () => {
      const r = await cli(dir, ["reproduce", "--name", "base"]);
      equal(r.code, 0, r.stderr);
      deepStrictEqual(ran(r.stdout), ALL);
      match(r.stdout, /^run \S+ \(base\) recorded/m);
    });

    await t.step("an override reruns exactly the instances it reaches", async () => {
      const r = await cli(dir, ["reproduce", "--set", "scale=3", "--name", "s3"]);
      equal(r.code, 0, r.stderr);
      deepStrictEqual(ran(r.stdout), [
        "curve",
        "square[k=1]",
        "square[k=2]",
        "square[k=3]",
        "total",
      ]);
    });

    await t.step("repeating it, or an equivalent override set, runs nothing", async () => {
      const again = await cli(dir, ["reproduce", "--set", "scale=3"]);
      equal(again.code, 0, again.stderr);
      deepStrictEqual(ran(again.stdout), []);
      // epochs=3 is the default value: the same parameters, so the same experiment.
      const same = await cli(dir, ["reproduce", "--set", "epochs=3", "--set", "scale=3"]);
      equal(same.code, 0, same.stderr);
      deepStrictEqual(ran(same.stdout), []);
      const runs = await runsJson(dir);
      equal(runs[0].profile, runs[2].profile);
      ok(runs[0].profile.startsWith("default+"), runs[0].profile);
      deepStrictEqual(runs[0].overrides.params, { scale: 3 });
      const st = await cli(dir, ["status", "--set", "scale=3"]);
      match(st.stdout, /9 up to date, 0 would run/);
    });

    await t.step("an invalid override runs nothing and exits 2", async () => {
      const before = (await records(dir)).length;
      const runsBefore = (await runsJson(dir)).length;
      for (
        const [args, msg] of [
          [["--set", "scale=0"], /parameter 'scale' must be an integer >= 1, got 0/],
          [["--set", "scale=abc"], /parameter 'scale' must be an integer >= 1, got "abc"/],
          [["--set", "scal=3"], /unknown parameter 'scal' \(did you mean 'scale'\?\)/],
          [["--set-matrix", "kk=1,2"], /unknown axis 'kk' \(did you mean 'k'\?\)/],
          [["--set", "scale"], /must be NAME=VALUE/],
        ] as const
      ) {
        const r = await cli(dir, ["reproduce", ...args]);
        equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
        match(r.stderr, msg);
        match(r.stderr, /nothing was run/);
        deepStrictEqual(ran(r.stdout), []);
      }
      equal((await records(dir)).length, before);
      equal((await runsJson(dir)).length, runsBefore);
    });

    await t.step("--set-matrix narrows an axis", async () => {
      const r = await cli(dir, ["dag", "--instances", "--set-matrix", "k=[2]"]);
      equal(r.code, 0, r.stderr);
      ok(r.stdout.includes("square[k=2]") && !r.stdout.includes("square[k=1]"), r.stdout);
    });

    await t.step("runs lists both named runs, newest first", async () => {
      const r = await cli(dir, ["runs"]);
      equal(r.code, 0, r.stderr);
      const lines = r.stdout.split("\n");
      match(lines[0], /^id +name +started +profile +overrides +commit +ran +cached +failed/);
      const s3 = lines.findIndex((l) => / s3 /.test(l));
      const base = lines.findIndex((l) => / base /.test(l));
      ok(s3 > 0 && base > s3, r.stdout);
      match(lines[s3], /scale=3 +[0-9a-f]{10} +5 +4 +0 .* ok$/);
      const runs = await runsJson(dir);
      const b = runs.find((x) => x.name === "base")!;
      equal(b.counts.ran, 9);
      equal(b.git?.dirty, false);
      ok(b.instances.every((i) => i.key && i.outcome === "ran"));
    });

    await t.step("metrics prints the declared metrics per instance", async () => {
      const r = await cli(dir, ["metrics", "s3"]);
      equal(r.code, 0, r.stderr);
      match(r.stdout, /^curve +summary\.json:final_loss +0\.75$/m);
      match(r.stdout, /^total +total\.json:sum +1260$/m);
    });

    await t.step("compare prints the changed parameter and metrics (golden)", async () => {
      const r = await cli(dir, ["compare", "base", "s3"]);
      equal(r.code, 0, r.stderr);
      const [a, b, ...rest] = r.stdout.split("\n");
      match(a, /^A \(base\): run base \(\S+\), profile default, commit [0-9a-f]{10}$/);
      match(b, /^B \(s3\): run s3 \(\S+\), profile default with scale=3, commit /);
      equal(rest.join("\n"), GOLDEN_COMPARE);
      const j = JSON.parse((await cli(dir, ["compare", "base", "s3", "--json"])).stdout);
      deepStrictEqual(j.params[0], { instance: "square[k=1]", param: "scale", a: 2, b: 3 });
      const md = (await cli(dir, ["compare", "base", "s3", "--md"])).stdout;
      match(md, /^\| total \| total\.json:sum \| 840 \| 1260 \| \+420 \| \+50\.00% \|$/m);
      // A profile against the same with overrides: the same answer from the store.
      const o = await cli(dir, ["compare", "--set", "scale=3"]);
      equal(o.code, 0, o.stderr);
      match(o.stdout, /^total +total\.json:sum +840 +1260 +\+420 +\+50\.00%$/m);
    });

    await t.step("--plots writes valid SVG with both runs' lines", async () => {
      const r = await cli(dir, ["compare", "base", "s3", "--plots", "plots"]);
      equal(r.code, 0, r.stderr);
      const svg = await Deno.readTextFile(join(dir, "plots/history.csv_loss.svg"));
      ok(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"));
      for (const run of ["base", "s3"]) {
        match(svg, new RegExp(`aria-roledescription="line mark"[^>]*|run: ${run}; side: ${run}`));
        ok(svg.includes(`run: ${run};`), `no line of ${run}`);
      }
      // resvg parsed it into a PNG: the SVG is well-formed.
      const png = await Deno.readFile(join(dir, "plots/history.csv_loss.png"));
      deepStrictEqual([...png.slice(1, 4)], [0x50, 0x4e, 0x47]);
      match(await Deno.readTextFile(join(dir, "plots/index.html")), /<svg/);
    });

    await t.step("compare --rev against the committed earlier revision", async () => {
      await replaceIn(dir, "pipeline.yaml", "value: 2, type: integer", "value: 4, type: integer");
      await git(dir, "commit", "-qam", "scale 4");
      const r = await cli(dir, ["reproduce", "--name", "s4"]);
      equal(r.code, 0, r.stderr);
      const c = await cli(dir, ["compare", "--rev", "HEAD~1"]);
      equal(c.code, 0, c.stderr);
      match(c.stdout, /^A \(HEAD~1\): revision HEAD~1 \([0-9a-f]{10}\), profile default$/m);
      match(c.stdout, /^curve +scale +2 +4$/m);
      match(c.stdout, /^total +total\.json:sum +840 +1680 +\+840 +\+100\.00%$/m);
    });

    await t.step("gc keeps what listed runs reach; runs --drop releases it", async () => {
      const keep = await cli(dir, ["gc"]);
      equal(keep.code, 0, keep.stderr);
      match(keep.stdout, /^ {2}records +0 /m);
      const runs = await runsJson(dir);
      const drop = runs.filter((x) => x.base === "default" && x.profile !== "default");
      const d = await cli(dir, ["runs", "--drop", ...drop.map((x) => x.id)]);
      equal(d.code, 0, d.stderr);
      const freed = await cli(dir, ["gc"]);
      match(freed.stdout, /^ {2}records +5 /m);
      // The scale=2 results stay: the run 'base' still lists them.
      const m = await cli(dir, ["metrics", "base"]);
      match(m.stdout, /^total +total\.json:sum +840$/m);
    });
  } finally {
    await removeProject(dir);
  }
});
