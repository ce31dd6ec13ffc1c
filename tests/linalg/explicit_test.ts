import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { explicitMatrix } from "../../lib/linalg/explicit.ts";
import { denseOperator, type Operator } from "../../lib/linalg/operator.ts";
import { symmetricEigen } from "../../lib/linalg/dense_eig.ts";
import { withSpectrum } from "./_helpers.ts";

Deno.test("explicitMatrix rebuilds a symmetric matrix from its operator; exact spectrum", async () => {
  const lambda = [4, -1, 0.5, 2, 7, -3];
  const { a, n } = withSpectrum(lambda, 21);
  let columns = 0;
  const r = await explicitMatrix(denseOperator(a, n), n, {
    symmetryTol: 1e-14,
    onColumn: () => columns++,
  });
  strictEqual(columns, n);
  deepStrictEqual(r.matrix, a);
  strictEqual(r.asymmetry, 0);
  const { values } = symmetricEigen(r.matrix, n);
  const want = lambda.slice().sort((x, y) => x - y);
  values.forEach((v, i) => ok(Math.abs(v - want[i]) < 1e-13));
});

Deno.test("asymmetry is measured, can be rejected, and symmetrised away", async () => {
  // [[1, 2], [2.5, 3]] as an operator: columns (1, 2.5) and (2, 3).
  const op: Operator = (v) =>
    Promise.resolve(Float64Array.from([v[0] + 2 * v[1], 2.5 * v[0] + 3 * v[1]]));
  const r = await explicitMatrix(op, 2);
  deepStrictEqual(Array.from(r.matrix), [1, 2, 2.5, 3]);
  ok(Math.abs(r.asymmetry - 0.5 / 3) < 1e-15);
  await rejects(() => explicitMatrix(op, 2, { symmetryTol: 1e-6 }), /asymmetry/);
  const s = await explicitMatrix(op, 2, { symmetrize: true });
  deepStrictEqual(Array.from(s.matrix), [1, 2.25, 2.25, 3]);
  ok(s.asymmetry > 0.1); // reported before symmetrising
});
