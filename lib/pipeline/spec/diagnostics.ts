/**
 * Errors for people: a position in pipeline.yaml, a message and a hint, and
 * the exit-code-carrying error classes the CLI maps to its exit codes.
 *
 * @module
 */

/** A 1-based line and column in a source file. */
export interface Pos {
  line: number;
  col: number;
}

/** One problem found in a pipeline file. */
export interface Diagnostic {
  /** The file, as it should be shown (relative to the working directory when possible). */
  file: string;
  pos?: Pos;
  message: string;
  /** Extra help, shown in parentheses after the message. */
  hint?: string;
}

/** Formats a diagnostic as `file:line:col: message (hint)`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.pos ? `${d.file}:${d.pos.line}:${d.pos.col}` : d.file;
  return `${where}: ${d.message}${d.hint ? ` (${d.hint})` : ""}`;
}

/** The pipeline file is invalid: every problem found, in file order. Exit code 2. */
export class PipelineError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "PipelineError";
  }
}

/** Bad command-line usage (unknown option, unknown instance, ...). Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Edit distance (Levenshtein), for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(
        prev[j] + 1,
        prev[j - 1] + 1,
        diag + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diag = up;
    }
  }
  return prev[b.length];
}

/** The closest candidate to `word` if it is plausibly a typo of it. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3));
  return bestD <= limit ? best : undefined;
}

/** A hint naming the closest candidate, or listing them all when nothing is close. */
export function suggestion(word: string, candidates: string[], what: string): string {
  const c = closest(word, candidates);
  if (c !== undefined) return `did you mean '${c}'?`;
  if (candidates.length === 0) return `there are no ${what}`;
  return `valid ${what}: ${candidates.join(", ")}`;
}

/** Like `suggestion`, but always lists the valid candidates (for references between steps). */
export function suggestionWithList(word: string, candidates: string[], what: string): string {
  const c = closest(word, candidates);
  const list = candidates.length
    ? `valid ${what}: ${candidates.join(", ")}`
    : `there are no ${what}`;
  return c !== undefined ? `did you mean '${c}'? ${list}` : list;
}
