/**
 * Builds the WebAssembly kernels from `kernels/assembly/` with the pinned AssemblyScript compiler
 * (deno.json: "assemblyscript/asc"). The output is byte-identical across runs, so the committed
 * `kernels/build/qnn.wasm` can be checked against a fresh build (`tests/qnn/kernels_build_test.ts`).
 * The entry point `kernels/assembly/qnn.ts` (the f32 and f64 exports of the generic kernels) is
 * generated first by `kernels/generate.ts`.
 *
 * Usage: `deno run -A kernels/build.ts` (writes kernels/assembly/qnn.ts and kernels/build/qnn.wasm),
 * `deno run -A kernels/build.ts --check` (exit 1 if either committed file differs).
 *
 * @module
 */

import asc from "assemblyscript/asc";
import { generateEntry } from "./generate.ts";

/** The compiler flags: SIMD with relaxed FMA, a shared imported memory, no runtime. */
export const ASC_FLAGS = [
  "-O3",
  "--enable",
  "simd",
  "--enable",
  "relaxed-simd",
  "--enable",
  "threads",
  "--importMemory",
  "--sharedMemory",
  "--initialMemory",
  "1",
  "--maximumMemory",
  "65536",
  "--runtime",
  "stub",
  "--noAssert",
];

/** Path of the entry source and of the committed binary. */
export const ENTRY = new URL("./assembly/qnn.ts", import.meta.url);
export const OUTPUT = new URL("./build/qnn.wasm", import.meta.url);

/** Compiles the kernels in memory and returns the .wasm bytes. */
export async function buildKernels(): Promise<Uint8Array> {
  const dir = new URL("./", import.meta.url);
  let wasm: Uint8Array | undefined;
  const stderr: string[] = [];
  const result = await asc.main(["assembly/qnn.ts", "-o", "qnn.wasm", ...ASC_FLAGS], {
    readFile: async (name: string, baseDir: string) => {
      try {
        return await Deno.readTextFile(
          new URL(name, new URL(baseDir.endsWith("/") ? baseDir : baseDir + "/", dir)),
        );
      } catch {
        return null;
      }
    },
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith(".wasm") && typeof contents !== "string") wasm = contents;
    },
    listFiles: () => [],
    stdout: { write: () => true } as never,
    stderr: { write: (s: string) => (stderr.push(String(s)), true) } as never,
  });
  if (result.error || !wasm) {
    throw new Error(
      `kernel build failed: ${result.error?.message ?? "no output"}\n${stderr.join("")}`,
    );
  }
  return wasm;
}

if (import.meta.main) {
  const entry = await generateEntry();
  if (Deno.args.includes("--check")) {
    const entryCurrent = (await Deno.readTextFile(ENTRY)) === entry;
    if (!entryCurrent) {
      console.log("kernels/assembly/qnn.ts differs from kernels/generate.ts's output");
    }
    const bytes = await buildKernels();
    const committed = await Deno.readFile(OUTPUT);
    const same = committed.length === bytes.length && committed.every((v, i) => v === bytes[i]);
    console.log(
      same
        ? "kernels/build/qnn.wasm is up to date"
        : "kernels/build/qnn.wasm differs from a fresh build",
    );
    Deno.exit(same && entryCurrent ? 0 : 1);
  }
  await Deno.writeTextFile(ENTRY, entry);
  const bytes = await buildKernels();
  await Deno.mkdir(new URL("./build/", import.meta.url), { recursive: true });
  await Deno.writeFile(OUTPUT, bytes);
  console.log(`wrote kernels/assembly/qnn.ts and kernels/build/qnn.wasm (${bytes.length} bytes)`);
}
