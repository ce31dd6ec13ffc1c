import { equal, ok } from "node:assert/strict";
import { Display, formatBytes, formatSeconds } from "../../lib/pipeline/cli/display.ts";

function capture(tty: boolean): { d: Display; out: () => string } {
  let s = "";
  const d = new Display(tty, (x) => s += x);
  return { d, out: () => s };
}

Deno.test("display without a terminal: step lines and finish lines only, no progress, no escapes", () => {
  const { d, out } = capture(false);
  d.started("train[P=4]");
  d.progress("train[P=4]", 0.5, "epoch 1");
  d.stepLine("train[P=4]", "hello");
  d.finished("train[P=4]", true, 12.34);
  d.finished("b", false, 1, ["  exited with code 1"]);
  d.close();
  equal(out(), "train[P=4] | hello\n✓ train[P=4]  12.3 s\n✗ b  1.0 s\n  exited with code 1\n");
});

Deno.test("display on a terminal: a live block of running instances, cleared before permanent lines", () => {
  const { d, out } = capture(true);
  d.started("a");
  d.progress("a", 0.5, "epoch 5/10");
  d.print("a line");
  const text = out();
  ok(text.startsWith("a line\n"));
  ok(text.includes("  a  [##########..........]  50% "), JSON.stringify(text));
  ok(text.includes("epoch 5/10"));
  d.finished("a", true, 2);
  // The one-line live block is erased (cursor up one line, clear to the end) before the finish line.
  ok(
    out().slice(text.length).startsWith("\x1b[1F\x1b[J✓ a  2.0 s\n"),
    JSON.stringify(out().slice(text.length)),
  );
  d.close();
});

Deno.test("display on a terminal: a live block of many instances (a cluster queue) fits the screen", () => {
  const { d, out } = capture(true);
  for (let i = 0; i < 150; i++) d.started(`train[i=${i}]`);
  d.print("x");
  const block = out().slice("x\n".length).split("\n").filter((l) => l);
  ok(block.length <= 20, `${block.length} lines`);
  equal(block.at(-1), `  … and ${150 - block.length + 1} more`);
  d.close();
});

Deno.test("durations and sizes", () => {
  equal(formatSeconds(0.04), "0.0 s");
  equal(formatSeconds(75), "1m15s");
  equal(formatSeconds(3725), "1h02m");
  equal(formatBytes(10), "10 B");
  equal(formatBytes(1536), "1.5 KiB");
  equal(formatBytes(5 * 1024 * 1024), "5.0 MiB");
});
