/**
 * The Python expression subset ROS 2 launch files pass to $(eval): launch runs them with Python's eval()
 * (math's names in scope), so the results here follow Python: ints are arbitrary precision, `/` is true
 * division, `//` and `%` floor towards -inf, `^` is XOR, `and`/`or` return an operand, and str() of the
 * result is what the substitution yields ("True", "2.0", "1e+16"). Nothing is executed: there are no
 * names beyond math's, no attribute access beyond `math.`, and no calls beyond int float str bool len
 * abs round min max and math's functions. test/launch/python-expr.test.ts checks it against python3 itself.
 */
import { parsePython, type PyAst } from "./python-syntax.js";
import {
  BOOL,
  FLOAT,
  INT,
  MAX_INT_BITS,
  MAX_STR,
  STR,
  asInt,
  checkFloat,
  checkInt,
  fail,
  floatDivmod,
  floatToRatio,
  intFloorDiv,
  intMod,
  intTrueDiv,
  isNum,
  powInteger,
  pyStr,
  ratioToFloat,
  strRepr,
  toFloat,
  truthy,
  typeName,
  type PyValue,
} from "./python-values.js";

function repeat(seq: PyValue, n: PyValue): PyValue {
  const count = Number(asInt(n));
  if ((seq.t === "str" || seq.t === "list") && seq.v.length === 0) return seq;
  if (seq.t === "str") {
    if (count <= 0) return STR("");
    if (seq.v.length * count > MAX_STR) fail("Unsupported", "string repetition result is too long");
    return STR(seq.v.repeat(count));
  }
  const list = seq as Extract<PyValue, { t: "list" }>;
  if (count <= 0) return { t: "list", v: [], tuple: list.tuple };
  if (list.v.length * count > MAX_STR) fail("Unsupported", "list repetition result is too long");
  return { t: "list", v: Array.from({ length: count }, () => list.v).flat(), tuple: list.tuple };
}

