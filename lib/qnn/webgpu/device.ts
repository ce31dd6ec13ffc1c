/**
 * Finding a WebGPU adapter (Deno needs `--unstable-webgpu`) and telling a hardware one from a
 * software one (Mesa's llvmpipe, SwiftShader, WARP, or any adapter flagged as a fallback).
 *
 * @module
 */

/** What is known about an adapter, for logs and benchmark rows. */
export interface AdapterSummary {
  /** A readable name: the description, else vendor/architecture/device. */
  name: string;
  /** True for a software (CPU) adapter. */
  software: boolean;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/** Names of software rasterisers that some drivers report without the fallback flag. */
const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|warp|microsoft basic render/i;

/** Summarises an adapter's info (adapter.info; isFallbackAdapter where the runtime has it). */
export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const vendor = info.vendor ?? "", architecture = info.architecture ?? "";
  const device = info.device ?? "", description = info.description ?? "";
  const flagged = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const text = [vendor, architecture, device, description].join(" ");
  const name = description || [vendor, architecture, device].filter((s) => s).join(" ") ||
    "unknown adapter";
  return {
    name,
    software: flagged || SOFTWARE_NAMES.test(text),
    vendor,
    architecture,
    device,
    description,
  };
}

/** Whether this Deno exposes WebGPU at all (false without `--unstable-webgpu`). */
export function webgpuAvailable(): boolean {
  return typeof navigator !== "undefined" && "gpu" in navigator && !!navigator.gpu;
}

/**
 * The adapter WebGPU offers (high-performance preference), or a reason why there is none:
 * WebGPU not enabled in this process, or no adapter (no driver).
 */
export async function findAdapter(): Promise<
  { adapter: GPUAdapter; summary: AdapterSummary } | { adapter: null; reason: string }
> {
  if (!webgpuAvailable()) {
    return { adapter: null, reason: "WebGPU is not enabled (run deno with --unstable-webgpu)" };
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return { adapter: null, reason: `requestAdapter failed: ${(e as Error).message}` };
  }
  if (!adapter) return { adapter: null, reason: "no WebGPU adapter (no GPU driver found)" };
  return { adapter, summary: summarizeAdapter(adapter) };
}
