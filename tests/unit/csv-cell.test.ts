// Issue 14, item 24: the CSV export neutralises only cells that could start a formula. A well-formed Matrix ID is
// not prefixed with "'" (it broke the IDs for scripts); anything else starting with = + - @ tab CR still is.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { csvCell, isInertMatrixId } from "../../app/services/posture/export.server";

describe("csvCell", () => {
  it("leaves well-formed Matrix IDs as they are", () => {
    for (const id of ["@alice:example.org", "@bob.smith_2=x/y+z-w:matrix.example.com:8448", "@admin:localhost", "@u:127.0.0.1", "@u:[::1]:8448"]) {
      expect(csvCell(id), id).toBe(id);
    }
  });

  it("still neutralises formulas, also those dressed as IDs", () => {
    for (const cell of ["=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(1,2)", "\t=1", "\r=1", "@A1:B2", "@ab:cd", "@1:2", "@Alice:example.org", "@x:y|cmd", "@a b:c"]) {
      expect(csvCell(cell).replace(/^"/, ""), JSON.stringify(cell)).toMatch(/^'/);
    }
  });

  it("lets through only IDs of the grammar: no parenthesis, quote, bar, bang, separator or space", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."@:ab1.=-+/()|!\"', ;A"), maxLength: 12 }), (s) => {
        if (isInertMatrixId(s)) expect(s).toMatch(/^@[a-z0-9._=\-/+]+:[A-Za-z0-9.:\-[\]]+$/);
        if (s.startsWith("@") && !isInertMatrixId(s)) expect(csvCell(s).replace(/^"/, "")).toMatch(/^'/);
      }),
      { numRuns: 2000 },
    );
  });
});
