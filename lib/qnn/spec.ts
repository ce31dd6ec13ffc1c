/**
 * The model's shape: parameter counts and the exact index formulas of
 * `shared/SPEC.md` (one QNN's `phi`, the flat model vector).
 *
 * @module
 */

/** The ways QNN outputs become logits (`ModelSpec.aggregate`), the paper's first. */
export const AGGREGATES = ["mean", "sqrt"] as const;

/** Which model: P patches/QNNs of depth d, and how the QNN outputs become logits. */
export interface ModelSpec {
  /** Number of patches (= QNNs); a perfect square with a fitting stride (4, 9, 16). */
  P: number;
  /** Depth of each variational block. */
  d: number;
  /** logits = scale * mean_p y_p ("mean", the paper) or scale * sum_p y_p / sqrt(P) ("sqrt"). */
  aggregate?: typeof AGGREGATES[number];
  /** Logit scale, default 100. */
  scale?: number;
}

/** Number of qubits (wires) of one QNN. */
export const QUBITS = 8;
/** Amplitudes of one QNN state. */
export const DIM = 256;
/** Outputs of one QNN: <X0>..<X4>, <Z0>..<Z4>. */
export const OUTPUTS = 10;
/** Classes (= logits per image). */
export const CLASSES = 10;
/** Features of one patch (8 x 8). */
export const FEATURES = 64;
/** Pixels of a preprocessed image (14 x 14), also the bias length. */
export const PIXELS = 196;

/** Parameters of one QNN of depth d: 48d + 128. */
export function qnnParamCount(d: number): number {
  checkDepth(d);
  return 48 * d + 128;
}

/** Parameters of a model: P * (48d + 128) + 196 (QNN blocks, then the 14 x 14 bias). */
export function modelParamCount(spec: ModelSpec): number {
  return spec.P * qnnParamCount(spec.d) + PIXELS;
}

/** Offset of the bias inside the flat model vector. */
export function biasOffset(spec: ModelSpec): number {
  return spec.P * qnnParamCount(spec.d);
}

/** Factor w with logits = scale * w * sum_p y_p. */
export function aggregateWeight(spec: ModelSpec): number {
  const scale = spec.scale ?? 100;
  const agg = spec.aggregate ?? "mean";
  if (agg === "mean") return scale / spec.P;
  if (agg === "sqrt") return scale / Math.sqrt(spec.P);
  throw new Error(`model spec: aggregate must be "mean" or "sqrt", got ${JSON.stringify(agg)}`);
}

/** Throws unless d is a positive integer. */
export function checkDepth(d: number): void {
  if (!Number.isInteger(d) || d < 1) {
    throw new Error(`model spec: d must be a positive integer, got ${d}`);
  }
}

/**
 * Index formulas of one QNN's `phi` (SPEC.md). Variational blocks: layer k of block A, B or C has
 * RX angles at `blockX(block, k) + i` and RY angles at `blockX(block, k) + 8 + i`.
 */
export const layout = {
  /** Start of layer k of block "A" | "B" | "C" (RX on wire i at +i, RY at +8+i). */
  layer(d: number, block: "A" | "B" | "C", k: number): number {
    const base = block === "A" ? 0 : block === "B" ? 16 * d + 64 : 32 * d + 128;
    return base + 16 * k;
  },
  /** Start of encoding 1 or 2: trainable angles at +8i+2j (before the data gate) and +8i+2j+1 (after). */
  encoding(d: number, e: 1 | 2): number {
    return e === 1 ? 16 * d : 32 * d + 64;
  },
  /** Feature index of the data angle of wire i, step j in encoding e: 4i + j (+32 for e = 2). */
  feature(e: 1 | 2, i: number, j: number): number {
    return (e === 1 ? 0 : 32) + 4 * i + j;
  },
};
