/**
 * Cosine annealing of the learning rate as PyTorch's
 * `torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min)`,
 * stepped once per epoch, and the paper's learning rate by circuit depth.
 *
 * `epoch` below is the scheduler's `last_epoch`: the number of
 * `scheduler.step()` calls so far. The rate used during training epoch
 * e = 1, 2, ... (1-based) is the value at `last_epoch = e - 1`.
 *
 * Two forms, equal in exact arithmetic:
 * - **Closed form** (`_get_closed_form_lr`, used by `step(epoch)`):
 *   `eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2`.
 *   Past `T_max` it rises again: period `2 * T_max` (here 10 epochs).
 * - **Chainable (recursive) form** (`get_lr`, used by the usual
 *   `scheduler.step()`, so it is what a PyTorch training loop actually gets):
 *   at epoch 0 the base rate; when `(epoch - 1 - T_max) % (2 T_max) == 0`,
 *   `lr + (base - eta_min) * (1 - cos(pi / T_max)) / 2` (the ratio below
 *   would be 0/0 after a minimum); otherwise
 *   `(1 + cos(pi * epoch / T_max)) / (1 + cos(pi * (epoch - 1) / T_max))
 *   * (lr - eta_min) + eta_min`.
 *   The recursion accumulates rounding: with base 1e-2 and T_max 5 it gives
 *   0.010000000000000005 at epoch 10 where the closed form gives 0.01
 *   (differences of a few ulps, ~1e-15 relative, over 50 epochs).
 *
 * Both functions evaluate each expression in CPython's order (binary64,
 * left to right). `Math.cos` (V8's fdlibm port) and CPython's `math.cos`
 * (glibc) agree on every argument these schedules use (checked for epochs
 * 0..50 with T_max = 5).
 *
 * @module
 */

/** PyTorch's closed form: the rate at scheduler epoch `epoch` (0 = the base rate). */
export function cosineAnnealingLR(
  baseLr: number,
  epoch: number,
  tMax: number,
  etaMin = 0,
): number {
  checkArgs(baseLr, tMax);
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new RangeError(`cosineAnnealingLR: epoch must be a non-negative integer, got ${epoch}`);
  }
  return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
}

/**
 * The rates PyTorch's chainable `CosineAnnealingLR.step()` produces for
 * scheduler epochs 0 .. count-1 (entry e is the rate used during training
 * epoch e + 1), starting from `baseLr` (a fresh scheduler, `last_epoch=-1`).
 */
export function cosineAnnealingChain(
  baseLr: number,
  count: number,
  tMax: number,
  etaMin = 0,
): number[] {
  checkArgs(baseLr, tMax);
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`cosineAnnealingChain: bad count ${count}`);
  }
  const out: number[] = [];
  let lr = baseLr;
  for (let e = 0; e < count; e++) {
    if (e > 0) {
      // Python's % is non-negative for a positive modulus; e - 1 - tMax may be negative.
      const k = e - 1 - tMax;
      if (((k % (2 * tMax)) + 2 * tMax) % (2 * tMax) === 0) {
        lr = lr + (baseLr - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
      } else {
        lr = (1 + Math.cos(Math.PI * e / tMax)) / (1 + Math.cos(Math.PI * (e - 1) / tMax)) *
            (lr - etaMin) + etaMin;
      }
    }
    out.push(lr);
  }
  return out;
}

/** The paper's learning rate by circuit depth d (SPEC "Training"). */
export const PAPER_LR_BY_DEPTH: Readonly<Record<number, number>> = Object.freeze({
  50: 1e-2,
  100: 5e-3,
  150: 2.5e-3,
  200: 1e-3,
});

/** The learning rate for depth `d` from `table` (default: the paper's); throws for a depth not in it. */
export function lrForDepth(
  d: number,
  table: Readonly<Record<number, number>> = PAPER_LR_BY_DEPTH,
): number {
  const lr = table[d];
  if (lr === undefined) {
    throw new RangeError(
      `no learning rate for depth ${d}; the table has depths ${Object.keys(table).join(", ")}`,
    );
  }
  return lr;
}

function checkArgs(baseLr: number, tMax: number): void {
  if (!Number.isFinite(baseLr)) throw new RangeError(`cosine annealing: bad base rate ${baseLr}`);
  if (!Number.isInteger(tMax) || tMax <= 0) {
    throw new RangeError(`cosine annealing: T_max must be a positive integer, got ${tMax}`);
  }
}
