/** Integration: each step runs with least privilege. */
import { equal, match } from "node:assert/strict";
import { join } from "node:path";
import { cli, makeProject, outputText, removeProject, writeFile } from "./helpers.ts";

function pipeline(extra: string): string {
  return `version: 1
params:
  path: null
  url: "http://127.0.0.1:9/"
steps:
${extra}
`;
}

Deno.test("permissions: reading a file that was not granted fails; a granted ${param} path works", async () => {
  const dir = await makeProject();
  try {
    const secret = join(dir, "secret.txt");
    await Deno.writeTextFile(secret, "top secret\n");
    await writeFile(
      dir,
      "pipeline.yaml",
      pipeline(`  peek:
    module: steps/peek.ts
    params: [path]
    outputs: { copy: copy.txt }
  peek_granted:
    module: steps/peek.ts
    params: [path]
    outputs: { copy: copy.txt }
    permissions: { read: ["\${path}"] }
profiles:
  p: { params: { path: "${secret}" } }
`),
    );
    const denied = await cli(dir, ["reproduce", "--profile", "p", "--only", "peek"]);
    equal(denied.code, 1, denied.stdout + denied.stderr);
    match(denied.stdout, /✗ peek {2}/);
    match(denied.stdout, /NotCapable: Requires read access to ".*secret\.txt"/);

    const granted = await cli(dir, ["reproduce", "--profile", "p", "--only", "peek_granted"]);
    equal(granted.code, 0, granted.stdout + granted.stderr);
    equal(await outputText(dir, "peek_granted", "copy", "p"), "top secret\n");

    // A null parameter drops the grant entry instead of granting an empty path.
    const ex = await cli(dir, ["explain", "peek_granted"]);
    equal(ex.code, 0, ex.stderr);
    match(
      ex.stdout,
      /grants beyond code\/inputs\/outputs: net \(none\); read \(none\); env \(none\)/,
    );
    const exP = await cli(dir, ["explain", "peek_granted", "--profile", "p"]);
    match(exP.stdout, new RegExp(`read ${secret.replaceAll(".", "\\.")};`));
  } finally {
    await removeProject(dir);
  }
});

Deno.test("permissions: a step cannot read the project's other files", async () => {
  const dir = await makeProject();
  try {
    await writeFile(
      dir,
      "pipeline.yaml",
      pipeline(`  peek:
    module: steps/peek.ts
    params: [path]
    outputs: { copy: copy.txt }
profiles:
  p: { params: { path: "lib/unrelated.ts" } }
`),
    );
    const r = await cli(dir, ["reproduce", "--profile", "p"]);
    equal(r.code, 1, r.stdout + r.stderr);
    match(r.stdout, /NotCapable: Requires read access to "lib\/unrelated\.ts"/);
  } finally {
    await removeProject(dir);
  }
});

Deno.test("permissions: network use without a grant fails; with a grant for the host it works", async () => {
  const dir = await makeProject();
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: () => {},
  }, () => new Response("hello from the server"));
  try {
    const port = server.addr.port;
    await writeFile(
      dir,
      "pipeline.yaml",
      pipeline(`  fetcher:
    module: steps/fetcher.ts
    params: [url]
    outputs: { body: body.txt }
  granted:
    module: steps/fetcher.ts
    params: [url]
    outputs: { body: body.txt }
    permissions: { net: ["127.0.0.1:${port}"] }
profiles:
  local: { params: { url: "http://127.0.0.1:${port}/" } }
`),
    );
    const denied = await cli(dir, ["reproduce", "--profile", "local", "--only", "fetcher"]);
    equal(denied.code, 1, denied.stdout + denied.stderr);
    match(denied.stdout, /NotCapable: Requires net access to "127\.0\.0\.1:\d+"/);
    const ok = await cli(dir, ["reproduce", "--profile", "local", "--only", "granted"]);
    equal(ok.code, 0, ok.stdout + ok.stderr);
    equal(await outputText(dir, "granted", "body", "local"), "hello from the server");
  } finally {
    ac.abort();
    await server.finished;
    await removeProject(dir);
  }
});
