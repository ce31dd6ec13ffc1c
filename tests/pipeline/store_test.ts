import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { ENGINE_SALT, RUNTIME } from "../../lib/pipeline/keys/cache_key.ts";
import { sha256Hex } from "../../lib/pipeline/keys/hash.ts";
import { checkRecord } from "../../lib/pipeline/store/integrity.ts";
import { acquireLock, LockHeldError } from "../../lib/pipeline/store/lock.ts";
import type { RunRecord } from "../../lib/pipeline/store/record.ts";
import { Store } from "../../lib/pipeline/store/store.ts";

async function withStore(fn: (s: Store, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const s = new Store(join(dir, "artifacts"));
  await s.init();
  try {
    await fn(s, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function record(key: string, outputs: RunRecord["outputs"]): RunRecord {
  return {
    format: 1,
    key,
    step: "s",
    id: `s[k=${key.slice(0, 1)}]`,
    matrix: {},
    profile: "default",
    parts: {
      engine: { salt: ENGINE_SALT, runtime: RUNTIME, outputs: {} },
      code: {},
      npm: [],
      params: {},
      inputs: {},
    },
    outputs,
    started: "",
    ended: "",
    seconds: 0,
    host: "h",
    deno: "x",
    executor: "local",
    cores: 1,
    log: null,
  };
}

Deno.test("blobs are content-addressed, read-only and deduplicated", async () => {
  await withStore(async (s, dir) => {
    const a = await s.putBytes(new TextEncoder().encode("hello"));
    equal(a.hash, sha256Hex("hello"));
    equal(a.size, 5);
    equal(await Deno.readTextFile(s.blobPath(a.hash)), "hello");
    equal((await Deno.stat(s.blobPath(a.hash))).mode! & 0o777, 0o444);
    const src = join(dir, "f.txt");
    await Deno.writeTextFile(src, "hello");
    const b = await s.putFile(src, { move: true });
    equal(b.hash, a.hash);
    equal(await Deno.stat(src).then(() => true, () => false), false, "moved away");
    deepStrictEqual(await s.listBlobs(), [a.hash]);
    equal(await s.blobState(a.hash, 5), "ok");
    equal(await s.blobState(a.hash, 6), "size");
    equal(await s.blobState("0".repeat(64), 1), "missing");
  });
});

Deno.test("re-adding content whose blob was damaged replaces the blob and quarantines the damaged one", async () => {
  await withStore(async (s) => {
    const a = await s.putBytes(new TextEncoder().encode("abc"));
    await Deno.chmod(s.blobPath(a.hash), 0o644);
    await Deno.writeTextFile(s.blobPath(a.hash), "abd");
    await s.putBytes(new TextEncoder().encode("abc"));
    equal(await Deno.readTextFile(s.blobPath(a.hash)), "abc");
    const q = [...Deno.readDirSync(s.quarantineDir)].map((e) => e.name);
    ok(q.some((n) => n.startsWith(a.hash)));
  });
});

Deno.test("trees: manifest blob, file blobs, and an atomically materialised directory that is rebuilt when damaged", async () => {
  await withStore(async (s, dir) => {
    const out = join(dir, "out");
    await Deno.mkdir(join(out, "sub"), { recursive: true });
    await Deno.writeTextFile(join(out, "a.txt"), "A");
    await Deno.writeTextFile(join(out, "sub/b.txt"), "BB");
    const t = await s.putTree(out);
    deepStrictEqual(t.manifest.entries, {
      "a.txt": { hash: sha256Hex("A"), size: 1 },
      "sub/b.txt": { hash: sha256Hex("BB"), size: 2 },
    });
    const m = (await s.readManifest(t.hash))!;
    const path = await s.materialiseTree(t.hash, m);
    equal(await Deno.readTextFile(join(path, "sub/b.txt")), "BB");
    ok(await s.treeIntact(path, m));
    await Deno.remove(join(path, "a.txt"));
    equal(await s.treeIntact(path, m), false);
    const again = await s.materialiseTree(t.hash, m);
    equal(await Deno.readTextFile(join(again, "a.txt")), "A");
  });
});

Deno.test("records and index entries are written atomically and read back", async () => {
  await withStore(async (s) => {
    const key = "a".repeat(64);
    await s.writeRecord(record(key, {}));
    equal((await s.readRecord(key))!.key, key);
    deepStrictEqual(await s.listRecordKeys(), [key]);
    equal(await s.readRecord("b".repeat(64)), null);
    equal([...Deno.readDirSync(s.tmp)].length, 0, "no temporary file left behind");
    await s.dropRecord(key);
    equal(await s.readRecord(key), null);
  });
});

Deno.test("checkRecord: intact records pass; a corrupt blob is quarantined and every record using it dropped", async () => {
  await withStore(async (s) => {
    const a = await s.putBytes(new TextEncoder().encode("payload"));
    const k1 = "1".repeat(64);
    const k2 = "2".repeat(64);
    const out = { o: { hash: a.hash, size: a.size, kind: "file" as const, file: "o" } };
    await s.writeRecord(record(k1, out));
    await s.writeRecord(record(k2, out));
    deepStrictEqual(await checkRecord(s, (await s.readRecord(k1))!), []);
    await Deno.chmod(s.blobPath(a.hash), 0o644);
    await Deno.writeTextFile(s.blobPath(a.hash), "payload!"); // size changed
    const notes: string[] = [];
    const problems = await checkRecord(s, (await s.readRecord(k1))!, (m) => notes.push(m));
    deepStrictEqual(problems.map((p) => p.state), ["corrupt"]);
    equal(await s.readRecord(k1), null);
    equal(await s.readRecord(k2), null);
    equal(await s.blobState(a.hash, a.size), "missing");
    ok(notes[0].includes("dropping 2 record(s)"));
  });
});

Deno.test("checkRecord: a missing blob drops the record", async () => {
  await withStore(async (s) => {
    const k = "3".repeat(64);
    await s.writeRecord(
      record(k, { o: { hash: "f".repeat(64), size: 3, kind: "file", file: "o" } }),
    );
    deepStrictEqual((await checkRecord(s, (await s.readRecord(k))!)).map((p) => p.state), [
      "missing",
    ]);
    equal(await s.readRecord(k), null);
  });
});

Deno.test("the lock: exclusive, --no-wait fails, waiting works, stale holders are replaced", async () => {
  await withStore(async (s) => {
    const first = await acquireLock(s.lockFile, { command: "test", wait: false });
    const held = JSON.parse(await Deno.readTextFile(s.lockFile));
    equal(held.pid, Deno.pid);
    await rejects(() => acquireLock(s.lockFile, { command: "second", wait: false }), LockHeldError);
    let waited = false;
    const second = acquireLock(s.lockFile, {
      command: "second",
      wait: true,
      pollMs: 20,
      onWait: () => waited = true,
    });
    await new Promise((r) => setTimeout(r, 100));
    first.release();
    const l2 = await second;
    ok(waited);
    l2.release();
    equal(await Deno.stat(s.lockFile).then(() => true, () => false), false);
    // A lock left by a process that no longer exists on this host.
    const dead = new Deno.Command("true").spawn();
    const deadPid = dead.pid;
    await dead.status;
    await Deno.writeTextFile(
      s.lockFile,
      JSON.stringify({
        pid: deadPid,
        host: Deno.hostname(),
        time: "t",
        command: "old",
        nonce: "n",
      }),
    );
    let stale = false;
    const l3 = await acquireLock(s.lockFile, {
      command: "third",
      wait: false,
      onStale: () => stale = true,
    });
    ok(stale);
    l3.release();
  });
});
