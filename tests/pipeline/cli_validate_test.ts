/** Integration: malformed pipeline files give clear errors with line:column, exit 2, and run nothing. */
import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { cli, makeProject, removeProject, replaceIn } from "./helpers.ts";

const CASES: { name: string; from: string; to: string; expect: RegExp }[] = [
  {
    name: "unknown key",
    from: "    module: steps/square.ts",
    to: "    modul: steps/square.ts",
    expect:
      /^pipeline\.yaml:18:5: unknown key 'modul' in step 'square' \(did you mean 'module'\?\)$/m,
  },
  {
    name: "cycle",
    from: "    outputs: { numbers: numbers.json }",
    to: "    inputs: { back: total.total }\n    outputs: { numbers: numbers.json }",
    expect: /^pipeline\.yaml:\d+:3: the steps form a cycle: gen -> square -> total -> gen/m,
  },
  {
    name: "missing module",
    from: "module: steps/merge.ts",
    to: "module: steps/merje.ts",
    expect: /^pipeline\.yaml:34:13: module 'steps\/merje\.ts' of step 'merge' does not exist/m,
  },
  {
    name: "bad input reference",
    from: "inputs: { parts: split.parts }",
    to: "inputs: { parts: split.part }",
    expect:
      /^pipeline\.yaml:35:22: input 'parts' of step 'merge': step 'split' has no output 'part' \(did you mean 'parts'\? valid outputs of 'split': parts\)$/m,
  },
  {
    name: "bad matrix value type",
    from: "k: [1, 2, 3]",
    to: "k: [1, {two: 2}, 3]",
    expect:
      /^pipeline\.yaml:10:10: axis 'k': a matrix value must be a number, string or boolean, got a mapping$/m,
  },
  {
    name: "unknown profile key",
    from: "small: { params: { n: 2 }, matrix: { k: [1] } }",
    to: "small: { params: { n: 2 }, matrix: { k: [1] }, resources: {} }",
    expect: /^pipeline\.yaml:43:50: unknown key 'resources' in profile 'small'/m,
  },
  {
    name: "profile overriding an unknown parameter",
    from: "slow: { params: { epochs: 8, delay_ms: 400 } }",
    to: "slow: { params: { epoch: 8, delay_ms: 400 } }",
    expect:
      /^pipeline\.yaml:44:21: profile 'slow' overrides unknown parameter 'epoch' \(did you mean 'epochs'\?\)$/m,
  },
];

Deno.test("validation: each malformed pipeline gives a positioned error, exit 2, and runs nothing", async (t) => {
  const dir = await makeProject();
  try {
    const original = await Deno.readTextFile(join(dir, "pipeline.yaml"));
    for (const c of CASES) {
      await t.step(c.name, async () => {
        await Deno.writeTextFile(join(dir, "pipeline.yaml"), original);
        await replaceIn(dir, "pipeline.yaml", c.from, c.to);
        const r = await cli(dir, ["reproduce"]);
        equal(r.code, 2, r.stdout + r.stderr);
        match(r.stderr, c.expect);
        match(r.stderr, /problems? in the pipeline file; nothing was run/);
        equal(r.stdout, "");
        equal(
          await Deno.stat(join(dir, "artifacts")).then(() => true, () => false),
          false,
          "nothing ran",
        );
      });
    }
    await t.step("several problems are all reported", async () => {
      await Deno.writeTextFile(join(dir, "pipeline.yaml"), original);
      for (const c of [CASES[0], CASES[3], CASES[4]]) {
        await replaceIn(dir, "pipeline.yaml", c.from, c.to);
      }
      const r = await cli(dir, ["status"]);
      equal(r.code, 2);
      for (const c of [CASES[0], CASES[3], CASES[4]]) match(r.stderr, c.expect);
      match(r.stderr, /4 problems/); // the unknown key also leaves the module missing
    });
  } finally {
    await removeProject(dir);
  }
});

Deno.test("usage errors exit 2: unknown command, option, profile, instance", async () => {
  const dir = await makeProject();
  try {
    const cases: [string[], RegExp][] = [
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["reproduce", "--frobnicate"], /Unknown option '--frobnicate'/],
      [
        ["reproduce", "--profile", "smok"],
        /unknown profile 'smok' \(profiles: default, small, slow\)/,
      ],
      [["reproduce", "--only", "sqare"], /'sqare' is neither a step nor an instance/],
      [
        ["explain", "square[k=9]"],
        /no instance 'square\[k=9\]' under profile 'default' \(did you mean 'square\[k=1\]'\?\)/,
      ],
      [["reproduce", "--jobs", "0"], /--jobs must be a positive integer/],
      [["dag", "--format", "svg"], /--format must be mermaid or dot/],
    ];
    for (const [args, re] of cases) {
      const r = await cli(dir, args);
      equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      match(r.stderr, re);
    }
    equal(await Deno.stat(join(dir, "artifacts")).then(() => true, () => false), false);
    const missing = await cli(dir, ["status", "--file", "nope/pipeline.yaml"]);
    equal(missing.code, 2);
    match(missing.stderr, /nope\/pipeline\.yaml: no such file/);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("every command has --help", async () => {
  const dir = await makeProject();
  try {
    for (const c of ["reproduce", "status", "explain", "dag", "verify", "gc"]) {
      const r = await cli(dir, [c, "--help"]);
      equal(r.code, 0);
      ok(r.stdout.startsWith(`usage: cli.ts ${c}`), r.stdout);
    }
    const top = await cli(dir, ["--help"]);
    equal(top.code, 0);
    match(top.stdout, /commands:\n {2}reproduce/);
  } finally {
    await removeProject(dir);
  }
});
