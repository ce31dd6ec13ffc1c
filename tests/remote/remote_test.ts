/**
 * Integration: the remote cache through the real CLI, on a directory and on
 * a real S3-compatible server (OpenStack Swift with s3api on 127.0.0.1, see
 * s3_server.ts). The S3 tests are skipped, with the reason in their names,
 * where no server can start.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  cli,
  makeProject,
  ran,
  removeProject,
  replaceIn,
  spawnCli,
  waitFor,
} from "../pipeline/helpers.ts";
import { s3TestName, startTestS3, type TestS3 } from "./s3_server.ts";
import { sha256Hex } from "../../lib/pipeline/keys/mod.ts";

/** A fresh, empty remote of one backend, as the tests see it. */
interface TestRemote {
  url: string;
  env: Record<string, string>;
  /** Object names under a prefix (`blobs/`, `records/`). */
  names(prefix: string): Promise<string[]>;
  read(name: string): Promise<Uint8Array>;
  write(name: string, bytes: Uint8Array): Promise<void>;
}

interface Backend {
  label: string;
  ignore: boolean;
  fresh(): Promise<TestRemote>;
}

async function walk(root: string, rel = "", out: string[] = []): Promise<string[]> {
  try {
    for await (const e of Deno.readDir(join(root, rel))) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(root, p, out);
      else out.push(p);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}

const cleanups: (() => Promise<void>)[] = [];

const fsBackend: Backend = {
  label: "directory",
  ignore: false,
  async fresh() {
    const root = await Deno.makeTempDir({ prefix: "pipeline-remote-" });
    cleanups.push(() => Deno.remove(root, { recursive: true }).catch(() => {}));
    return {
      url: root,
      env: {},
      names: async (prefix) =>
        (await walk(root)).filter((n) =>
          n.startsWith(prefix) && !n.split("/").pop()!.startsWith(".")
        ),
      read: (name) => Deno.readFile(join(root, name)),
      write: async (name, bytes) => {
        await Deno.chmod(join(root, name), 0o644);
        await Deno.writeFile(join(root, name), bytes);
      },
    };
  },
};

const s3: TestS3 | { reason: string } = await startTestS3();
const s3Backend: Backend = {
  label: "S3 (Swift s3api)",
  ignore: "reason" in s3,
  async fresh() {
    const srv = s3 as TestS3;
    const bucket = await srv.newBucket();
    const prefix = "cache/v1";
    return {
      url: `s3://${bucket}/${prefix}`,
      env: srv.env,
      names: async (p) =>
        (await srv.list(bucket, `${prefix}/${p}`)).map((k) => k.slice(prefix.length + 1)),
      read: (name) => srv.get(bucket, `${prefix}/${name}`),
      write: (name, bytes) => srv.put(bucket, `${prefix}/${name}`, bytes),
    };
  },
};

/** Every published file of a project (default profile): relative path -> SHA-256. */
async function published(dir: string): Promise<Record<string, string>> {
  const root = join(dir, "artifacts/out/default");
  const out: Record<string, string> = {};
  for (const f of await walk(root)) out[f] = sha256Hex(await Deno.readFile(join(root, f)));
  return out;
}

/** Every file of a project's store with its hash (to tell whether a command changed it). */
async function storeSnapshot(dir: string): Promise<Record<string, string>> {
  const root = join(dir, "artifacts");
  const out: Record<string, string> = {};
  for (const f of await walk(root)) out[f] = sha256Hex(await Deno.readFile(join(root, f)));
  return out;
}

/** The request counts the CLI wrote (PIPELINE_REMOTE_STATS). */
async function statsOf(
  dir: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string; counts: Record<string, number> }> {
  const file = join(dir, `stats-${crypto.randomUUID()}.json`);
  const r = await cli(dir, args, { ...env, PIPELINE_REMOTE_STATS: file });
  const counts = JSON.parse(await Deno.readTextFile(file));
  await Deno.remove(file);
  return { code: r.code, out: r.stdout, err: r.stderr, counts };
}

/** Project A: the mini fixture, reproduced once, shared by every test. */
let projectA: Promise<{ dir: string; out: Record<string, string> }> | undefined;
function storeA() {
  projectA ??= (async () => {
    const dir = await makeProject();
    cleanups.push(() => removeProject(dir));
    const r = await cli(dir, ["reproduce"]);
    equal(r.code, 0, r.stderr);
    return { dir, out: await published(dir) };
  })();
  return projectA;
}

async function freshCopy(): Promise<string> {
  const dir = await makeProject();
  cleanups.push(() => removeProject(dir));
  return dir;
}

/** Each remote record names only blobs the remote has, with their bytes (nothing half-pushed). */
async function remoteConsistent(remote: TestRemote): Promise<number> {
  const blobs = new Set(await remote.names("blobs/"));
  const records = await remote.names("records/");
  for (const name of records) {
    const rec = JSON.parse(new TextDecoder().decode(await remote.read(name)));
    for (const o of Object.values(rec.outputs) as { hash: string }[]) {
      ok(blobs.has(`blobs/sha256/${o.hash.slice(0, 2)}/${o.hash}`), `${name} names a missing blob`);
    }
  }
  return records.length;
}

for (const backend of [fsBackend, s3Backend]) {
  const name = (what: string) =>
    backend === s3Backend
      ? s3TestName(`remote (${backend.label}): ${what}`, s3)
      : `remote (${backend.label}): ${what}`;

  Deno.test({
    name: name("push to an empty remote; reproduce --pull in a fresh copy runs nothing"),
    ignore: backend.ignore,
    async fn() {
      const a = await storeA();
      const remote = await backend.fresh();
      const p1 = await statsOf(a.dir, ["push", "--remote", remote.url], remote.env);
      equal(p1.code, 0, p1.err);
      match(p1.out, /pushed 8 record\(s\)/);
      equal(await remoteConsistent(remote), 8);

      // A second push makes existence checks only: one per record, no upload.
      const p2 = await statsOf(a.dir, ["push", "--remote", remote.url], remote.env);
      equal(p2.code, 0, p2.err);
      equal(p2.counts.uploads, 0, p2.out);
      equal(p2.counts.checks, 8, p2.out);
      match(p2.out, /pushed 0 record\(s\).*8 already there/);

      const b = await freshCopy();
      const r = await cli(b, ["reproduce", "--pull", "--remote", remote.url], remote.env);
      equal(r.code, 0, r.stderr);
      deepStrictEqual(ran(r.stdout), []);
      match(r.stdout, /pulled 8 instance\(s\)/);
      match(r.stdout, /ran 0, cached 8, failed 0/);
      deepStrictEqual(await published(b), a.out);
    },
  });

  Deno.test({
    name: name("a byte flipped on the remote is caught on pull and the instance recomputed"),
    ignore: backend.ignore,
    async fn() {
      const a = await storeA();
      const remote = await backend.fresh();
      equal((await cli(a.dir, ["push", "--remote", remote.url], remote.env)).code, 0);
      // Damage the blob of total's output (same size, one byte changed).
      const idx = JSON.parse(
        await Deno.readTextFile(join(a.dir, "artifacts/index/default/total.json")),
      );
      const rec = JSON.parse(
        await Deno.readTextFile(join(a.dir, "artifacts/records", `${idx.key}.json`)),
      );
      const h = rec.outputs.total.hash;
      const blob = `blobs/sha256/${h.slice(0, 2)}/${h}`;
      const bytes = await remote.read(blob);
      bytes[0] ^= 0x20;
      await remote.write(blob, bytes);

      const c = await freshCopy();
      const r = await cli(c, ["reproduce", "--pull", "--remote", remote.url], remote.env);
      equal(r.code, 0, r.stderr);
      match(r.stderr, /not using the remote's copy of total: .* does not match its hash/);
      deepStrictEqual(ran(r.stdout), ["total"]);
      deepStrictEqual(await published(c), a.out);
      // The damaged bytes never entered the store.
      const mine = await Deno.readFile(join(c, "artifacts/blobs/sha256", h.slice(0, 2), h));
      equal(sha256Hex(mine), h);
    },
  });

  Deno.test({
    name: name(
      "SIGKILL during a push: the partial upload is not taken as complete; the next push completes it",
    ),
    ignore: backend.ignore,
    async fn() {
      const a = await storeA();
      const remote = await backend.fresh();
      const slow = { ...remote.env, PIPELINE_REMOTE_UPLOAD_DELAY_MS: "200" };
      const p = spawnCli(a.dir, ["push", "--remote", remote.url, "--jobs", "1"], slow);
      await waitFor(async () => (await remote.names("blobs/")).length >= 3 ? true : undefined);
      p.child.kill("SIGKILL");
      await p.done;
      const partial = await remoteConsistent(remote);
      ok(partial < 8, `the push finished before it was killed (${partial} records)`);

      const d = await freshCopy();
      const pull = await cli(d, ["pull", "--remote", remote.url], remote.env);
      equal(pull.code, 0, pull.stderr);
      const r = await cli(d, ["reproduce"]);
      equal(r.code, 0, r.stderr);
      equal(ran(r.stdout).length, 8 - partial, r.stdout);
      deepStrictEqual(await published(d), a.out);

      const again = await cli(a.dir, ["push", "--remote", remote.url], remote.env);
      equal(again.code, 0, again.stderr);
      match(again.stdout, new RegExp(`pushed ${8 - partial} record\\(s\\)`));
      equal(await remoteConsistent(remote), 8);
    },
  });

  Deno.test({
    name: name(
      "archive bundles are pushed and pulled by name; verify --archive checks the pulled one",
    ),
    ignore: backend.ignore,
    async fn() {
      const a = await storeA();
      const remote = await backend.fresh();
      const bundle = `bundle-${crypto.randomUUID().slice(0, 6)}`;
      const out = join(a.dir, "artifacts/archives", bundle);
      equal((await cli(a.dir, ["archive", "--out", out])).code, 0);
      const p = await cli(a.dir, ["push", "--remote", remote.url, "--archive", bundle], remote.env);
      equal(p.code, 0, p.stderr);
      const e = await freshCopy();
      const g = await cli(e, ["pull", "--remote", remote.url, "--archive", bundle], remote.env);
      equal(g.code, 0, g.stderr);
      const v = await cli(e, ["verify", "--archive", join(e, "artifacts/archives", bundle)]);
      equal(v.code, 0, v.stdout + v.stderr);
      match(v.stdout, /all good/);
    },
  });
}

Deno.test({
  name: s3TestName(
    "remote (S3): wrong credentials or an unreachable server: one line, exit 4, store unchanged",
    s3,
  ),
  ignore: "reason" in s3,
  async fn() {
    const a = await storeA();
    const remote = await s3Backend.fresh();
    const before = await storeSnapshot(a.dir);
    for (
      const env of [
        { ...remote.env, AWS_SECRET_ACCESS_KEY: "wrong-secret" },
        { ...remote.env, PIPELINE_S3_ENDPOINT: "http://127.0.0.1:9" },
      ]
    ) {
      for (const args of [["push"], ["pull"], ["reproduce", "--pull"]]) {
        const r = await cli(a.dir, [...args, "--remote", remote.url], env);
        equal(r.code, 4, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
        const lines = r.stderr.trim().split("\n");
        equal(lines.length, 1, r.stderr);
        match(lines[0], /^error: remote: .*(access denied|cannot reach)/);
        ok(!r.stderr.includes("wrong-secret"), "the secret is printed");
      }
    }
    deepStrictEqual(await storeSnapshot(a.dir), before);
  },
});

Deno.test("remote (directory): an unreachable remote is one line, exit 4, the store unchanged", async () => {
  const a = await storeA();
  const before = await storeSnapshot(a.dir);
  for (const args of [["pull"], ["reproduce", "--pull"]]) {
    const r = await cli(a.dir, [...args, "--remote", "/nonexistent/remote/cache"]);
    equal(r.code, 4, r.stdout + r.stderr);
    equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    match(r.stderr, /^error: remote: \/nonexistent\/remote\/cache does not exist/);
  }
  deepStrictEqual(await storeSnapshot(a.dir), before);
});

Deno.test("remote (directory): a push while a reproduce runs on the same store is safe", async () => {
  const a = await storeA();
  const remote = await fsBackend.fresh();
  // The slow profile's count step takes seconds; push the default profile meanwhile.
  const run = spawnCli(a.dir, ["reproduce", "--profile", "slow"]);
  await waitFor(async () =>
    (await Deno.stat(join(a.dir, "artifacts/lock")).then(() => true, () => false)) || undefined
  );
  const p = await cli(a.dir, ["push", "--remote", remote.url]);
  equal(p.code, 0, p.stderr);
  equal((await run.done).code, 0);
  equal(await remoteConsistent(remote), 8);
  const f = await freshCopy();
  const r = await cli(f, ["reproduce", "--pull", "--remote", remote.url]);
  deepStrictEqual(ran(r.stdout), []);
  deepStrictEqual(await published(f), a.out);
});

Deno.test("remote: remotes: in pipeline.yaml (default used without --remote); credentials refused", async () => {
  const a = await storeA();
  const remote = await fsBackend.fresh();
  const b = await freshCopy();
  for (const dir of [a.dir, b]) {
    await replaceIn(
      dir,
      "pipeline.yaml",
      "open: summary/total.json",
      `open: summary/total.json\nremotes:\n  default: nfs\n  nfs: { url: ${remote.url} }\n  lab: { url: s3://bucket/prefix }\n`,
    );
  }
  const p = await cli(a.dir, ["push"]);
  equal(p.code, 0, p.stderr);
  match(p.stdout, /to nfs;/);
  const r = await cli(b, ["reproduce", "--pull"]);
  equal(r.code, 0, r.stderr);
  deepStrictEqual(ran(r.stdout), []);
  await replaceIn(
    b,
    "pipeline.yaml",
    "lab: { url: s3://bucket/prefix }",
    "lab: { url: s3://bucket/prefix, secret_key: abc }",
  );
  const bad = await cli(b, ["status"]);
  equal(bad.code, 2);
  match(
    bad.stderr,
    /'secret_key' looks like a credential, and credentials never go in the pipeline file/,
  );
  ok(!bad.stderr.includes("abc"));
  // Put the shared project back as it was.
  await replaceIn(
    a.dir,
    "pipeline.yaml",
    `remotes:\n  default: nfs\n  nfs: { url: ${remote.url} }\n  lab: { url: s3://bucket/prefix }\n`,
    "",
  );
});

Deno.test({
  name: "remote: cleanup",
  sanitizeResources: false,
  async fn() {
    for (const c of cleanups.reverse()) await c();
    if (!("reason" in s3)) await s3.stop();
  },
});
