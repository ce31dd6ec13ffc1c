import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { main } from "../../steps/fetch_mnist.ts";
import { StepError } from "../../lib/step/context.ts";
import { gzip } from "../../lib/data/gzip.ts";
import { encodeMnistImages, encodeMnistLabels } from "../../lib/data/idx.ts";
import { MNIST_FILES } from "../../lib/data/mnist.ts";
import { deadMirror, startMirror, type TestMirror } from "./_server.ts";
import { inTempDir, testContext } from "./_step.ts";

const OUTPUTS = {
  train_images: ".idx",
  train_labels: ".idx",
  test_images: ".idx",
  test_labels: ".idx",
};

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A small MNIST-shaped set: uncompressed IDX bytes by part, and the gzipped files by official name. */
async function smallSet() {
  // Pseudo-random pixels, so that the gzipped files stay large enough to cut.
  let s = 2024;
  const noise = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  const make = (count: number, salt: number) => ({
    images: encodeMnistImages(Uint8Array.from({ length: count * 784 }, noise), count),
    labels: encodeMnistLabels(Uint8Array.from({ length: count }, (_, i) => (i * 7 + salt) % 10)),
  });
  const train = make(100, 1);
  const test = make(30, 2);
  const raw = {
    train_images: train.images,
    train_labels: train.labels,
    test_images: test.images,
    test_labels: test.labels,
  };
  const files: Record<string, Uint8Array> = {};
  const hashes: Record<string, string> = {};
  for (const [part, bytes] of Object.entries(raw)) {
    const name = MNIST_FILES[part as keyof typeof raw].name;
    files[name] = await gzip(bytes);
    hashes[name] = await sha256(files[name]);
  }
  return { raw, files, hashes };
}

function downloadParams(mirrors: string[], hashes: Record<string, string>) {
  return {
    mnist_source: "download",
    mnist_mirrors: mirrors,
    mnist_local_dir: null,
    embedded_test_fraction: null,
    mnist_sha256: hashes,
    mnist_download_attempts: 2,
    mnist_download_backoff_ms: 1,
  };
}

async function expectOutputs(dir: string, raw: Record<string, Uint8Array>) {
  for (const [part, bytes] of Object.entries(raw)) {
    assertEquals(await Deno.readFile(`${dir}/out/${part}.idx`), bytes, part);
  }
}

async function closeAll(...mirrors: TestMirror[]) {
  for (const m of mirrors) await m.close();
}

Deno.test("fetch_mnist embedded: 8,000 / 2,000 IDX files, the pinned split", async () => {
  await inTempDir(async (dir) => {
    const { ctx } = await testContext(
      dir,
      "fetch_mnist",
      {
        mnist_source: "embedded",
        mnist_mirrors: null,
        mnist_local_dir: null,
        embedded_test_fraction: null,
      },
      {},
      OUTPUTS,
    );
    await main(ctx);
    const trainImages = await Deno.readFile(`${dir}/out/train_images.idx`);
    assertEquals(trainImages.length, 16 + 8000 * 784);
    assertEquals((await Deno.readFile(`${dir}/out/test_labels.idx`)).length, 8 + 2000);
    assertEquals(
      await sha256(trainImages),
      "cf18b6fe0bf7a770329f72e1f9cc1c0cf97e2da4fc750dc4dba185e8163d55b7",
    );
  });
});

Deno.test("fetch_mnist download: loopback mirrors, 404 on the first, files verified", async () => {
  const { raw, files, hashes } = await smallSet();
  const empty = startMirror({});
  const good = startMirror(files);
  try {
    await inTempDir(async (dir) => {
      const { ctx, logs } = await testContext(
        dir,
        "fetch_mnist",
        downloadParams([empty.base, good.base], hashes),
        {},
        OUTPUTS,
      );
      await main(ctx);
      await expectOutputs(dir, raw);
      assertEquals(good.requests.length, 4);
      assert(logs.some((l) => l.includes("HTTP 404")), logs.join("\n"));
      assert(logs.some((l) => l.startsWith("train: 100 images")), logs.join("\n"));
      // The verified .gz files stay in the checkpoint dir; nothing partial is left.
      assertEquals(
        (await Array.fromAsync(Deno.readDir(`${dir}/checkpoint/partial`))).length,
        0,
      );
    });
  } finally {
    await closeAll(empty, good);
  }
});