function unsupportedOperands(op: string, a: PyValue, b: PyValue): never {
  return fail("TypeError", `unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

/** str % args: only the no-placeholder case (Python's rules for leftover arguments); %-formats are refused. */
function formatPercent(text: string, args: PyValue): PyValue {
  if (text.includes("%")) fail("Unsupported", "printf-style string formatting (str % ...) is not supported");
  const unused = args.t === "list" ? args.tuple && args.v.length > 0 : true;
  if (unused) fail("TypeError", "not all arguments converted during string formatting");
  return STR(text);
}

function arith(op: string, a: PyValue, b: PyValue): PyValue {
  const bothInt = (a.t === "int" || a.t === "bool") && (b.t === "int" || b.t === "bool");
  if (op === "+" && a.t === "str" && b.t === "str") return STR(a.v + b.v);
  if (op === "+" && a.t === "list" && b.t === "list" && a.tuple === b.tuple)
    return { t: "list", v: [...a.v, ...b.v], tuple: a.tuple };
  if (op === "*") {
    if ((a.t === "str" || a.t === "list") && (b.t === "int" || b.t === "bool")) return repeat(a, b);
    if ((b.t === "str" || b.t === "list") && (a.t === "int" || a.t === "bool")) return repeat(b, a);
  }
  if (op === "%" && a.t === "str") return formatPercent(a.v, b);
  if (!isNum(a) || !isNum(b)) unsupportedOperands(op, a, b);
  if (["^", "&", "|", "<<", ">>"].includes(op)) {
    if (!bothInt) unsupportedOperands(op, a, b);
    const x = asInt(a);
    const y = asInt(b);
    const isBool = a.t === "bool" && b.t === "bool";
    switch (op) {
      case "^":
        return isBool ? BOOL((x ^ y) !== 0n) : INT(x ^ y);
      case "&":
        return isBool ? BOOL((x & y) !== 0n) : INT(x & y);
      case "|":
        return isBool ? BOOL((x | y) !== 0n) : INT(x | y);
      case "<<":
        if (y < 0n) fail("ValueError", "negative shift count");
        if (y > MAX_INT_BITS) fail("Unsupported", `shift larger than ${MAX_INT_BITS} bits`);
        return checkInt(x << y);
      default:
        if (y < 0n) fail("ValueError", "negative shift count");
        return INT(x >> y);
    }
  }
  if (bothInt) {
    const x = asInt(a);
    const y = asInt(b);
    switch (op) {
      case "+":
        return checkInt(x + y);
      case "-":
        return checkInt(x - y);
      case "*":
        return checkInt(x * y);
      case "/":
        return FLOAT(intTrueDiv(x, y));
      case "//":
        return INT(intFloorDiv(x, y));
      case "%":
        return INT(intMod(x, y));
      case "**":
        if (y < 0n) {
          if (x === 0n) fail("ZeroDivisionError", "0.0 cannot be raised to a negative power");
          return checkFloat(powInteger(toFloat(a), y), "**");
        }
        if (x !== 0n && x !== 1n && x !== -1n && y > MAX_INT_BITS)
          fail("Unsupported", `integer result larger than ${MAX_INT_BITS} bits`);
        return checkInt(x ** y);
    }
  }
  const x = toFloat(a);
  const y = toFloat(b);
  switch (op) {
    case "+":
      return FLOAT(x + y);
    case "-":
      return FLOAT(x - y);
    case "*":
      return FLOAT(x * y);
    case "/":
      if (y === 0) fail("ZeroDivisionError", "float division by zero");
      return FLOAT(x / y);
    case "//":
      return FLOAT(floatDivmod(x, y)[0]);
    case "%":
      if (y === 0) fail("ZeroDivisionError", "float modulo");
      return FLOAT(floatDivmod(x, y)[1]);
    case "**": {
      if (x === 0 && y < 0) fail("ZeroDivisionError", "0.0 cannot be raised to a negative power");
      if (x < 0 && !Number.isInteger(y) && Number.isFinite(y))
        fail("Unsupported", "a negative number to a fractional power is complex in Python");
      if (x === 1 || y === 0) return FLOAT(1);
      if (Number.isInteger(y) && Math.abs(y) <= 4096) return checkFloat(powInteger(x, BigInt(y)), op);
      return checkFloat(Math.pow(x, y), op);
    }
  }
  return unsupportedOperands(op, a, b);
}

/** Compares two numbers exactly, as Python does between ints and floats. */
function numCompare(a: PyValue, b: PyValue): number {
  if (a.t !== "float" && b.t !== "float") {
    const x = asInt(a);
    const y = asInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = a.t === "float" ? a.v : undefined;
  const y = b.t === "float" ? b.v : undefined;
  if ((x !== undefined && Number.isNaN(x)) || (y !== undefined && Number.isNaN(y))) return NaN;
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  // One int, one float: compare exactly when the float is integral, else by value.
  const f = (x ?? y) as number;
  const n = x === undefined ? asInt(a) : asInt(b);
  let c: number;
  if (!Number.isFinite(f)) c = f > 0 ? -1 : 1;
  else if (Number.isInteger(f)) {
    const fi = BigInt(f);
    c = n < fi ? -1 : n > fi ? 1 : 0;
  } else {
    const nf = Number(n);
    c = nf < f ? -1 : 1;
  }
  return x === undefined ? c : -c;
}

function pyEquals(a: PyValue, b: PyValue): boolean {
  if (isNum(a) && isNum(b)) return numCompare(a, b) === 0;
  if (a.t === "str" && b.t === "str") return a.v === b.v;
  if (a.t === "none" && b.t === "none") return true;
  if (a.t === "list" && b.t === "list")
    return a.tuple === b.tuple && a.v.length === b.v.length && a.v.every((x, k) => pyEquals(x, b.v[k]));
  return false;
}

function compare(op: string, a: PyValue, b: PyValue): boolean {
  switch (op) {
    case "==":
      return pyEquals(a, b);
    case "!=":
      return !pyEquals(a, b);
    case "in":
    case "not in": {
      let found: boolean;
      if (b.t === "str") {
        if (a.t !== "str")
          fail("TypeError", `'in <string>' requires string as left operand, not ${typeName(a)}`);
        found = b.v.includes((a as { v: string }).v);
      } else if (b.t === "list") found = b.v.some((x) => pyEquals(a, x));
      else return fail("TypeError", `argument of type '${typeName(b)}' is not iterable`);
      return op === "in" ? found : !found;
    }
  }
  let c: number;
  if (isNum(a) && isNum(b)) c = numCompare(a, b);
  else if (a.t === "str" && b.t === "str") c = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  else if (a.t === "list" && b.t === "list" && a.tuple === b.tuple) {
    // Sequences order by their first differing item, then by length.
    const k = a.v.findIndex((x, j) => j >= b.v.length || !pyEquals(x, b.v[j]));
    if (k >= 0 && k < b.v.length) return compare(op, a.v[k], b.v[k]);
    c = a.v.length - b.v.length;
  } else
    return fail(
      "TypeError",
      `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`,
    );
  if (Number.isNaN(c)) return false;
  return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0;
}

// ---------------------------------------------------------------- functions

function parseIntText(s: string): bigint {
  const t = s.trim();
  if (!/^[+-]?\d(?:_?\d)*$/.test(t))
    fail("ValueError", `invalid literal for int() with base 10: ${strRepr(s)}`);
  return BigInt(t.replace(/_/g, ""));
}

function parseFloatText(s: string): number {
  const t = s.trim().replace(/(\d)_(?=\d)/g, "$1");
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t))
    fail("ValueError", `could not convert string to float: ${strRepr(s)}`);
  return Number(t);
}

function floatToInt(x: number, fn: string): PyValue {
  if (Number.isNaN(x)) fail("ValueError", `cannot convert float NaN to integer (${fn})`);
  if (!Number.isFinite(x)) fail("OverflowError", `cannot convert float infinity to integer (${fn})`);
  return INT(BigInt(Math.trunc(x)));
}

type Fn = { arity: [number, number]; call: (args: PyValue[]) => PyValue };

function real(fn: string, f: (...x: number[]) => number, arity = 1): Fn {
  return {
    arity: [arity, arity],
    call: (args) => {
      const xs = args.map(toFloat);
      const r = f(...xs);
      if (Number.isNaN(r) && !xs.some(Number.isNaN)) fail("ValueError", `math domain error (${fn})`);
      if (!Number.isFinite(r) && xs.every(Number.isFinite)) {
        if (["log", "log2", "log10", "atanh", "gamma"].includes(fn))
          fail("ValueError", `math domain error (${fn})`);
        fail("OverflowError", `math range error (${fn})`);
      }
      return FLOAT(r);
    },
  };
}

function minMax(name: string, pickGreater: boolean): Fn {
  return {
    arity: [1, 64],
    call: (args) => {
      const items = args.length === 1 ? iterate(args[0], name) : args;
      if (items.length === 0) fail("ValueError", `${name}() iterable argument is empty`);
      let best = items[0];
      for (const x of items.slice(1)) if (compare(pickGreater ? ">" : "<", x, best)) best = x;
      return best;
    },
  };
}

/** Half to even on an exact rational num/den (den > 0). */
function roundHalfEven(num: bigint, den: bigint): bigint {
  let q = num / den;
  let r = num % den;
  if (r < 0n) {
    q -= 1n;
    r += den;
  }
  const twice = 2n * r;
  if (twice > den || (twice === den && q % 2n !== 0n)) q += 1n;
  return q;
}

/** round(x[, n]) as Python: half to even on the float's exact value; ints stay ints. */
function pyRound(x: PyValue, n: PyValue | undefined): PyValue {
  if (n !== undefined && n.t !== "int" && n.t !== "bool")
    fail("TypeError", `'${typeName(n)}' object cannot be interpreted as an integer`);
  if (x.t === "int" || x.t === "bool") {
    const v = asInt(x);
    const digits = n === undefined ? 0n : asInt(n);
    if (digits >= 0n) return INT(v);
    const p = 10n ** -digits;
    return INT(roundHalfEven(v, p) * p);
  }
  if (x.t !== "float") return fail("TypeError", `type ${typeName(x)} doesn't define __round__ method`);
  if (!Number.isFinite(x.v)) {
    if (n !== undefined) return x;
    return fail(
      Number.isNaN(x.v) ? "ValueError" : "OverflowError",
      "cannot convert float to integer (round)",
    );
  }
  const [m, e] = floatToRatio(x.v);
  const digits = n === undefined ? 0n : asInt(n);
  if (digits > 400n || digits < -400n) return n === undefined ? INT(0n) : x;
  // x * 10^digits as an exact fraction, rounded half to even, then divided back.
  let num = m;
  let den = 1n;
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  if (digits >= 0n) num *= 10n ** digits;
  else den *= 10n ** -digits;
  const q = roundHalfEven(num, den);
  if (n === undefined) return INT(q);
  const r = digits >= 0n ? ratioToFloat(q, 10n ** digits) : ratioToFloat(q * 10n ** -digits, 1n);
  return FLOAT(r === 0 && (x.v < 0 || Object.is(x.v, -0)) ? -0 : r);
}

function iterate(v: PyValue, fn: string): PyValue[] {
  if (v.t === "list") return v.v;
  if (v.t === "str") return [...v.v].map(STR);
  return fail("TypeError", `'${typeName(v)}' object is not iterable (${fn})`);
}

const FUNCTIONS: Record<string, Fn> = {
  int: {
    arity: [0, 1],
    call: ([x]) => {
      if (x === undefined) return INT(0n);
      if (x.t === "int") return x;
      if (x.t === "bool") return INT(x.v ? 1n : 0n);
      if (x.t === "float") return floatToInt(x.v, "int");
      if (x.t === "str") return INT(parseIntText(x.v));
      return fail("TypeError", `int() argument must be a string or a real number, not '${typeName(x)}'`);
    },
  },
  float: {
    arity: [0, 1],
    call: ([x]) => {
      if (x === undefined) return FLOAT(0);
      if (x.t === "str") return FLOAT(parseFloatText(x.v));
      if (isNum(x)) return FLOAT(toFloat(x));
      return fail("TypeError", `float() argument must be a string or a real number, not '${typeName(x)}'`);
    },
  },
  str: { arity: [0, 1], call: ([x]) => STR(x === undefined ? "" : pyStr(x)) },
  bool: { arity: [0, 1], call: ([x]) => BOOL(x === undefined ? false : truthy(x)) },
  len: {
    arity: [1, 1],
    call: ([x]) => {
      if (x.t === "str") return INT(BigInt([...x.v].length));
      if (x.t === "list") return INT(BigInt(x.v.length));
      return fail("TypeError", `object of type '${typeName(x)}' has no len()`);
    },
  },
  abs: {
    arity: [1, 1],
    call: ([x]) => {
      if (x.t === "float") return FLOAT(Math.abs(x.v));
      if (x.t === "int" || x.t === "bool") {
        const n = asInt(x);
        return INT(n < 0n ? -n : n);
      }
      return fail("TypeError", `bad operand type for abs(): '${typeName(x)}'`);
    },
  },
  round: {
    arity: [1, 2],
    call: ([x, n]) => pyRound(x, n),
  },
  min: minMax("min", false),
  max: minMax("max", true),
};

const MATH_FUNCTIONS: Record<string, Fn> = {
  sqrt: real("sqrt", Math.sqrt),
  exp: real("exp", Math.exp),
  log10: real("log10", (x) => (x === 0 ? NaN : Math.log10(x))),
  log2: real("log2", (x) => (x === 0 ? NaN : Math.log2(x))),
  sin: real("sin", Math.sin),
  cos: real("cos", Math.cos),
  tan: real("tan", Math.tan),
  asin: real("asin", Math.asin),
  acos: real("acos", Math.acos),
  atan: real("atan", Math.atan),
  atan2: real("atan2", Math.atan2, 2),
  sinh: real("sinh", Math.sinh),
  cosh: real("cosh", Math.cosh),
  tanh: real("tanh", Math.tanh),
  fabs: real("fabs", Math.abs),
  hypot: real("hypot", Math.hypot, 2),
  degrees: real("degrees", (x) => (x * 180) / Math.PI),
  radians: real("radians", (x) => (x * Math.PI) / 180),
  copysign: real("copysign", (x, y) => (y < 0 || Object.is(y, -0) ? -Math.abs(x) : Math.abs(x)), 2),
  log: {
    arity: [1, 2],
    call: (args) => {
      const xs = args.map(toFloat);
      if (xs.some((x) => x <= 0)) fail("ValueError", "math domain error (log)");
      const r = xs.length === 1 ? Math.log(xs[0]) : Math.log(xs[0]) / Math.log(xs[1]);
      if (!Number.isFinite(r) && xs.every(Number.isFinite))
        fail("ZeroDivisionError", "float division by zero");
      return FLOAT(r);
    },
  },
  pow: {
    arity: [2, 2],
    call: ([a, b]) => {
      const x = toFloat(a);
      const y = toFloat(b);
      if (x === 0 && y < 0) fail("ValueError", "math domain error (pow)");
      if (x < 0 && !Number.isInteger(y) && Number.isFinite(y)) fail("ValueError", "math domain error (pow)");
      if (x === 1 || y === 0) return FLOAT(1);
      if (Number.isInteger(y) && Math.abs(y) <= 4096) return checkFloat(powInteger(x, BigInt(y)), "pow");
      return checkFloat(Math.pow(x, y), "pow");
    },
  },
  fmod: {
    arity: [2, 2],
    call: ([a, b]) => {
      const x = toFloat(a);
      const y = toFloat(b);
      if (y === 0 || !Number.isFinite(x)) fail("ValueError", "math domain error (fmod)");
      return FLOAT(x % y);
    },
  },
  floor: {
    arity: [1, 1],
    call: ([x]) => (x.t === "float" ? floatToInt(Math.floor(x.v), "floor") : INT(intOf(x, "floor"))),
  },
  ceil: {
    arity: [1, 1],
    call: ([x]) => (x.t === "float" ? floatToInt(Math.ceil(x.v), "ceil") : INT(intOf(x, "ceil"))),
  },
  trunc: {
    arity: [1, 1],
    call: ([x]) => (x.t === "float" ? floatToInt(Math.trunc(x.v), "trunc") : INT(intOf(x, "trunc"))),
  },
  isnan: { arity: [1, 1], call: ([x]) => BOOL(Number.isNaN(toFloat(x))) },
  isinf: { arity: [1, 1], call: ([x]) => BOOL(Math.abs(toFloat(x)) === Infinity) },
  isfinite: { arity: [1, 1], call: ([x]) => BOOL(Number.isFinite(toFloat(x))) },
};

function intOf(x: PyValue, fn: string): bigint {
  if (x.t === "int" || x.t === "bool") return asInt(x);
  return fail("TypeError", `must be real number, not ${typeName(x)} (${fn})`);
}

const MATH_CONSTANTS: Record<string, number> = {
  pi: Math.PI,
  e: Math.E,
  tau: 2 * Math.PI,
  inf: Infinity,
  nan: NaN,
};

/** Launch imports math and also puts its names in scope (pi, sqrt(...) without "math."). */
function lookupName(name: string): PyValue {
  const bare = name.startsWith("math.") ? name.slice(5) : name;
  if (Object.hasOwn(MATH_CONSTANTS, bare)) return FLOAT(MATH_CONSTANTS[bare]);
  if (Object.hasOwn(MATH_FUNCTIONS, bare) || Object.hasOwn(FUNCTIONS, name))
    fail("Unsupported", `${name} is a function; call it`);
  if (name.startsWith("math.")) fail("Unsupported", `${name} is not supported`);
  return fail("NameError", `name '${name}' is not defined`);
}

function callFunction(name: string, args: PyValue[]): PyValue {
  const bare = name.startsWith("math.") ? name.slice(5) : name;
  const fn = name.startsWith("math.") ? MATH_FUNCTIONS[bare] : (FUNCTIONS[name] ?? MATH_FUNCTIONS[name]);
  if (fn === undefined || !(Object.hasOwn(FUNCTIONS, name) || Object.hasOwn(MATH_FUNCTIONS, bare)))
    fail(
      name.startsWith("math.") ? "Unsupported" : "NameError",
      `${name}() is not available (launch eval here calls int float str bool len abs round min max and math functions)`,
    );
  if (args.length < fn.arity[0] || args.length > fn.arity[1])
    fail(
      "TypeError",
      `${name}() takes ${fn.arity[0] === fn.arity[1] ? fn.arity[0] : `${fn.arity[0]} to ${fn.arity[1]}`} argument(s) (${args.length} given)`,
    );
  return fn.call(args);
}

export function evaluatePython(ast: PyAst): PyValue {
  switch (ast.kind) {
    case "lit":
      return ast.value;
    case "name":
      return lookupName(ast.name);
    case "list":
      return { t: "list", v: ast.items.map(evaluatePython), tuple: ast.tuple };
    case "unary": {
      const v = evaluatePython(ast.arg);
      if (ast.op === "~") {
        if (v.t !== "int" && v.t !== "bool")
          fail("TypeError", `bad operand type for unary ~: '${typeName(v)}'`);
        return INT(-asInt(v) - 1n);
      }
      if (v.t === "float") return FLOAT(ast.op === "-" ? -v.v : v.v);
      if (v.t === "int" || v.t === "bool") return INT(ast.op === "-" ? -asInt(v) : asInt(v));
      return fail("TypeError", `bad operand type for unary ${ast.op}: '${typeName(v)}'`);
    }
    case "bin":
      return arith(ast.op, evaluatePython(ast.left), evaluatePython(ast.right));
    case "bool": {
      let v = evaluatePython(ast.items[0]);
      for (const item of ast.items.slice(1)) {
        if (ast.op === "and" ? !truthy(v) : truthy(v)) return v;
        v = evaluatePython(item);
      }
      return v;
    }
    case "not":
      return BOOL(!truthy(evaluatePython(ast.arg)));
    case "cmp": {
      let left = evaluatePython(ast.first);
      for (const { op, right } of ast.rest) {
        const r = evaluatePython(right);
        if (!compare(op, left, r)) return BOOL(false);
        left = r;
      }
      return BOOL(true);
    }
    case "cond":
      return truthy(evaluatePython(ast.test)) ? evaluatePython(ast.then) : evaluatePython(ast.else);
    case "call":
      return callFunction(ast.fn, ast.args.map(evaluatePython));
  }
}

/** Evaluates `src` as launch's $(eval) does and returns str() of the result. */
export function evalPythonExpression(src: string): string {
  return pyStr(evaluatePython(parsePython(src.trim())));
}
