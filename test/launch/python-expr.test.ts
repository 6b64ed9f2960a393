import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evalPythonExpression } from "../../src/launch/python-expr.js";
import { PyExprError, floatRepr } from "../../src/launch/python-values.js";
import { runPython, skipWithoutPython } from "./ros2/python.js";

type PyResult = { ok: string } | { err: string } | { big: true };

/** What Python gives for each expression (launch's eval: math's names in scope). */
const python = (exprs: string[]): PyResult[] => runPython("py_eval.py", exprs) as PyResult[];

function ours(expr: string): PyResult {
  try {
    return { ok: evalPythonExpression(expr) };
  } catch (err) {
    if (err instanceof PyExprError) return { err: err.pyType };
    throw err;
  }
}

/** Tether agrees with Python: same str(), or both fail; Tether may refuse only what is too big. */
function agree(expr: string, py: PyResult, ts: PyResult): string | undefined {
  if ("ok" in py) {
    if ("ok" in ts && ts.ok === py.ok) return undefined;
    return `${expr}: python ${py.ok}, tether ${JSON.stringify(ts)}`;
  }
  if ("big" in py || py.err === "MemoryError") {
    return "err" in ts && ts.err === "Unsupported"
      ? undefined
      : `${expr}: python too big, tether ${JSON.stringify(ts)}`;
  }
  return "err" in ts ? undefined : `${expr}: python raised ${py.err}, tether gave ${JSON.stringify(ts)}`;
}

// Transcendental functions (sin, atan2, hypot, exp, log, fractional powers) use JavaScript's Math, whose
// last digit may differ from glibc's: they are in the table, not in the generated batch.
// Tricky cases worth keeping in view: each is checked against python3 below, not against a copy.
const TABLE = [
  "2^3",
  "2**3",
  "2**-1",
  "-2**2",
  "(-2)**2",
  "7//2",
  "-7//2",
  "7//-2",
  "-7.5//2",
  "7%-3",
  "-7%3",
  "-7.5%2",
  "5.0%-0.0",
  "1/0",
  "1//0",
  "1%0.0",
  "0**-1",
  "10/4",
  "10/5",
  "1e16",
  "1e15",
  "0.0001",
  "0.00001",
  "123456789012345678.0",
  "0.1+0.2",
  "2**64",
  "2**0.5",
  "1.5e300*1e300",
  "-0.0",
  "0.0*-1",
  "True+True",
  "True^True",
  "True&False",
  "True|0",
  "~5",
  "~True",
  "3<<2",
  "-9>>1",
  "1 < 2 < 3",
  "1 < 3 < 2",
  "1 == 1.0",
  "'1' == 1",
  "'a' < 'b'",
  "'a' < 1",
  "'abc' in 'xabcx'",
  "1 in 'abc'",
  "'x' not in ['x', 'y']",
  "3 in (1, 2, 3)",
  "'' or 'default'",
  "'a' and 'b'",
  "0 and 1/0",
  "not ''",
  "not 'false'",
  "'true' == 'true' and 'x' != 'y'",
  "1 if 'False' else 2",
  "'a' + 'b' * 2",
  "3 * 'ab'",
  "'ab' * -1",
  "[1, 2] + [3]",
  "(1,) * 2",
  "str([1, 'a', 2.0])",
  "str(('x',))",
  'str("it\'s")',
  "int('  42 ')",
  "int('4_2')",
  "int('4.2')",
  "int(-3.9)",
  "int(True)",
  "float('1e3')",
  "float(' -inf ')",
  "float('nan') == float('nan')",
  "float('x')",
  "str(1.0)",
  "str(10**20 * 1.0)",
  "bool('')",
  "bool('False')",
  "bool(0.0)",
  "len('héllo')",
  "len([1, 2])",
  "len(5)",
  "abs(-3)",
  "round(2.5)",
  "round(-0.5)",
  "round(0.125, 2)",
  "round(2.675, 2)",
  "round(1234, -2)",
  "round(1250, -2)",
  "round(-1.5, 0)",
  "round(1e300, -299)",
  "abs(-2.5)",
  "min(3, 1, 2)",
  "max('a', 'b')",
  "max([])",
  "math.floor(-2.5)",
  "math.ceil(2.1)",
  "math.sqrt(16)",
  "math.sqrt(-1)",
  "math.log(0)",
  "math.log(8, 2)",
  "math.pi",
  "pi * 2",
  "sqrt(2)",
  "math.inf > 1e308",
  "math.pow(2, 10)",
  "math.fmod(-7, 3)",
  "math.copysign(1, -0.0)",
  "math.trunc(-2.7)",
  "math.isnan(nan)",
  "math.degrees(math.pi)",
  "0x1F + 0o17 + 0b101",
  "1_000 + 1",
  "007",
  "1.",
  ".5",
  "'a' 'b'",
  "r'\\d'",
  "'\\x41\\n'",
  "foo",
  "foo == 'bar'",
  "open('x')",
  "1 +",
  "(1, 2",
  "None",
  "str(None)",
  "5 if True else",
];