Deno.test("fetch_mnist download: a killed run's partial file is resumed by the next run", async () => {
  const { raw, files, hashes } = await smallSet();
  const stalling = startMirror(files, { stallAfter: 20000 });
  const good = startMirror(files);
  try {
    await inTempDir(async (dir) => {
      // Run 1: a real process, killed while its download hangs after 20,000 bytes.
      const params = downloadParams([stalling.base], hashes);
      const local = { local: `${dir}/mnist` }; // the source input the engine gives in local mode
      const first = await testContext(dir, "fetch_mnist", params, local, OUTPUTS);
      await Deno.writeTextFile(`${dir}/context.json`, JSON.stringify(first.file));
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", STEP, `${dir}/context.json`],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const part = await waitForPartial(`${dir}/checkpoint/partial`, 20000);
      child.kill("SIGKILL");
      await child.status;
      assert(part.endsWith(".part"), part);
      for (const p of Object.keys(raw)) assertEquals(await exists(`${dir}/out/${p}.idx`), false);
      assertEquals(await exists(`${dir}/checkpoint/mnist/train-images-idx3-ubyte.gz`), false);

      // Run 2: resumes from byte 20,000 on another mirror.
      const second = await testContext(
        dir,
        "fetch_mnist",
        { ...params, mnist_mirrors: [good.base] },
        {},
        OUTPUTS,
      );
      await main(second.ctx);
      assertEquals(good.requests[0].range, "bytes=20000-");
      await expectOutputs(dir, raw);
    });
  } finally {
    await closeAll(stalling, good);
  }
});

const STEP = new URL("../../steps/fetch_mnist.ts", import.meta.url).pathname;

/** Waits (at most 20 s) until `dir` holds a file of exactly `size` bytes; returns its name. */
async function waitForPartial(dir: string, size: number): Promise<string> {
  for (let i = 0; i < 400; i++) {
    if (await exists(dir)) {
      for await (const e of Deno.readDir(dir)) {
        if ((await Deno.stat(`${dir}/${e.name}`)).size === size) return e.name;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no partial file of ${size} bytes appeared in ${dir}`);
}

Deno.test("fetch_mnist download: all mirrors failing names each and points to mnist_local_dir", async () => {
  const { files, hashes } = await smallSet();
  const empty = startMirror({});
  const dead = deadMirror();
  const wrong = startMirror(
    Object.fromEntries(Object.keys(files).map((k) => [k, new Uint8Array(9)])),
  );
  try {
    await inTempDir(async (dir) => {
      const { ctx } = await testContext(
        dir,
        "fetch_mnist",
        downloadParams([empty.base, dead, wrong.base], hashes),
        {},
        OUTPUTS,
      );
      const e = await assertRejects(() => main(ctx), StepError);
      const name = "train-images-idx3-ubyte.gz";
      for (
        const want of [
          `could not download ${name}: all 3 mirror(s) failed`,
          `${empty.base}${name}: HTTP 404`,
          `${dead}${name}: request failed`,
          `${wrong.base}${name}: checksum mismatch`,
          "does not fall back to the embedded digits",
          "mnist_source: local and mnist_local_dir",
        ]
      ) {
        assert(e.message.includes(want), `missing ${JSON.stringify(want)} in:\n${e.message}`);
      }
      assertEquals(await exists(`${dir}/out/train_images.idx`), false);
    });
  } finally {
    await closeAll(empty, wrong);
  }
});

Deno.test("fetch_mnist local: .gz, plain and dotted names; a missing file is named", async () => {
  const { raw, files } = await smallSet();
  await inTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/mnist`);
    await Deno.writeFile(
      `${dir}/mnist/train-images-idx3-ubyte.gz`,
      files["train-images-idx3-ubyte.gz"],
    );
    await Deno.writeFile(`${dir}/mnist/train-labels-idx1-ubyte`, raw.train_labels);
    await Deno.writeFile(`${dir}/mnist/t10k-images.idx3-ubyte`, raw.test_images);
    const params = {
      mnist_source: "local",
      mnist_mirrors: null,
      mnist_local_dir: `${dir}/mnist`,
      embedded_test_fraction: null,
    };
    const local = { local: `${dir}/mnist` }; // the source input the engine gives in local mode
    const first = await testContext(dir, "fetch_mnist", params, local, OUTPUTS);
    await assertRejects(
      () => main(first.ctx),
      StepError,
      "MNIST files not found: test_labels (t10k-labels-idx1-ubyte.gz, t10k-labels-idx1-ubyte,",
    );
    await Deno.writeFile(
      `${dir}/mnist/t10k-labels-idx1-ubyte.gz`,
      files["t10k-labels-idx1-ubyte.gz"],
    );
    const { ctx, logs } = await testContext(dir, "fetch_mnist", params, local, OUTPUTS);
    await main(ctx);
    await expectOutputs(dir, raw);
    assert(logs.some((l) => l.includes("not the official .gz")), logs.join("\n"));
  });
});

