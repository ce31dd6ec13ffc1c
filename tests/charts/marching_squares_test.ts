import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../report/_assert.ts";
import { isolines } from "../../lib/charts/marching_squares.ts";
import { contourLevels, niceStep, publishedLevels } from "../../lib/charts/levels.ts";

function grid(n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

function field(xs: number[], ys: number[], f: (x: number, y: number) => number): number[][] {
  return ys.map((y) => xs.map((x) => f(x, y)));
}

Deno.test("isolines: concentric circles give one closed line at the level's radius", () => {
  const xs = grid(81, -2, 2);
  const ys = grid(61, -2.2, 2.2); // a different spacing per axis, to catch an x/y swap
  const z = field(xs, ys, (x, y) => Math.hypot(x, y));
  for (const r of [0.5, 1, 1.7]) {
    const lines = isolines(z, xs, ys, r);
    assertEquals(lines.length, 1, `radius ${r}: one contour`);
    const line = lines[0];
    assertEquals(line[0], line[line.length - 1], "closed: the first point is repeated");
    assert(line.length > 20);
    for (const [x, y] of line) {
      // Linear interpolation of |p| along a grid edge is exact to O(h^2 / r).
      assertAlmostEquals(Math.hypot(x, y), r, 2e-3);
    }
    // Goes all the way round: every quadrant is visited.
    const quadrants = new Set(line.map(([x, y]) => `${x > 0 ? 1 : 0}${y > 0 ? 1 : 0}`));
    assertEquals(quadrants.size, 4);
  }
});

Deno.test("isolines: a linear field gives the exact straight line, open at the boundary", () => {
  const xs = grid(11, 0, 10);
  const ys = grid(7, 0, 3);
  const z = field(xs, ys, (x) => 2 * x + 1);
  const lines = isolines(z, xs, ys, 8); // 2x + 1 = 8 -> x = 3.5
  assertEquals(lines.length, 1);
  assertEquals(lines[0].length, ys.length, "one point per grid row");
  for (const [x] of lines[0]) assertAlmostEquals(x, 3.5, 1e-12);
  const ysOnLine = lines[0].map((p) => p[1]).sort((a, b) => a - b);
  assertEquals(ysOnLine[0], 0);
  assertEquals(ysOnLine[ysOnLine.length - 1], 3);
});

Deno.test("isolines: two separate bumps give two closed lines", () => {
  const xs = grid(60, -4, 4);
  const ys = grid(40, -2, 2);
  const z = field(
    xs,
    ys,
    (x, y) => Math.exp(-((x - 2) ** 2 + y * y)) + Math.exp(-((x + 2) ** 2 + y * y)),
  );
  const lines = isolines(z, xs, ys, 0.5);
  assertEquals(lines.length, 2);
  for (const l of lines) assertEquals(l[0], l[l.length - 1]);
});

Deno.test("isolines: a saddle resolves by the cell mean, and levels outside the range give nothing", () => {
  // z = x y on a 2 x 2 grid: corners +1, -1, +1, -1; the centre (0) is >= level 0.
  const xs = [-1, 1];
  const ys = [-1, 1];
  const z = field(xs, ys, (x, y) => x * y);
  const lines = isolines(z, xs, ys, 0);
  assertEquals(lines.length, 2, "a saddle cell yields two segments");
  for (const l of lines) assertEquals(l.length, 2);
  assertEquals(isolines(z, xs, ys, 5), []);
  assertEquals(isolines(z, xs, ys, -5), []);
});

Deno.test("isolines: cells with a non-finite corner are skipped", () => {
  const xs = grid(5, 0, 4);
  const ys = grid(5, 0, 4);
  const z = field(xs, ys, (x) => x);
  z[2][2] = NaN;
  const lines = isolines(z, xs, ys, 2.5);
  const points = lines.flat();
  assert(points.length > 0);
  for (const [x] of points) assertAlmostEquals(x, 2.5, 1e-12);
  // The four cells around the NaN are skipped: the line at x = 2.5 breaks in two.
  assertEquals(lines.length, 2);
});

Deno.test("isolines: rejects a mis-shaped field", () => {
  assertThrows(() => isolines([[1, 2]], [0, 1, 2], [0], 1), /must have 1 rows of 3/);
});

Deno.test("contour levels: uniform round steps strictly inside the range", () => {
  assertEquals(niceStep(10, 10), 1);
  assertEquals(niceStep(2.3, 10), 0.25);
  assertEquals(contourLevels(0.05, 2.31, 10), [
    0.25,
    0.5,
    0.75,
    1,
    1.25,
    1.5,
    1.75,
    2,
    2.25,
  ]);
  assertEquals(contourLevels(0, 1, 4), [0.25, 0.5, 0.75]);
  assertEquals(contourLevels(1, 1), []);
  assertEquals(contourLevels(NaN, 1), []);
  for (const v of contourLevels(0.1, 0.7, 12)) assertEquals(v, Number(v.toPrecision(6)));
});

Deno.test("published levels: from floor(10 min) / 10 every 0.5 below the maximum", () => {
  assertEquals(publishedLevels(0.137, 1.4), [0.1, 0.6, 1.1]);
  assertEquals(publishedLevels(2.0, 3.0), [2, 2.5]);
  assertEquals(publishedLevels(1, 1), []);
});
