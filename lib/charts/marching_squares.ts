/**
 * Isolines of a field sampled on a rectangular grid (marching squares), for
 * the contour plots of the loss landscape: Vega-Lite has no contour mark, so
 * the lines are computed here and drawn as ordinary line marks.
 *
 * Each grid cell is classified by which corners lie at or above the level;
 * the isoline crosses an edge whose ends are on different sides, at the
 * linearly interpolated point. Saddle cells (opposite corners on the same
 * side) are resolved with the mean of the four corners. Segments are then
 * chained into polylines through the edges they share, so one closed contour
 * comes out as one closed polyline (first point repeated at the end).
 *
 * @module
 */

/** A point in data coordinates. */
export type Point = [number, number];

// Edge numbering inside a cell with corners a (x0,y0), b (x1,y0), c (x1,y1), d (x0,y1):
// 0 = bottom (a-b), 1 = right (b-c), 2 = top (d-c), 3 = left (a-d).
// Segments per case (bit 1 = a, 2 = b, 4 = c, 8 = d at or above the level); saddles 5 and 10
// are listed for "centre below"; "centre at or above" uses SADDLE_HIGH.
const CASES: readonly (readonly [number, number][])[] = [
  [],
  [[3, 0]],
  [[0, 1]],
  [[3, 1]],
  [[1, 2]],
  [[3, 0], [1, 2]],
  [[0, 2]],
  [[3, 2]],
  [[2, 3]],
  [[0, 2]],
  [[0, 1], [2, 3]],
  [[1, 2]],
  [[3, 1]],
  [[0, 1]],
  [[3, 0]],
  [],
];
const SADDLE_HIGH: Record<number, readonly [number, number][]> = {
  5: [[0, 1], [2, 3]],
  10: [[3, 0], [1, 2]],
};

/**
 * The isolines of `z` at `level`. `z` has `ys.length` rows of `xs.length`
 * values (`z[i][j]` at `(xs[j], ys[i])`); cells with a non-finite corner are
 * skipped. Returns polylines in data coordinates.
 */
export function isolines(
  z: readonly ArrayLike<number>[],
  xs: readonly number[],
  ys: readonly number[],
  level: number,
): Point[][] {
  const ny = ys.length;
  const nx = xs.length;
  if (z.length !== ny || z.some((row) => row.length !== nx)) {
    throw new Error(`isolines: z must have ${ny} rows of ${nx} values`);
  }
  // Edge keys: horizontal edge from (i, j) to (i, j+1) -> 2(i nx + j); vertical edge from
  // (i, j) to (i+1, j) -> 2(i nx + j) + 1. Shared edges of neighbouring cells get one key.
  const hKey = (i: number, j: number) => 2 * (i * nx + j);
  const vKey = (i: number, j: number) => 2 * (i * nx + j) + 1;
  const points = new Map<number, Point>();
  const segments: [number, number][] = [];
  const cross = (key: number): Point => {
    let p = points.get(key);
    if (p) return p;
    const cell = key >> 1;
    const i = Math.floor(cell / nx);
    const j = cell % nx;
    if ((key & 1) === 0) {
      const t = (level - z[i][j]) / (z[i][j + 1] - z[i][j]);
      p = [xs[j] + t * (xs[j + 1] - xs[j]), ys[i]];
    } else {
      const t = (level - z[i][j]) / (z[i + 1][j] - z[i][j]);
      p = [xs[j], ys[i] + t * (ys[i + 1] - ys[i])];
    }
    points.set(key, p);
    return p;
  };
  for (let i = 0; i + 1 < ny; i++) {
    for (let j = 0; j + 1 < nx; j++) {
      const a = z[i][j], b = z[i][j + 1], c = z[i + 1][j + 1], d = z[i + 1][j];
      if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c) && Number.isFinite(d))) {
        continue;
      }
      const index = (a >= level ? 1 : 0) | (b >= level ? 2 : 0) | (c >= level ? 4 : 0) |
        (d >= level ? 8 : 0);
      let segs = CASES[index];
      if ((index === 5 || index === 10) && (a + b + c + d) / 4 >= level) segs = SADDLE_HIGH[index];
      const keys = [hKey(i, j), vKey(i, j + 1), hKey(i + 1, j), vKey(i, j)];
      for (const [e, f] of segs) segments.push([keys[e], keys[f]]);
    }
  }
  return chain(segments).map((keys) => keys.map(cross));
}

/** Joins segments (pairs of edge keys) into maximal chains of keys. */
function chain(segments: [number, number][]): number[][] {
  const byKey = new Map<number, number[]>();
  segments.forEach(([p, q], s) => {
    for (const k of [p, q]) {
      const list = byKey.get(k);
      if (list) list.push(s);
      else byKey.set(k, [s]);
    }
  });
  const used = new Uint8Array(segments.length);
  const walk = (start: number, from: number): number[] => {
    const keys = [from];
    let seg = start;
    let key = from;
    while (true) {
      used[seg] = 1;
      const [p, q] = segments[seg];
      key = p === key ? q : p;
      keys.push(key);
      const next = byKey.get(key)!.find((s) => !used[s]);
      if (next === undefined) return keys;
      seg = next;
    }
  };
  const lines: number[][] = [];
  // Open lines first, from an end on the grid boundary (a key used by one segment only)...
  for (const [key, segs] of byKey) {
    if (segs.length === 1 && !used[segs[0]]) lines.push(walk(segs[0], key));
  }
  // ...then the closed loops that remain.
  segments.forEach(([p], s) => {
    if (!used[s]) lines.push(walk(s, p));
  });
  return lines;
}