Deno.test("fetch_mnist: an unknown source or a bad local file is a clear error", async () => {
  await inTempDir(async (dir) => {
    const base = { mnist_mirrors: null, mnist_local_dir: `${dir}`, embedded_test_fraction: null };
    const a = await testContext(dir, "fetch_mnist", { ...base, mnist_source: "web" }, {}, OUTPUTS);
    await assertRejects(
      () => main(a.ctx),
      StepError,
      'must be one of "embedded", "download", "local"',
    );
    const { raw } = await smallSet();
    await Deno.writeFile(`${dir}/train-images-idx3-ubyte`, raw.train_images.slice(0, 1000));
    await Deno.writeFile(`${dir}/train-labels-idx1-ubyte`, raw.train_labels);
    await Deno.writeFile(`${dir}/t10k-images-idx3-ubyte`, raw.test_images);
    await Deno.writeFile(`${dir}/t10k-labels-idx1-ubyte`, raw.test_labels);
    const b = await testContext(
      dir,
      "fetch_mnist",
      { ...base, mnist_source: "local" },
      { local: dir },
      OUTPUTS,
    );
    await assertRejects(
      () => main(b.ctx),
      StepError,
      `${dir}/train-images-idx3-ubyte: not a valid IDX file`,
    );
  });
});

Deno.test("fetch_mnist as a subprocess with least privilege (net: the mirror's host only)", async () => {
  const { raw, files, hashes } = await smallSet();
  const good = startMirror(files);
  const forbidden = startMirror(files);
  try {
    await inTempDir(async (dir) => {
      const params = downloadParams([forbidden.base, good.base], hashes);
      const { file } = await testContext(dir, "fetch_mnist", params, {}, OUTPUTS);
      await Deno.writeTextFile(`${dir}/context.json`, JSON.stringify(file));
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-prompt",
          `--allow-net=${new URL(good.base).host}`,
          `--allow-read=${dir}`,
          `--allow-write=${dir}/out,${dir}/checkpoint`,
          STEP,
          `${dir}/context.json`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, text);
      await expectOutputs(dir, raw);
      // A mirror outside the granted hosts is skipped at once, not retried.
      assert(text.includes("no network permission for 127.0.0.1:"), text);
      assertEquals(forbidden.requests.length, 0);
    });
  } finally {
    await closeAll(good, forbidden);
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("fetch_mnist: a split with 0 images is refused at the source, not one step later", async () => {
  await inTempDir(async (dir) => {
    const { raw } = await smallSet();
    // Well-formed IDX files whose count is 0 (header only).
    await Deno.writeFile(`${dir}/train-images-idx3-ubyte`, encodeMnistImages(new Uint8Array(0), 0));
    await Deno.writeFile(`${dir}/train-labels-idx1-ubyte`, encodeMnistLabels(new Uint8Array(0)));
    await Deno.writeFile(`${dir}/t10k-images-idx3-ubyte`, raw.test_images);
    await Deno.writeFile(`${dir}/t10k-labels-idx1-ubyte`, raw.test_labels);
    const params = {
      mnist_source: "local",
      mnist_mirrors: null,
      mnist_local_dir: dir,
      embedded_test_fraction: null,
    };
    const { ctx } = await testContext(dir, "fetch_mnist", params, { local: dir }, OUTPUTS);
    await assertRejects(() => main(ctx), StepError, "the training set has 0 images");
    // Nothing was written for the next step to trip over.
    assertEquals(
      await Deno.stat(`${dir}/out/train_images.idx`).then(() => true, () => false),
      false,
    );
  });
});
