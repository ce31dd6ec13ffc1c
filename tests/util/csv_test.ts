import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { parseCsv, toCsv } from "../../lib/util/csv.ts";

Deno.test("csv: numbers keep full precision and odd cells are quoted", () => {
  const text = toCsv(["a", "b"], [[0.1 + 0.2, 'say "hi", twice'], [1e-12, null]]);
  equal(text, 'a,b\n0.30000000000000004,"say ""hi"", twice"\n1e-12,\n');
  deepStrictEqual(parseCsv(text), [
    { a: "0.30000000000000004", b: 'say "hi", twice' },
    { a: "1e-12", b: "" },
  ]);
});

Deno.test("csv: rows of the wrong width are errors on both sides", () => {
  throws(() => toCsv(["a", "b"], [[1]]), /1 cells but the header has 2/);
  throws(() => parseCsv("a,b\n1,2\n3\n", "m.csv"), /m.csv: line 3 has 1 cells/);
  throws(() => parseCsv('a\n"open\n'), /unterminated/);
});
