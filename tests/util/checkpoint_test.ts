import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  loadLatest,
  loadLatestSnapshot,
  saveSnapshot,
  type Snapshot,
} from "../../lib/util/checkpoint.ts";

Deno.test("snapshots: the newest complete one is loaded, older and partial ones are ignored", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await loadLatestSnapshot(dir), null);
    await saveSnapshot(dir, "epoch-000001", { "a.bin": new Uint8Array([1, 2]) });
    await saveSnapshot(dir, "epoch-000002", {
      "a.bin": new Uint8Array([3]),
      "b.json": new Uint8Array([4]),
    });
    // A snapshot being written when the process died: a temporary directory only.
    await Deno.mkdir(`${dir}/.tmp-epoch-000003-x`);
    await Deno.writeFile(`${dir}/.tmp-epoch-000003-x/a.bin`, new Uint8Array([9]));
    const snap = await loadLatestSnapshot(dir);
    assertEquals(snap?.label, "epoch-000002");
    assertEquals([...snap!.files.keys()].sort(), ["a.bin", "b.json"]);
    assertEquals(snap!.files.get("a.bin"), new Uint8Array([3]));
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    // The partial one is removed by the next save; the two newest complete generations are kept.
    assertEquals(names.filter((n) => n.startsWith("snap-")).sort(), [
      "snap-epoch-000001",
      "snap-epoch-000002",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("snapshots: a missing directory has no snapshot; bad labels are refused", async () => {
  assertEquals(await loadLatestSnapshot("/nonexistent/dir/for/test"), null);
  const dir = await Deno.makeTempDir();
  try {
    let err = "";
    await saveSnapshot(dir, "../x", {}).catch((e) => err = String(e));
    assertEquals(err.includes("not a plain name"), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A directory with two generations, epoch-000001 and epoch-000002, of a two-file snapshot. */
async function twoGenerations(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const enc = new TextEncoder();
  for (const e of [1, 2]) {
    await saveSnapshot(dir, `epoch-00000${e}`, {
      "state.json": enc.encode(JSON.stringify({ epoch: e, pad: "x".repeat(100) })),
      "params.bin": new Uint8Array([e, e, e]),
    });
  }
  return dir;
}

/** Loads the newest good snapshot, collecting the discard warnings. */
async function loadWithWarnings(dir: string) {
  const warnings: string[] = [];
  const snap = await loadLatestSnapshot(dir, {
    onDiscard: (label: string, why: string) => warnings.push(`${label}: ${why}`),
  });
  return { snap, warnings };
}

async function damageCase(
  name: string,
  damage: (snapDir: string) => Promise<void>,
  expect: RegExp,
): Promise<void> {
  const dir = await twoGenerations();
  try {
    await damage(`${dir}/snap-epoch-000002`);
    const { snap, warnings } = await loadWithWarnings(dir);
    assertEquals(snap?.label, "epoch-000001", name);
    assertEquals(snap!.files.get("params.bin"), new Uint8Array([1, 1, 1]));
    assertEquals(JSON.parse(new TextDecoder().decode(snap!.files.get("state.json")!)).epoch, 1);
    assertEquals(warnings.length, 1, `${name}: ${warnings}`);
    assertEquals(expect.test(warnings[0]), true, `${name}: ${warnings[0]}`);
    // The damaged generation is gone, so the next save cannot keep it as "the previous one".
    assertEquals(await Deno.stat(`${dir}/snap-epoch-000002`).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("snapshots: a truncated file is discarded with a warning and the previous generation is loaded", async () => {
  await damageCase("truncated", async (s) => {
    const bytes = await Deno.readFile(`${s}/state.json`);
    await Deno.writeFile(`${s}/state.json`, bytes.subarray(0, 20));
  }, /epoch-000002: state\.json .*(size|bytes)/);
});

Deno.test("snapshots: a flipped byte is caught by the SHA-256", async () => {
  await damageCase("flipped", async (s) => {
    const bytes = await Deno.readFile(`${s}/params.bin`);
    bytes[1] ^= 0x10;
    await Deno.writeFile(`${s}/params.bin`, bytes);
  }, /epoch-000002: params\.bin .*SHA-256/);
});

Deno.test("snapshots: a generation without its manifest is discarded", async () => {
  await damageCase("no manifest", async (s) => {
    await Deno.remove(`${s}/MANIFEST.json`);
  }, /epoch-000002: .*manifest/i);
});

Deno.test("snapshots: a half-written generation (a file missing) is discarded", async () => {
  await damageCase("missing file", async (s) => {
    await Deno.remove(`${s}/params.bin`);
  }, /epoch-000002: params\.bin .*missing/);
});

Deno.test("snapshots: every generation damaged means no snapshot (start from scratch)", async () => {
  const dir = await twoGenerations();
  try {
    for (const e of [1, 2]) await Deno.writeTextFile(`${dir}/snap-epoch-00000${e}/state.json`, "{");
    const { snap, warnings } = await loadWithWarnings(dir);
    assertEquals(snap, null);
    assertEquals(warnings.length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("snapshots: a snapshot that fails to decode is discarded like a damaged one", async () => {
  const dir = await twoGenerations();
  try {
    const warnings: string[] = [];
    const epoch = await loadLatest(dir, (snap: Snapshot) => {
      const meta = JSON.parse(new TextDecoder().decode(snap.files.get("state.json")!));
      if (meta.epoch === 2) throw new Error("written by another format");
      return meta.epoch as number;
    }, { onDiscard: (label: string, why: string) => warnings.push(`${label}: ${why}`) });
    assertEquals(epoch, 1);
    assertEquals(warnings, ["epoch-000002: written by another format"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("snapshots: saving keeps the previous generation until the new one is complete", async () => {
  const dir = await twoGenerations();
  try {
    await saveSnapshot(dir, "epoch-000003", { "a.bin": new Uint8Array([3]) });
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names.sort(), ["snap-epoch-000002", "snap-epoch-000003"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
