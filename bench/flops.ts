/**
 * The FLOP count of the batched method (real floating-point operations; a complex multiply-add
 * counts 8), used to turn benchmark times into rates. docs/simulator.md derives each term.
 *
 * @module
 */

/** One complex GEMM 256 x 256 @ 256 x n. */
export function gemmFlops(n: number): number {
  return 8 * 256 * 256 * n;
}

/** One layer (8 single-qubit 2x2 complex gates) applied to one side of a 256 x 256 matrix. */
export const LAYER_PASS = 8 * 128 * 256 * 28;

/** One encoding (8 per-sample 2x2 gates) on one sample's 256-amplitude state. */
export const ENCODING = 8 * 128 * 28;

/** FLOPs of one QNN's forward pass on B samples at depth d. */
export function forwardFlops(d: number, B: number): number {
  const build = 2 * d * LAYER_PASS; // U_B and U_C, layer by layer from the identity
  return build + 2 * gemmFlops(B) + 2 * ENCODING * B;
}

/** FLOPs of one QNN's forward + backward pass (a training step) on B samples at depth d. */
export function trainStepFlops(d: number, B: number): number {
  const adjoint = 2 * gemmFlops(B); // lambda <- U^H lambda through C and B
  const outer = 2 * gemmFlops(B); // W_0 += psi_in lambda_in^H for B and C
  const sweeps = 2 * d * 2 * LAYER_PASS; // W <- L W L^H, both sides, every layer
  const encodings = 2 * (ENCODING + 8 * 128 * 4 * 8) * B; // adjoint gates + partial traces
  return forwardFlops(d, B) + adjoint + outer + sweeps + encodings;
}
