import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { expandListFlags, intOption, parseCommand } from "../../lib/pipeline/cli/cli_args.ts";
import { UsageError } from "../../lib/pipeline/spec/diagnostics.ts";
import { interpolate, stepArgs } from "../../lib/pipeline/exec/step_command.ts";

Deno.test("list options take several values after one flag", () => {
  deepStrictEqual(expandListFlags(["--only", "a", "b[k=1,m=2]", "--jobs", "2"], ["only"]), [
    "--only",
    "a",
    "--only",
    "b[k=1,m=2]",
    "--jobs",
    "2",
  ]);
  const p = parseCommand([
    "reproduce",
    "--only",
    "train",
    "hess[P=4]",
    "--force",
    "prep",
    "--dry-run",
    "-j",
    "3",
  ]);
  deepStrictEqual(p.values.only, ["train", "hess[P=4]"]);
  deepStrictEqual(p.values.force, ["prep"]);
  equal(p.values["dry-run"], true);
  equal(p.values.jobs, "3");
});

Deno.test("unknown commands and options are usage errors", () => {
  throws(() => parseCommand(["nope"]), UsageError);
  throws(() => parseCommand(["status", "--only", "x"]), UsageError);
  throws(() => parseCommand([]), UsageError);
  throws(() => intOption("0", "jobs", 1), UsageError);
  throws(() => intOption("1.5", "jobs", 1), UsageError);
  equal(intOption(undefined, "jobs", 4), 4);
  equal(intOption("2", "jobs", 4), 2);
});

Deno.test("permission entries interpolate parameters; null or empty values drop the entry", () => {
  equal(interpolate("${dir}/x", { dir: "/data" }), "/data/x");
  equal(interpolate("host:${port}", { port: 8080 }), "host:8080");
  equal(interpolate("${dir}", { dir: null }), null);
  equal(interpolate("${dir}", { dir: "" }), null);
  equal(interpolate("plain", {}), "plain");
});

Deno.test("the step command grants exactly the listed paths", () => {
  const args = stepArgs({
    module: "/p/steps/s.ts",
    contextFile: "/p/artifacts/tmp/a/context.json",
    config: "/p/deno.json",
    grants: {
      read: ["/p/steps/s.ts", "/p/in", "/p/in"],
      write: ["/p/out"],
      net: [],
      env: ["HOME"],
    },
  });
  deepStrictEqual(args, [
    "run",
    "--no-prompt",
    "--quiet",
    "--config",
    "/p/deno.json",
    "--allow-read=/p/steps/s.ts,/p/in",
    "--allow-write=/p/out",
    "--allow-env=HOME",
    "--allow-sys=hostname",
    "/p/steps/s.ts",
    "/p/artifacts/tmp/a/context.json",
  ]);
  equal(
    stepArgs({
      module: "m",
      contextFile: "c",
      config: null,
      grants: { read: ["r"], write: ["w"], net: ["h:1"], env: [] },
    })
      .includes("--no-config"),
    true,
  );
});
