/**
 * Loads the compiled kernels (`kernels/build/qnn.wasm`, built from `kernels/assembly/` by
 * `kernels/build.ts`). The URL is written literally so that the pipeline engine sees the file as
 * part of a step's code.
 *
 * @module
 */

/** The kernels' exports (see kernels/assembly/qnn.ts); every argument is a number. */
export type KernelExports = Record<string, (...args: number[]) => void>;

const WASM_URL = new URL("../../kernels/build/qnn.wasm", import.meta.url);

let compiled: Promise<WebAssembly.Module> | undefined;

/** The compiled module (compiled once per thread). */
export function kernelModule(): Promise<WebAssembly.Module> {
  compiled ??= Deno.readFile(WASM_URL).then((bytes) => WebAssembly.compile(bytes));
  return compiled;
}

/** Instantiates the kernels on a shared memory. */
export async function instantiateKernels(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
): Promise<KernelExports> {
  const instance = await WebAssembly.instantiate(module, {
    env: {
      memory,
      abort: () => {
        throw new Error("qnn kernel aborted");
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}

/** A shared memory of the given size (bytes, a multiple of 64 KiB). */
export function sharedMemory(bytes: number): WebAssembly.Memory {
  const pages = bytes / 65536;
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}
