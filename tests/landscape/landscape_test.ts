import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { gridAxis, landscapePlane, pointAt } from "../../lib/landscape/pca_plane.ts";

const close = (a: number, b: number, tol = 1e-12) => ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("landscape plane: a trajectory in a known plane; the minimum projects to (0, 0); bias left out", () => {
  // 7 points: QNN parameters (first 4 entries) move in the plane of e0 (large) and e2 (small);
  // the last entry plays the bias and changes wildly, which PCA must ignore.
  const n = 5;
  const xs = [-3, -2, -1, 0, 1, 2, 3];
  const ys = [1, 0, -1, 0, -1, 0, 1]; // orthogonal to xs and centred
  const rows = xs.length;
  const traj = new Float64Array(rows * n);
  xs.forEach((x, t) => {
    traj.set([10 + x, 5, 7 + 0.1 * ys[t], -1, 1000 * t * t], t * n);
  });
  const minRow = 4;
  const plane = landscapePlane(traj, rows, n, 4, minRow);
  const [c1, c2] = plane.components;
  close(Math.abs(c1[0]), 1);
  close(Math.abs(c2[2]), 1);
  deepStrictEqual(c1.length, 4);
  // Variances: x has 28/6, 0.1*y has 0.06/6 (up to centring of y): ratios known in closed form.
  const yMean = ys.reduce((a, b) => a + b, 0) / rows;
  const vx = xs.reduce((a, x) => a + x * x, 0);
  const vy = ys.reduce((a, y) => a + (0.1 * (y - yMean)) ** 2, 0);
  close(plane.explainedVarianceRatio[0], vx / (vx + vy));
  close(plane.explainedVarianceRatio[1], vy / (vx + vy));
  deepStrictEqual(plane.trajectory[minRow], [0, 0]);
  // Coordinates relative to the minimum: x - x_min along PC1 (up to the component's sign).
  close(Math.abs(plane.trajectory[0][0]), 4);
  // On the plane through the minimum, grid (0, 0) is the minimum itself, bias included; the
  // minimum lies in the plane here, so the paper's plane gives it too (up to rounding).
  const min = traj.slice(minRow * n, (minRow + 1) * n);
  deepStrictEqual(pointAt(min, plane, 0, 0, "minimum"), min);
  const onPaper = pointAt(min, plane, 0, 0);
  for (let j = 0; j < n; j++) close(onPaper[j], min[j], 1e-9);
  close(plane.minimumResidual, 0, 1e-9);
  const moved = pointAt(
    traj.slice(minRow * n, (minRow + 1) * n),
    plane,
    plane.trajectory[0][0],
    plane.trajectory[0][1],
  );
  for (let j = 0; j < 4; j++) close(moved[j], traj[j], 1e-9);
  deepStrictEqual(moved[4], traj[minRow * n + 4]);
});

Deno.test("landscape grid: trajectory range plus the margin on both sides, ends included", () => {
  deepStrictEqual(gridAxis([-1, 2, 0.5], 4, 1), [-2, -2 + 5 / 3, -2 + 10 / 3, 3]);
  deepStrictEqual(gridAxis([0, 0], 3, 5), [-5, 0, 5]);
  throws(() => gridAxis([0, 1], 1, 0), /grid size must be >= 2/);
  throws(() => gridAxis([0, 1], 5, -1), /margin/);
});

Deno.test("landscape plane: bad shapes are clear errors", () => {
  throws(() => landscapePlane(new Float64Array(9), 3, 4, 2, 0), /not 3 x 4/);
  throws(() => landscapePlane(new Float64Array(8), 2, 4, 2, 0), /at least 3/);
  throws(() => landscapePlane(new Float64Array(12), 3, 4, 2, 3), /out of range/);
});

Deno.test("landscape plane: the paper's plane passes through the mean; the minimum's residual", () => {
  // Five points in the (e0, e1) plane, and a minimum lifted off it along e2 by 0.3.
  const n = 4;
  const pts = [[0, 0, 0], [2, 0, 0], [0, 1, 0], [2, 1, 0], [1, 0.5, 0.3]];
  const traj = new Float64Array(pts.length * n);
  pts.forEach((p, t) => traj.set([...p, 9], t * n));
  const minRow = 4;
  const plane = landscapePlane(traj, pts.length, n, 3, minRow);
  const min = traj.slice(minRow * n, (minRow + 1) * n);
  const mean = [1, 0.5, 0.06];
  mean.forEach((m, j) => close(plane.mean[j], m, 1e-12));
  // The two planes' (0, 0) differ by exactly the minimum's out-of-plane residual.
  const onPaper = pointAt(min, plane, 0, 0, "trajectory_mean");
  const onMin = pointAt(min, plane, 0, 0, "minimum");
  let gap = 0;
  for (let j = 0; j < 3; j++) gap += (onPaper[j] - onMin[j]) ** 2;
  close(Math.sqrt(gap), plane.minimumResidual, 1e-12);
  ok(plane.minimumResidual > 0.1, `residual ${plane.minimumResidual}`);
  // Both planes move the same way with (x, y), and keep the bias at the minimum's.
  const a = pointAt(min, plane, 1.5, -0.5, "trajectory_mean");
  const b = pointAt(min, plane, 1.5, -0.5, "minimum");
  for (let j = 0; j < 3; j++) close(b[j] - a[j], onMin[j] - onPaper[j], 1e-12);
  deepStrictEqual([a[3], b[3]], [9, 9]);
  // The paper's (0, 0) is the minimum's projection: mean + m1 c1 + m2 c2.
  const [c1, c2] = plane.components;
  const [m1, m2] = plane.minimumProjection;
  for (let j = 0; j < 3; j++) close(onPaper[j], mean[j] + m1 * c1[j] + m2 * c2[j], 1e-12);
});
