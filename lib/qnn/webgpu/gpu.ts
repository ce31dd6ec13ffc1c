/**
 * A thin layer over one WebGPU device for the simulator's kernels (qnn.wgsl): the pipelines,
 * float32 buffers, and submissions recorded as a list of dispatches, copies and clears, with
 * every dispatch's sizes packed into one uniform buffer (bound at a dynamic offset).
 *
 * @module
 */

const SHADER_URL = new URL("./qnn.wgsl", import.meta.url);

/** The kernels of qnn.wgsl. */
export const KERNELS = [
  "build_unitary",
  "encode",
  "gemm",
  "measure",
  "observe_adjoint",
  "encode_backward",
  "row_sums",
  "sweep_left",
  "sweep_right",
  "ptrace_reduce",
  "build_unitary_tangent",
  "encode_tangent",
  "measure_tangent",
  "encode_backward_tangent",
  "sweep_left_tangent",
  "sweep_right_tangent",
] as const;

/** A kernel's name. */
export type Kernel = typeof KERNELS[number];

/** Bytes between two dispatches' arguments (the usual minUniformBufferOffsetAlignment). */
const ARG_STRIDE = 256;
const ARG_WORDS = 16;
const SLOTS = 8; // storage buffers per dispatch: the guaranteed minimum of every adapter

type Step =
  | { kind: "dispatch"; kernel: Kernel; bufs: GPUBuffer[]; args: number[]; groups: number[] }
  | {
    kind: "copy";
    src: GPUBuffer;
    srcOffset: number;
    dst: GPUBuffer;
    dstOffset: number;
    bytes: number;
  }
  | { kind: "clear"; buf: GPUBuffer };

/** One device with the simulator's pipelines. */
export class Gpu {
  readonly #device: GPUDevice;
  readonly #layout: GPUBindGroupLayout;
  readonly #pipelines: Map<Kernel, GPUComputePipeline>;
  readonly #dummies: GPUBuffer[];
  #args: GPUBuffer | undefined;
  #argsBytes = 0;
  #readback: GPUBuffer | undefined;
  #readbackBytes = 0;

  private constructor(
    device: GPUDevice,
    layout: GPUBindGroupLayout,
    pipelines: Map<Kernel, GPUComputePipeline>,
  ) {
    this.#device = device;
    this.#layout = layout;
    this.#pipelines = pipelines;
    // Unused slots get distinct tiny buffers: one buffer bound twice as writable storage would
    // be a usage conflict.
    this.#dummies = Array.from({ length: SLOTS }, () => this.buffer(4));
  }

