/**
 * Resuming the Hessian analyses after a kill: a journal of the operator
 * products (Hessian-vector products and the split terms' products), saved to
 * a checkpoint directory with `lib/util/checkpoint.ts` (so with its integrity
 * check). A resumed run replays the analyses from the start: every product
 * already in the journal is answered from it instead of being computed, so
 * the power iteration, Lanczos and SLQ redo only their cheap vector
 * arithmetic and reach exactly the state, bit for bit, where the killed run
 * stopped. The journal checks that each replayed product is asked for the
 * same vector as recorded (its SHA-256); a mismatch ends the replay there.
 *
 * Why products rather than each algorithm's state: the products are the only
 * expensive part and the only thing all the algorithms share, so one journal
 * resumes every phase (and any future one) with no state format per
 * algorithm to keep in step with its code, and bit-identity holds by
 * construction. Its size is one vector per product, the same order as the
 * Lanczos basis the algorithms keep in memory anyway.
 *
 * @module
 */

import type { Operator } from "../linalg/mod.ts";
import { loadLatest, saveSnapshot, type Snapshot } from "../util/mod.ts";

/** Thrown when `stopAfter` products have been journaled: a simulated kill, for tests. */
export class JournalStop extends Error {
  constructor(readonly products: number) {
    super(`stopped after ${products} products (as requested)`);
    this.name = "JournalStop";
  }
}

/** Where and how often the journal is saved. */
export interface JournalOptions {
  /** The checkpoint directory. */
  dir: string;
  /** Save when at least this many seconds have passed since the last save (0: after every product). */
  intervalSeconds: number;
  /**
   * Tests only: after this many products in all (replayed ones included) are
   * journaled, save and throw a `JournalStop`, as if the process were killed
   * right after a checkpoint. Production callers leave it unset.
   */
  stopAfter?: number;
  /** Warnings: a discarded checkpoint, a replay that diverged. */
  log?(line: string): void;
  /** The clock for the throttle (milliseconds); tests may replace it. */
  now?(): number;
}

interface Entry {
  operator: string;
  input: string;
  output: Float64Array;
}

/** A journal of operator products, loaded from and saved to a checkpoint directory. */
export class ProductJournal {
  #entries: Entry[];
  #next = 0;
  #lastSave: number;
  #replayed = 0;
  #diverged = false;
  /** How many products the checkpoint held when the journal was opened. */
  readonly recorded: number;

  private constructor(readonly n: number, entries: Entry[], private readonly opts: JournalOptions) {
    this.#entries = entries;
    this.recorded = entries.length;
    this.#lastSave = (opts.now ?? Date.now)();
  }

  /**
   * Opens the journal in `opts.dir`: the newest intact checkpoint's products,
   * or none.
   *
   * @example
   * ```ts
   * const journal = await ProductJournal.open(n, { dir: ctx.checkpoint_dir, intervalSeconds: 120 });
   * const hvp = journal.wrap("hvp", ops.hvp);
   * ```
   */
  static async open(n: number, opts: JournalOptions): Promise<ProductJournal> {
    const entries = await loadLatest(opts.dir, (snap) => decode(snap, n), {
      onDiscard: (label, reason) => opts.log?.(`warning: checkpoint ${label} discarded: ${reason}`),
    });
    return new ProductJournal(n, entries ?? [], opts);
  }

  /** How many products were answered from the journal so far. */
  get replayed(): number {
    return this.#replayed;
  }

  /** `op` journaled under `name`: replayed while the journal has products, computed after. */
  wrap(name: string, op: Operator): Operator {
    return async (v) => {
      const i = this.#next++;
      const input = await sha256(v);
      if (i < this.#entries.length && !this.#diverged) {
        const e = this.#entries[i];
        if (e.operator === name && e.input === input) {
          this.#replayed++;
          // A copy: the callers own the arrays they receive.
          return e.output.slice();
        }
        // Only a change of code could do this, and the checkpoint belongs to one code version;
        // still, recompute rather than trust anything recorded after the divergence.
        this.opts.log?.(
          `warning: checkpoint product ${i + 1} (${e.operator}) does not match this run's ` +
            `(${name}); recomputing from there`,
        );
        this.#diverged = true;
      }
      if (i < this.#entries.length) this.#entries.length = i;
      const output = await op(v);
      this.#entries.push({ operator: name, input, output: output.slice() });
      await this.#maybeSave();
      return output;
    };
  }

  async #maybeSave(): Promise<void> {
    const count = this.#entries.length;
    const stop = this.opts.stopAfter !== undefined && count >= this.opts.stopAfter;
    const now = (this.opts.now ?? Date.now)();
    if (stop || now - this.#lastSave >= this.opts.intervalSeconds * 1000) {
      await this.save();
      this.#lastSave = now;
    }
    if (stop) throw new JournalStop(count);
  }

  /** Saves every product so far as a new checkpoint generation. */
  async save(): Promise<void> {
    const count = this.#entries.length;
    const outputs = new Uint8Array(count * this.n * 8);
    const view = new DataView(outputs.buffer);
    this.#entries.forEach((e, i) => {
      // Little-endian explicitly, so a checkpoint reads the same on any machine.
      for (let j = 0; j < this.n; j++) view.setFloat64((i * this.n + j) * 8, e.output[j], true);
    });
    const meta = {
      n: this.n,
      products: this.#entries.map((e) => ({ operator: e.operator, input_sha256: e.input })),
    };
    await saveSnapshot(this.opts.dir, `products-${String(count).padStart(8, "0")}`, {
      "journal.json": new TextEncoder().encode(JSON.stringify(meta)),
      "outputs.f64": outputs,
    });
  }
}

function decode(snap: Snapshot, n: number): Entry[] {
  const meta = JSON.parse(new TextDecoder().decode(snap.files.get("journal.json")));
  const bytes = snap.files.get("outputs.f64");
  if (meta.n !== n || !bytes || bytes.length !== meta.products.length * n * 8) {
    throw new Error("its shapes do not match this model");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return meta.products.map((p: { operator: string; input_sha256: string }, i: number) => {
    const output = new Float64Array(n);
    for (let j = 0; j < n; j++) output[j] = view.getFloat64((i * n + j) * 8, true);
    return { operator: p.operator, input: p.input_sha256, output };
  });
}

async function sha256(v: Float64Array): Promise<string> {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
