import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileExpr, evaluateExpr, exprVariables, parseExpr, ExprError } from "../../src/core/expr.js";

describe("expr", () => {
  it("follows arithmetic precedence and associativity", () => {
    expect(evaluateExpr("1 + 2 * 3")).toBe(7);
    expect(evaluateExpr("(1 + 2) * 3")).toBe(9);
    expect(evaluateExpr("2 ^ 3 ^ 2")).toBe(512); // right-associative
    expect(evaluateExpr("-2 ^ 2")).toBe(-4); // unary minus binds looser than ^
    expect(evaluateExpr("10 - 4 - 3")).toBe(3);
    expect(evaluateExpr("2 ** 3")).toBe(8);
  });

  it("evaluates comparisons, logic and the conditional as 1/0", () => {
    expect(evaluateExpr("1 < 2 && 3 >= 3")).toBe(1);
    expect(evaluateExpr("!(1 == 1) || 0")).toBe(0);
    expect(evaluateExpr("x > 0 ? 5 : -5", { x: -1 })).toBe(-5);
    expect(evaluateExpr("true + True")).toBe(2);
  });

  it("reads dotted variables by index", () => {
    const names = ["position.hinge", "velocity.hinge"];
    const f = compileExpr("cos(position.hinge) + 0.5 * velocity.hinge", (n) => names.indexOf(n));
    expect(f([0, 2])).toBeCloseTo(2);
    expect(exprVariables(parseExpr("a.b + c * a.b"))).toEqual(["a.b", "c"]);
  });

  it("wraps angles into [-pi, pi)", () => {
    fc.assert(
      fc.property(fc.double({ min: -100, max: 100, noNaN: true }), (x) => {
        const w = evaluateExpr("wrap_angle(x)", { x });
        expect(w).toBeGreaterThanOrEqual(-Math.PI - 1e-12);
        expect(w).toBeLessThan(Math.PI + 1e-12);
        expect(Math.abs(Math.sin(w) - Math.sin(x))).toBeLessThan(1e-9);
      }),
    );
  });

  it("rejects unknown variables with the name", () => {
    expect(() => compileExpr("foo + 1", () => -1)).toThrow(/unknown variable "foo"/);
  });

  it("rejects unknown functions, listing the known ones", () => {
    expect(() => parseExpr("eval(1)")).toThrow(/unknown function "eval"/);
  });

  it("rejects wrong arity", () => {
    expect(() => parseExpr("clip(1, 2)")).toThrow(/clip\(\) takes 3..3 arguments, got 2/);
  });

  it("rejects trailing garbage with a column", () => {
    try {
      parseExpr("1 + 2 )");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ExprError);
      expect((err as ExprError).message).toContain("column 7");
    }
  });

  it("rejects property access and string tricks", () => {
    expect(() => parseExpr("constructor['x']")).toThrow(ExprError);
    expect(() => parseExpr("process.exit()")).toThrow(/unknown function "process.exit"/);
  });
});