  /** Creates the device and compiles the kernels; errors name the adapter's limits. */
  static async create(adapter: GPUAdapter): Promise<Gpu> {
    const device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
    const code = await Deno.readTextFile(SHADER_URL);
    device.pushErrorScope("validation");
    const module = device.createShaderModule({ code });
    const layout = device.createBindGroupLayout({
      entries: [
        {
          binding: 0,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: "uniform", hasDynamicOffset: true, minBindingSize: ARG_WORDS * 4 },
        },
        ...Array.from({ length: SLOTS }, (_, i) => ({
          binding: i + 1,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: "storage" as const },
        })),
      ],
    });
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
    const pipelines = new Map<Kernel, GPUComputePipeline>();
    for (const k of KERNELS) {
      pipelines.set(
        k,
        device.createComputePipeline({
          layout: pipelineLayout,
          compute: { module, entryPoint: k },
        }),
      );
    }
    const err = await device.popErrorScope();
    if (err) throw new Error(`webgpu: the kernels do not compile: ${err.message}`);
    return new Gpu(device, layout, pipelines);
  }

  /** A zeroed storage buffer of `bytes` (rounded up to 4). */
  buffer(bytes: number): GPUBuffer {
    return this.#device.createBuffer({
      size: Math.max(4, Math.ceil(bytes / 4) * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  /** Writes float32 data into a buffer at a float offset (queued before the next submit). */
  write(buf: GPUBuffer, data: Float32Array, offset = 0): void {
    // Views of the host's shared WebAssembly memory are copied: writeBuffer wants plain memory.
    const plain = data.buffer instanceof ArrayBuffer
      ? data as Float32Array<ArrayBuffer>
      : data.slice();
    this.#device.queue.writeBuffer(buf, offset * 4, plain);
  }

  /** A recorder of one submission. */
  batch(): Batch {
    return new Batch(this);
  }

  /**
   * Runs the steps in order; then reads back `read` (byte ranges of buffers, laid end to end) as
   * float32.
   */
  async run(steps: Step[], read: { buf: GPUBuffer; offset: number; bytes: number }[]) {
    const device = this.#device;
    const dispatches = steps.filter((s) => s.kind === "dispatch");
    const argBytes = Math.max(ARG_STRIDE, dispatches.length * ARG_STRIDE);
    if (!this.#args || this.#argsBytes < argBytes) {
      this.#args?.destroy();
      this.#argsBytes = Math.max(argBytes, 2 * this.#argsBytes);
      this.#args = device.createBuffer({
        size: this.#argsBytes,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
    }
    const words = new Uint32Array(argBytes / 4);
    dispatches.forEach((s, i) => {
      if (s.args.length > ARG_WORDS) throw new Error(`webgpu: ${s.kernel} has too many arguments`);
      words.set(s.args, (i * ARG_STRIDE) / 4);
    });
    device.queue.writeBuffer(this.#args, 0, words);
    const total = read.reduce((n, r) => n + r.bytes, 0);
    if (total > 0 && (!this.#readback || this.#readbackBytes < total)) {
      this.#readback?.destroy();
      this.#readbackBytes = Math.max(total, 2 * this.#readbackBytes);
      this.#readback = device.createBuffer({
        size: this.#readbackBytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
    }
    device.pushErrorScope("validation");
    const enc = device.createCommandEncoder();
    let pass: GPUComputePassEncoder | undefined;
    let n = 0;
    for (const s of steps) {
      if (s.kind === "dispatch") {
        pass ??= enc.beginComputePass();
        pass.setPipeline(this.#pipelines.get(s.kernel)!);
        const entries: GPUBindGroupEntry[] = [
          { binding: 0, resource: { buffer: this.#args, size: ARG_WORDS * 4 } },
        ];
        for (let i = 0; i < SLOTS; i++) {
          entries.push({ binding: i + 1, resource: { buffer: s.bufs[i] ?? this.#dummies[i] } });
        }
        pass.setBindGroup(0, device.createBindGroup({ layout: this.#layout, entries }), [
          n++ * ARG_STRIDE,
        ]);
        pass.dispatchWorkgroups(s.groups[0], s.groups[1] ?? 1, s.groups[2] ?? 1);
        continue;
      }
      pass?.end();
      pass = undefined;
      if (s.kind === "copy") {
        enc.copyBufferToBuffer(s.src, s.srcOffset, s.dst, s.dstOffset, s.bytes);
      } else enc.clearBuffer(s.buf);
    }
    pass?.end();
    let at = 0;
    for (const r of read) {
      enc.copyBufferToBuffer(r.buf, r.offset, this.#readback!, at, r.bytes);
      at += r.bytes;
    }
    device.queue.submit([enc.finish()]);
    const err = await device.popErrorScope();
    if (err) throw new Error(`webgpu: ${err.message}`);
    if (total === 0) {
      await device.queue.onSubmittedWorkDone();
      return new Float32Array(0);
    }
    await this.#readback!.mapAsync(GPUMapMode.READ, 0, total);
    const out = new Float32Array(this.#readback!.getMappedRange(0, total).slice(0));
    this.#readback!.unmap();
    return out;
  }

  /** Releases the device. */
  destroy(): void {
    this.#device.destroy();
  }
}

/** Steps of one submission, recorded in order. */
export class Batch {
  readonly steps: Step[] = [];
  readonly reads: { buf: GPUBuffer; offset: number; bytes: number }[] = [];
  constructor(readonly gpu: Gpu) {}

  /** A dispatch of a kernel on buffers b1.. with its arguments and workgroup counts. */
  dispatch(kernel: Kernel, bufs: GPUBuffer[], args: number[], groups: number[]): this {
    this.steps.push({ kind: "dispatch", kernel, bufs, args, groups });
    return this;
  }

  /** Zeroes a buffer. */
  clear(buf: GPUBuffer): this {
    this.steps.push({ kind: "clear", buf });
    return this;
  }

  /** Floats read back so far: where the next `read` lands in `run`'s result. */
  get readFloats(): number {
    return this.reads.reduce((n, r) => n + r.bytes / 4, 0);
  }

  /** Reads `floats` floats of buf from float `offset` back after the run (in call order). */
  read(buf: GPUBuffer, floats: number, offset = 0): this {
    this.reads.push({ buf, offset: offset * 4, bytes: floats * 4 });
    return this;
  }

  /** Submits and returns the reads, end to end. */
  run(): Promise<Float32Array> {
    return this.gpu.run(this.steps, this.reads);
  }
}
