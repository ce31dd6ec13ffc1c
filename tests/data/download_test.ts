import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { download, DownloadError, partialPath } from "../../lib/data/download.ts";
import { gzip } from "../../lib/data/gzip.ts";
import { encodeMnistImages } from "../../lib/data/idx.ts";
import { deadMirror, startMirror, type TestMirror } from "./_server.ts";

const NAME = "train-images-idx3-ubyte.gz";

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A gzipped IDX image file of pseudo-random bytes (so gzip cannot shrink it much). */
async function fixture(count = 60): Promise<Uint8Array> {
  let s = 12345;
  const pixels = Uint8Array.from({ length: count * 784 }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 24;
  });
  return await gzip(encodeMnistImages(pixels, count));
}

async function withDirs(fn: (work: string, out: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/out`);
    await fn(`${root}/work`, `${root}/out`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function listDir(path: string): Promise<string[]> {
  if (!(await exists(path))) return [];
  return (await Array.fromAsync(Deno.readDir(path))).map((e) => e.name).sort();
}

const fast = { attempts: 3, backoffMs: 1, maxBackoffMs: 4 };

async function closeAll(...mirrors: TestMirror[]) {
  for (const m of mirrors) await m.close();
}

Deno.test("download: success, progress reported, nothing left in the work dir", async () => {
  const file = await fixture();
  const m = startMirror({ [NAME]: file });
  try {
    await withDirs(async (work, out) => {
      const seen: [number, number | undefined][] = [];
      const r = await download({
        urls: [m.base + NAME],
        dest: `${out}/${NAME}`,
        workDir: work,
        sha256: await sha256(file),
        onProgress: (b, t) => seen.push([b, t]),
        ...fast,
      });
      assertEquals(await Deno.readFile(`${out}/${NAME}`), file);
      assertEquals([r.bytes, r.url, r.resumed], [file.length, m.base + NAME, false]);
      assertEquals(seen.at(-1), [file.length, file.length]);
      assertEquals(await listDir(work), []);
      // A valid destination is not fetched again.
      const again = await download({
        urls: [m.base + NAME],
        dest: `${out}/${NAME}`,
        workDir: work,
        sha256: await sha256(file),
      });
      assertEquals(again.url, null);
      assertEquals(m.requests.length, 1);
    });
  } finally {
    await closeAll(m);
  }
});

Deno.test("download: a checksum mismatch is rejected and nothing is stored", async () => {
  const file = await fixture();
  const wrong = file.slice();
  wrong[wrong.length >> 1] ^= 1;
  const m = startMirror({ [NAME]: wrong });
  try {
    await withDirs(async (work, out) => {
      const hash = await sha256(file);
      const e = await assertRejects(
        () =>
          download({
            urls: [m.base + NAME],
            dest: `${out}/${NAME}`,
            workDir: work,
            sha256: hash,
            ...fast,
          }),
        DownloadError,
        `${m.base}${NAME}: checksum mismatch: SHA-256 ${await sha256(wrong)}`,
      );
      assertEquals(e.failures.length, 1);
      assertEquals(await listDir(out), []);
      assertEquals(await listDir(work), []);
      assertEquals(m.requests.length, 1, "a wrong full body is not retried on the same mirror");
    });
  } finally {
    await closeAll(m);
  }
});

Deno.test("download: a dropped connection resumes with a Range request", async () => {
  const file = await fixture();
  const m = startMirror({ [NAME]: file }, { dropAfter: 10000, dropTimes: 2 });
  try {
    await withDirs(async (work, out) => {
      const partials: number[] = [];
      const r = await download({
        urls: [m.base + NAME],
        dest: `${out}/${NAME}`,
        workDir: work,
        sha256: await sha256(file),
        onProgress: async () => {
          // While the download runs, the destination never exists.
          if (await exists(`${out}/${NAME}`)) partials.push(1);
        },
        ...fast,
      });
      assertEquals(await Deno.readFile(`${out}/${NAME}`), file);
      assert(r.resumed);
      assertEquals(m.requests.map((q) => [q.range, q.status]), [
        [null, 200],
        ["bytes=10000-", 206],
        ["bytes=20000-", 206],
      ]);
      assertEquals(partials, []);
      assertEquals(await listDir(work), []);
    });
  } finally {
    await closeAll(m);
  }
});

Deno.test("download: a server without Range support restarts cleanly", async () => {
  const file = await fixture();
  const m = startMirror({ [NAME]: file }, { dropAfter: 10000, ranges: false });
  try {
    await withDirs(async (work, out) => {
      const r = await download({
        urls: [m.base + NAME],
        dest: `${out}/${NAME}`,
        workDir: work,
        sha256: await sha256(file),
        ...fast,
      });
      assertEquals(await Deno.readFile(`${out}/${NAME}`), file);
      assertEquals(r.resumed, false);
      assertEquals(m.requests.map((q) => [q.range, q.status]), [
        [null, 200],
        ["bytes=10000-", 200],
      ]);
    });
  } finally {
    await closeAll(m);
  }
});

Deno.test("download: partial data of a killed run is resumed; bad partial data restarts", async () => {
  const file = await fixture();
  const m = startMirror({ [NAME]: file });
  try {
    await withDirs(async (work, out) => {
      const hash = await sha256(file);
      await Deno.mkdir(work);
      const part = partialPath(work, `${out}/${NAME}`, hash);
      await Deno.writeFile(part, file.subarray(0, 12345));
      const r = await download({
        urls: [m.base + NAME],
        dest: `${out}/${NAME}`,
        workDir: work,
        sha256: hash,
        ...fast,
      });
      assert(r.resumed);
      assertEquals(m.requests[0].range, "bytes=12345-");
      assertEquals(await Deno.readFile(`${out}/${NAME}`), file);

      // A partial file holding wrong bytes: resumed, fails the checksum, restarted once.
      await Deno.remove(`${out}/${NAME}`);
      const junk = file.slice(0, 5000);
      junk[10] ^= 0xff;
      await Deno.writeFile(part, junk);
      m.requests.length = 0;
      const r2 = await download({
        urls: [m.base + NAME],
        dest: `${out}/${NAME}`,
        workDir: work,
        sha256: hash,
        ...fast,
      });
      assertEquals(r2.resumed, false);
      assertEquals(m.requests.map((q) => q.range), ["bytes=5000-", null]);
      assertEquals(await Deno.readFile(`${out}/${NAME}`), file);
      assertEquals(await listDir(work), []);
    });
  } finally {
    await closeAll(m);
  }
});

Deno.test("download: a 404 on the first mirror moves on to the next", async () => {
  const file = await fixture();
  const empty = startMirror({});
  const good = startMirror({ [NAME]: file });
  try {
    await withDirs(async (work, out) => {
      const logs: string[] = [];
      const r = await download({
        urls: [empty.base + NAME, good.base + NAME],
        dest: `${out}/${NAME}`,
        workDir: work,
        sha256: await sha256(file),
        log: (l) => logs.push(l),
        ...fast,
      });
      assertEquals(r.url, good.base + NAME);
      assertEquals(empty.requests.length, 1, "a 404 is not retried");
      assert(logs.some((l) => l.includes("HTTP 404")), logs.join("\n"));
      assertEquals(await Deno.readFile(`${out}/${NAME}`), file);
    });
  } finally {
    await closeAll(empty, good);
  }
});

Deno.test("download: when every mirror fails, the error names each one and why", async () => {
  const file = await fixture(4);
  const notFound = startMirror({});
  const broken = startMirror({ [NAME]: file }, { status: 503 });
  const dead = deadMirror();
  try {
    await withDirs(async (work, out) => {
      const urls = [notFound.base + NAME, dead + NAME, broken.base + NAME];
      const hash = await sha256(file);
      const e = await assertRejects(
        () =>
          download({
            urls,
            dest: `${out}/${NAME}`,
            workDir: work,
            sha256: hash,
            ...fast,
          }),
        DownloadError,
        `could not download ${NAME}: all 3 mirror(s) failed`,
      );
      assertEquals(e.failures.map((f) => f.url), urls);
      assert(e.message.includes(`${notFound.base}${NAME}: HTTP 404 Not Found\n`), e.message);
      assert(e.message.includes(`${dead}${NAME}: request failed`), e.message);
      assert(
        e.message.includes(
          `${broken.base}${NAME}: HTTP 503 Service Unavailable (after 3 attempts)`,
        ),
        e.message,
      );
      assertEquals(broken.requests.length, 3, "transient errors are retried");
      assertEquals(await listDir(out), []);
    });
  } finally {
    await closeAll(notFound, broken);
  }
});

Deno.test("download: a body larger than the known size is refused", async () => {
  const file = await fixture(4);
  const m = startMirror({ [NAME]: file });
  try {
    await withDirs(async (work, out) => {
      await assertRejects(
        () =>
          download({
            urls: [m.base + NAME],
            dest: `${out}/${NAME}`,
            workDir: work,
            sha256: "0".repeat(64),
            size: 100,
            ...fast,
          }),
        DownloadError,
        `server offers ${file.length} bytes, expected exactly 100`,
      );
      assertEquals(await listDir(work), []);
    });
  } finally {
    await closeAll(m);
  }
});

Deno.test("download: a stalled body is abandoned after the idle timeout and resumed", async () => {
  const file = await fixture();
  const m = startMirror({ [NAME]: file }, { stallAfter: 3000 });
  try {
    await withDirs(async (work, out) => {
      const r = await download({
        urls: [m.base + NAME],
        dest: `${out}/${NAME}`,
        workDir: work,
        sha256: await sha256(file),
        idleTimeoutMs: 150,
        ...fast,
      });
      assert(r.resumed);
      assertEquals(m.requests.map((q) => q.range), [null, "bytes=3000-"]);
      assertEquals(await Deno.readFile(`${out}/${NAME}`), file);
    });
  } finally {
    await closeAll(m);
  }
});