// Python evaluates these; launch files have no business doing so, and Tether refuses them by name.
const REFUSED = [
  "(-8)**(1/3)",
  "'a'.upper()",
  "[1][0]",
  "__import__('os')",
  "1 is 1",
  "lambda: 1",
  "open('/dev/null')",
];

describe.skipIf(skipWithoutPython)("$(eval): the Python subset, checked against python3", () => {
  it("refuses by name what Python would run but launch files do not need", () => {
    const py = python(REFUSED);
    expect(py.map((r) => "ok" in r)).toEqual(REFUSED.map(() => true));
    expect(REFUSED.map((e) => ours(e))).toEqual(
      REFUSED.map(() => expect.objectContaining({ err: expect.stringMatching(/Unsupported|NameError/) })),
    );
  });

  it("agrees with python3 on the table of tricky cases", () => {
    const py = python(TABLE);
    const wrong = TABLE.map((e, k) => agree(e, py[k], ours(e))).filter((x) => x !== undefined);
    expect(wrong).toEqual([]);
  });

  it("agrees with python3 on generated expressions (one python3 process per batch)", () => {
    const { expr } = fc.letrec<{ expr: string; atom: string }>((tie) => ({
      atom: fc.oneof(
        fc.integer({ min: -20, max: 20 }).map(String),
        fc.constantFrom("0", "1", "2", "3", "100", "12345678901", "2**70"),
        fc.constantFrom("0.5", "1.0", "2.5", "0.1", "1e3", "3.75", "1e-7", "1e17", "-0.0"),
        fc.constantFrom("True", "False", "''", "'a'", "'ab'", "'true'", "'False'", "'x y'", "'10'", "'2.5'"),
        fc.constantFrom("pi", "math.e", "[1, 'a']", "('a', 2)", "[]"),
      ),
      expr: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        tie("atom"),
        fc
          .tuple(
            tie("expr"),
            fc.constantFrom(
              "+",
              "-",
              "*",
              "/",
              "//",
              "%",
              "^",
              "&",
              "|",
              "<<",
              ">>",
              "==",
              "!=",
              "<",
              "<=",
              ">",
              ">=",
              "and",
              "or",
              "in",
              "not in",
            ),
            tie("expr"),
          )
          .map(([a, op, b]) => (op === "<<" ? `${a} << (${b}) % 8` : `${a} ${op} ${b}`)),
        fc.tuple(tie("expr"), fc.integer({ min: -3, max: 6 })).map(([a, n]) => `(${a}) ** ${n}`),
        fc.tuple(fc.constantFrom("-", "+", "not ", "~"), tie("expr")).map(([op, a]) => `${op}${a}`),
        tie("expr").map((a) => `(${a})`),
        fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([a, c, b]) => `${a} if ${c} else ${b}`),
        fc
          .tuple(
            fc.constantFrom(
              "int",
              "float",
              "str",
              "bool",
              "len",
              "abs",
              "round",
              "math.floor",
              "math.sqrt",
              "math.fabs",
            ),
            tie("expr"),
          )
          .map(([f, a]) => `${f}(${a})`),
        fc
          .tuple(
            fc.constantFrom("min", "max", "math.fmod", "math.copysign", "round"),
            tie("expr"),
            tie("expr"),
          )
          .map(([f, a, b]) => `${f}(${a}, ${b})`),
      ),
    }));
    const batch = fc.sample(expr, { numRuns: 3000, seed: 21 });
    const py = python(batch);
    const wrong = batch.map((e, k) => agree(e, py[k], ours(e))).filter((x) => x !== undefined);
    expect(wrong.slice(0, 20)).toEqual([]);
    // The batch exercises successes, not just errors on both sides.
    expect(py.filter((r) => "ok" in r).length).toBeGreaterThan(batch.length / 4);
  });
});

describe("$(eval) output", () => {
  it("prints floats as Python's repr", () => {
    expect([1, 0.1, 1e16, 1e-5, 123.456, -0, 1.5e300].map(floatRepr)).toEqual([
      "1.0",
      "0.1",
      "1e+16",
      "1e-05",
      "123.456",
      "-0.0",
      "1.5e+300",
    ]);
  });

  it("names what it refuses", () => {
    expect(() => evalPythonExpression("__import__('os')")).toThrow(/__import__\(\) is not available/);
    expect(() => evalPythonExpression("x.y")).toThrow(/attribute access is not supported/);
    expect(() => evalPythonExpression("robot == 'a'")).toThrow("NameError: name 'robot' is not defined");
  });
});
