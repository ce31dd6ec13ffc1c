import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { loadLatestSnapshot, saveSnapshot } from "../../lib/util/checkpoint.ts";

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
    assertEquals(names.filter((n) => n.startsWith("snap-")), ["snap-epoch-000002"]);
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
