/**
 * Adam with PyTorch's semantics: `torch.optim.Adam(params, lr, betas, eps,
 * weight_decay)` with `amsgrad=False`, `maximize=False`, L2 weight decay
 * added to the gradient (not AdamW's decoupled decay), in float64.
 *
 * One `step` follows `_single_tensor_adam` in `torch/optim/adam.py` (the
 * path PyTorch takes for CPU tensors; `foreach` and `fused` default to off
 * there), operation by operation, with the ATen CPU kernels' evaluation
 * order (`aten/src/ATen/native/cpu/PointwiseOpsKernel.cpp`, `Lerp.h`,
 * `ufunc/add.h`):
 *
 * ```
 * t  = t + 1
 * g  = grad + wd * p                       (grad.add(param, alpha=wd); skipped when wd == 0)
 * m  = lerp(m, g, 1 - beta1)               (exp_avg.lerp_(grad, 1 - beta1)):
 *        w = 1 - beta1;  |w| < 0.5 ? m + w * (g - m) : g - (g - m) * (1 - w)
 * v  = v * beta2;  v = v + ((1 - beta2) * g) * g     (mul_ then addcmul_)
 * bc1 = 1 - beta1 ** t;  bc2 = 1 - beta2 ** t
 * step_size = lr / bc1;  bc2_sqrt = sqrt(bc2)
 * denom = sqrt(v) / bc2_sqrt + eps
 * p  = p + (-step_size * m) / denom        (addcdiv_(m, denom, value=-step_size))
 * ```
 *
 * Every operation above is a separately rounded binary64 operation, which is
 * PyTorch's scalar code path. Two caveats for bit-exact comparisons:
 * - On CPUs where ATen's vectorised kernels use FMA (AVX2, AVX-512), PyTorch
 *   fuses the weight-decay add (`vec::fmadd(other, alpha, self)`) and the
 *   lerp (`vec::fmadd(coeff, end - start, base)`) for all but the tail
 *   elements of each tensor, so PyTorch itself differs by about an ulp per
 *   step from its own scalar path. Expect agreement to ~1e-15 relative per
 *   step, not bit identity, against such builds.
 * - `beta ** t` is Python's float pow (C `pow`); `Math.pow` here gives the
 *   same doubles as CPython on glibc for beta in {0.9, 0.999} and t <= 10000
 *   (checked; neither is always correctly rounded, e.g. 0.999 ** 2904).
 *
 * The step count `t` is an exact integer (PyTorch keeps it as a float tensor,
 * exact far beyond any run here).
 *
 * @module
 */

/** Adam's hyper-parameters other than the learning rate. */
export interface AdamOptions {
  /** (beta1, beta2); PyTorch's default (0.9, 0.999). */
  betas?: [number, number];
  /** Added to the denominator; PyTorch's default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient (`g + wd * p`); default 0. */
  weightDecay?: number;
}

/** A snapshot of Adam's state (the step count and both moment vectors). */
export interface AdamState {
  t: number;
  m: Float64Array;
  v: Float64Array;
}

/** PyTorch's Adam (amsgrad off, L2 weight decay) on one flat float64 parameter vector. */
export class Adam {
  readonly n: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  #t = 0;
  #m: Float64Array;
  #v: Float64Array;

  /** An optimiser for `n` parameters, with zero moments and t = 0. */
  constructor(n: number, opts: AdamOptions = {}) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`Adam: bad size ${n}`);
    const [beta1, beta2] = opts.betas ?? [0.9, 0.999];
    const eps = opts.eps ?? 1e-8;
    const weightDecay = opts.weightDecay ?? 0;
    // The same validity checks as torch.optim.Adam's constructor.
    if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`Adam: invalid beta1 ${beta1}`);
    if (!(beta2 >= 0 && beta2 < 1)) throw new RangeError(`Adam: invalid beta2 ${beta2}`);
    if (!(eps >= 0)) throw new RangeError(`Adam: invalid eps ${eps}`);
    if (!(weightDecay >= 0)) throw new RangeError(`Adam: invalid weight decay ${weightDecay}`);
    this.n = n;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.#m = new Float64Array(n);
    this.#v = new Float64Array(n);
  }

  /** Steps taken so far. */
  get t(): number {
    return this.#t;
  }

  /**
   * One Adam step: updates `params` in place from `grad` with rate `lr`.
   * `grad` is read only (the weight-decayed gradient is formed per element).
   */
  step(params: Float64Array, grad: Float64Array, lr: number): void {
    if (params.length !== this.n || grad.length !== this.n) {
      throw new RangeError(
        `Adam.step: expected ${this.n} parameters and gradients, got ${params.length} and ${grad.length}`,
      );
    }
    if (!(lr >= 0)) throw new RangeError(`Adam.step: invalid learning rate ${lr}`);
    const t = ++this.#t;
    const { beta1, beta2, eps, weightDecay: wd } = this;
    const m = this.#m, v = this.#v;
    // Python-side scalars, computed exactly as adam.py does.
    const w = 1 - beta1;
    const small = Math.abs(w) < 0.5; // ATen's is_lerp_weight_small
    const oneMinusW = 1 - w;
    const c2 = 1 - beta2;
    const bc1 = 1 - Math.pow(beta1, t);
    const bc2 = 1 - Math.pow(beta2, t);
    const negStepSize = -(lr / bc1);
    const bc2Sqrt = Math.sqrt(bc2);
    for (let i = 0; i < this.n; i++) {
      const g = wd !== 0 ? grad[i] + wd * params[i] : grad[i];
      const mi = small ? m[i] + w * (g - m[i]) : g - (g - m[i]) * oneMinusW;
      m[i] = mi;
      const vi = v[i] * beta2 + c2 * g * g;
      v[i] = vi;
      const denom = Math.sqrt(vi) / bc2Sqrt + eps;
      params[i] = params[i] + negStepSize * mi / denom;
    }
  }

  /** A copy of the state (for checkpoints). */
  state(): AdamState {
    return { t: this.#t, m: this.#m.slice(), v: this.#v.slice() };
  }

  /** An optimiser continuing from `state` (copied) with the given hyper-parameters. */
  static restore(state: AdamState, opts: AdamOptions = {}): Adam {
    const { t, m, v } = state;
    if (!Number.isInteger(t) || t < 0) throw new RangeError(`Adam.restore: bad step count ${t}`);
    if (m.length !== v.length) {
      throw new RangeError(`Adam.restore: moment lengths differ (${m.length} vs ${v.length})`);
    }
    const adam = new Adam(m.length, opts);
    adam.#t = t;
    adam.#m.set(m);
    adam.#v.set(v);
    return adam;
  }
}
