/**
 * The Python expression subset ROS 2 launch files pass to $(eval): launch runs them with Python's eval()
 * (math's names in scope), so the results here follow Python: ints are arbitrary precision, `/` is true
 * division, `//` and `%` floor towards -inf, `^` is XOR, `and`/`or` return an operand, and str() of the
 * result is what the substitution yields ("True", "2.0", "1e+16"). Nothing is executed: there are no
 * names beyond math's, no attribute access beyond `math.`, and no calls beyond int float str bool len
 * abs round min max and math's functions. test/launch/python-expr.test.ts checks it against python3 itself.
 */
import { TetherError } from "../core/errors.js";

/** Python's exception class for a failure (TypeError, ZeroDivisionError, ...) or SyntaxError/Unsupported. */
export class PyExprError extends TetherError {
  constructor(
    readonly pyType: string,
    detail: string,
  ) {
    super("PY_EXPR", `${pyType}: ${detail}`, { pyType });
  }
}

export type PyValue =
  | { t: "int"; v: bigint }
  | { t: "float"; v: number }
  | { t: "bool"; v: boolean }
  | { t: "str"; v: string }
  | { t: "none" }
  | { t: "list"; v: PyValue[]; tuple: boolean };

const INT = (v: bigint): PyValue => ({ t: "int", v });
const FLOAT = (v: number): PyValue => ({ t: "float", v });
const BOOL = (v: boolean): PyValue => ({ t: "bool", v });
const STR = (v: string): PyValue => ({ t: "str", v });

/** Results bigger than this many bits are refused (Python would compute them; launch files never need them). */
const MAX_INT_BITS = 4096n;
const MAX_STR = 1 << 20;

const fail = (pyType: string, detail: string): never => {
  throw new PyExprError(pyType, detail);
};

// ---------------------------------------------------------------- tokens

type Tok =
  | { k: "num"; text: string; pos: number }
  | { k: "str"; value: string; pos: number }
  | { k: "name"; text: string; pos: number }
  | { k: "op"; text: string; pos: number }
  | { k: "end"; pos: number };

const OPS = [
  "**",
  "//",
  "==",
  "!=",
  "<=",
  ">=",
  "<<",
  ">>",
  "+",
  "-",
  "*",
  "/",
  "%",
  "<",
  ">",
  "(",
  ")",
  "[",
  "]",
  ",",
  ".",
  "^",
  "&",
  "|",
  "~",
  ":",
];

function readString(src: string, start: number): { value: string; end: number } {
  let i = start;
  let raw = false;
  while (/[rRbBfFuU]/.test(src[i])) {
    const p = src[i].toLowerCase();
    if (p === "b" || p === "f") fail("Unsupported", `${p}-strings are not supported`);
    if (p === "r") raw = true;
    i++;
  }
  const q = src[i];
  if (src.startsWith(q.repeat(3), i)) fail("Unsupported", "triple-quoted strings are not supported");
  i++;
  let out = "";
  for (;;) {
    if (i >= src.length || src[i] === "\n")
      fail("SyntaxError", `unterminated string literal at column ${start + 1}`);
    const c = src[i];
    if (c === q) return { value: out, end: i + 1 };
    if (c === "\\" && i + 1 < src.length) {
      const n = src[i + 1];
      if (raw) {
        out += c + n;
        i += 2;
        continue;
      }
      const simple: Record<string, string> = {
        "\\": "\\",
        "'": "'",
        '"': '"',
        n: "\n",
        t: "\t",
        r: "\r",
        a: "\x07",
        b: "\b",
        f: "\f",
        v: "\v",
        "0": "\0",
        "\n": "",
      };
      if (Object.hasOwn(simple, n)) {
        out += simple[n];
        i += 2;
        continue;
      }
      const hex = n === "x" ? 2 : n === "u" ? 4 : n === "U" ? 8 : 0;
      if (hex > 0) {
        const digits = src.slice(i + 2, i + 2 + hex);
        if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits))
          fail("SyntaxError", `truncated \\${n} escape at column ${i + 1}`);
        out += String.fromCodePoint(parseInt(digits, 16));
        i += 2 + hex;
        continue;
      }
      // Python keeps unknown escapes (\d stays \d).
      out += c;
      i++;
      continue;
    }
    out += c;
    i++;
  }
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const stringStart = /[rRuUbBfF]{0,2}['"]/y;
    stringStart.lastIndex = i;
    if (stringStart.test(src)) {
      const { value, end } = readString(src, i);
      toks.push({ k: "str", value, pos: i });
      i = end;
      continue;
    }
    const num =
      /(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?\.?(?:\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?)[jJ]?/y;
    num.lastIndex = i;
    const m = /[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? "")) ? num.exec(src) : null;
    if (m && m[0] !== "" && m[0] !== ".") {
      if (/[jJ]$/.test(m[0])) fail("Unsupported", "complex numbers are not supported");
      if (/[A-Za-z_0-9]/.test(src[i + m[0].length] ?? ""))
        fail("SyntaxError", `invalid number at column ${i + 1}`);
      toks.push({ k: "num", text: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const name = /[A-Za-z_][A-Za-z0-9_]*/y;
    name.lastIndex = i;
    const n = name.exec(src);
    if (n) {
      toks.push({ k: "name", text: n[0], pos: i });
      i += n[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) fail("SyntaxError", `unexpected character "${c}" at column ${i + 1}`);
    toks.push({ k: "op", text: op as string, pos: i });
    i += (op as string).length;
  }
  toks.push({ k: "end", pos: src.length });
  return toks;
}

// ---------------------------------------------------------------- syntax tree

export type PyAst =
  | { kind: "lit"; value: PyValue }
  | { kind: "name"; name: string; pos: number }
  | { kind: "list"; items: PyAst[]; tuple: boolean }
  | { kind: "unary"; op: string; arg: PyAst }
  | { kind: "bin"; op: string; left: PyAst; right: PyAst }
  | { kind: "bool"; op: "and" | "or"; items: PyAst[] }
  | { kind: "not"; arg: PyAst }
  | { kind: "cmp"; first: PyAst; rest: { op: string; right: PyAst }[] }
  | { kind: "cond"; test: PyAst; then: PyAst; else: PyAst }
  | { kind: "call"; fn: string; args: PyAst[]; pos: number };

const KEYWORDS = new Set([
  "and",
  "or",
  "not",
  "in",
  "is",
  "if",
  "else",
  "lambda",
  "for",
  "None",
  "True",
  "False",
]);

function parseNumber(text: string): PyValue {
  const t = text.replace(/_/g, "");
  if (/^0[xX]/.test(t)) return INT(BigInt(t));
  if (/^0[oO]/.test(t)) return INT(BigInt(t));
  if (/^0[bB]/.test(t)) return INT(BigInt(t));
  if (/^\d+$/.test(t)) {
    if (/^0+[1-9]/.test(t))
      fail("SyntaxError", `leading zeros in decimal integer literals are not permitted: ${text}`);
    return INT(BigInt(t));
  }
  return FLOAT(Number(t));
}

export function parsePython(src: string): PyAst {
  const toks = tokenize(src);
  let i = 0;
  const peek = (): Tok => toks[i];
  const isOp = (text: string): boolean => {
    const t = toks[i];
    return t.k === "op" && t.text === text;
  };
  const isKw = (text: string): boolean => {
    const t = toks[i];
    return t.k === "name" && t.text === text;
  };
  const describe = (t: Tok): string =>
    t.k === "end" ? "end of expression" : t.k === "str" ? "a string" : `"${t.text}" at column ${t.pos + 1}`;
  const expectOp = (text: string): void => {
    if (!isOp(text)) fail("SyntaxError", `expected "${text}" but found ${describe(peek())}`);
    i++;
  };

  function test(): PyAst {
    if (isKw("lambda")) fail("Unsupported", "lambda is not supported");
    const body = orTest();
    if (isKw("if")) {
      i++;
      const cond = orTest();
      if (!isKw("else")) fail("SyntaxError", `expected "else" but found ${describe(peek())}`);
      i++;
      const other = test();
      return { kind: "cond", test: cond, then: body, else: other };
    }
    return body;
  }
  function orTest(): PyAst {
    const items = [andTest()];
    while (isKw("or")) {
      i++;
      items.push(andTest());
    }
    return items.length === 1 ? items[0] : { kind: "bool", op: "or", items };
  }
  function andTest(): PyAst {
    const items = [notTest()];
    while (isKw("and")) {
      i++;
      items.push(notTest());
    }
    return items.length === 1 ? items[0] : { kind: "bool", op: "and", items };
  }
  function notTest(): PyAst {
    if (isKw("not")) {
      i++;
      return { kind: "not", arg: notTest() };
    }
    return comparison();
  }
  function compOp(): string | undefined {
    const t = peek();
    if (t.k === "op" && ["<", ">", "==", "!=", "<=", ">="].includes(t.text)) {
      i++;
      return t.text;
    }
    if (isKw("in")) {
      i++;
      return "in";
    }
    if (isKw("not") && toks[i + 1].k === "name" && (toks[i + 1] as { text: string }).text === "in") {
      i += 2;
      return "not in";
    }
    if (isKw("is")) fail("Unsupported", '"is" comparisons are not supported; use ==');
    return undefined;
  }
  function comparison(): PyAst {
    const first = binary(0);
    const rest: { op: string; right: PyAst }[] = [];
    for (let op = compOp(); op !== undefined; op = compOp()) rest.push({ op, right: binary(0) });
    return rest.length === 0 ? first : { kind: "cmp", first, rest };
  }
  const LEVELS = [["|"], ["^"], ["&"], ["<<", ">>"], ["+", "-"], ["*", "/", "//", "%"]];
  function binary(level: number): PyAst {
    if (level === LEVELS.length) return factor();
    let left = binary(level + 1);
    for (;;) {
      const t = peek();
      if (t.k !== "op" || !LEVELS[level].includes(t.text)) return left;
      i++;
      left = { kind: "bin", op: t.text, left, right: binary(level + 1) };
    }
  }
  function factor(): PyAst {
    const t = peek();
    if (t.k === "op" && (t.text === "-" || t.text === "+" || t.text === "~")) {
      i++;
      return { kind: "unary", op: t.text, arg: factor() };
    }
    return power();
  }
  function power(): PyAst {
    const base = atomExpr();
    if (isOp("**")) {
      i++;
      return { kind: "bin", op: "**", left: base, right: factor() };
    }
    return base;
  }
  function args(): PyAst[] {
    const out: PyAst[] = [];
    while (!isOp(")")) {
      out.push(test());
      if (!isOp(",")) break;
      i++;
    }
    expectOp(")");
    return out;
  }
  function atomExpr(): PyAst {
    const t = peek();
    if (t.k === "name" && !KEYWORDS.has(t.text)) {
      i++;
      let name = t.text;
      if (isOp(".")) {
        if (name !== "math")
          fail(
            "Unsupported",
            `attribute access is not supported ("${name}." at column ${t.pos + 1}); only math.<name>`,
          );
        i++;
        const attr = peek();
        if (attr.k !== "name")
          fail("SyntaxError", `expected a name after "math." but found ${describe(attr)}`);
        name = `math.${(attr as { text: string }).text}`;
        i++;
      }
      if (isOp("(")) {
        i++;
        return trailers({ kind: "call", fn: name, args: args(), pos: t.pos });
      }
      return trailers({ kind: "name", name, pos: t.pos });
    }
    return trailers(atom());
  }
  function trailers(node: PyAst): PyAst {
    if (isOp("."))
      fail("Unsupported", `attribute access is not supported (column ${peek().pos + 1}); only math.<name>`);
    if (isOp("[")) fail("Unsupported", `indexing and slicing are not supported (column ${peek().pos + 1})`);
    if (isOp("("))
      fail(
        "Unsupported",
        `only int float str bool len abs round min max and math functions can be called (column ${peek().pos + 1})`,
      );
    return node;
  }
  function atom(): PyAst {
    const t = peek();
    i++;
    if (t.k === "num") return { kind: "lit", value: parseNumber(t.text) };
    if (t.k === "str") {
      let s = t.value;
      while (peek().k === "str") s += (toks[i++] as { value: string }).value;
      return { kind: "lit", value: STR(s) };
    }
    if (t.k === "name") {
      if (t.text === "True") return { kind: "lit", value: BOOL(true) };
      if (t.text === "False") return { kind: "lit", value: BOOL(false) };
      if (t.text === "None") return { kind: "lit", value: { t: "none" } };
      fail(t.text === "for" ? "Unsupported" : "SyntaxError", `unexpected "${t.text}" at column ${t.pos + 1}`);
    }
    if (t.k === "op" && (t.text === "(" || t.text === "[")) {
      const close = t.text === "(" ? ")" : "]";
      const items: PyAst[] = [];
      let comma = false;
      while (!isOp(close)) {
        items.push(test());
        if (isKw("for")) fail("Unsupported", "comprehensions are not supported");
        if (!isOp(",")) break;
        comma = true;
        i++;
      }
      expectOp(close);
      if (t.text === "(" && items.length === 1 && !comma) return items[0];
      return { kind: "list", items, tuple: t.text === "(" };
    }
    return fail("SyntaxError", `unexpected ${describe(t)}`);
  }

  const ast = test();
  if (peek().k !== "end") fail("SyntaxError", `unexpected ${describe(peek())}`);
  return ast;
}

// ---------------------------------------------------------------- values

export function typeName(v: PyValue): string {
  return v.t === "list" ? (v.tuple ? "tuple" : "list") : v.t === "none" ? "NoneType" : v.t;
}

export function truthy(v: PyValue): boolean {
  switch (v.t) {
    case "int":
      return v.v !== 0n;
    case "float":
      return v.v !== 0;
    case "bool":
      return v.v;
    case "str":
      return v.v !== "";
    case "none":
      return false;
    case "list":
      return v.v.length > 0;
  }
}

/** Python's repr() of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mant, expText] = Math.abs(x).toExponential().split("e");
  const digits = mant.replace(".", "");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac === "" ? "0" : frac}`;
}

function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === q || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + q;
}

/** str(v) as Python prints it. */
export function pyStr(v: PyValue): string {
  switch (v.t) {
    case "int":
      return v.v.toString();
    case "float":
      return floatRepr(v.v);
    case "bool":
      return v.v ? "True" : "False";
    case "str":
      return v.v;
    case "none":
      return "None";
    case "list": {
      const items = v.v.map((x) => (x.t === "str" ? strRepr(x.v) : pyStr(x)));
      if (v.tuple) return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
      return `[${items.join(", ")}]`;
    }
  }
}

function toFloat(v: PyValue): number {
  if (v.t === "float") return v.v;
  if (v.t === "bool") return v.v ? 1 : 0;
  if (v.t === "int") {
    const f = Number(v.v);
    if (!Number.isFinite(f)) fail("OverflowError", "int too large to convert to float");
    return f;
  }
  return fail("TypeError", `must be real number, not ${typeName(v)}`);
}

const isNum = (v: PyValue): boolean => v.t === "int" || v.t === "float" || v.t === "bool";
const asInt = (v: PyValue): bigint => (v.t === "bool" ? (v.v ? 1n : 0n) : (v as { v: bigint }).v);

function checkInt(v: bigint): PyValue {
  const bits = v < 0n ? -v : v;
  if (bits.toString(2).length > Number(MAX_INT_BITS))
    fail("Unsupported", `integer result larger than ${MAX_INT_BITS} bits`);
  return INT(v);
}

function checkFloat(x: number, op: string): PyValue {
  if (!Number.isFinite(x)) fail("OverflowError", `float result of ${op} out of range`);
  return FLOAT(x);
}

/** Python's float divmod (Objects/floatobject.c), so // and % agree with CPython to the bit. */
function floatDivmod(a: number, b: number): [number, number] {
  if (b === 0) fail("ZeroDivisionError", "float division by zero");
  let mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0) {
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1;
    }
  } else {
    mod = b < 0 ? -0 : 0;
  }
  let floordiv: number;
  if (div !== 0) {
    floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
  } else {
    floordiv = a / b < 0 || Object.is(a / b, -0) ? -0 : 0;
  }
  return [floordiv, mod];
}

function intFloorDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) fail("ZeroDivisionError", "integer division or modulo by zero");
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function intMod(a: bigint, b: bigint): bigint {
  if (b === 0n) fail("ZeroDivisionError", "integer modulo by zero");
  const r = a % b;
  return r !== 0n && r < 0n !== b < 0n ? r + b : r;
}

/** x * 2^e without intermediate overflow or underflow of the power itself. */
function ldexp(x: number, e: number): number {
  let r = x;
  let k = e;
  while (k > 1000) {
    r *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    r *= 2 ** -1000;
    k += 1000;
  }
  return r * 2 ** k;
}

/** a / b correctly rounded to a double, as CPython divides ints (and as C's pow rounds x ** n). */
function ratioToFloat(a: bigint, b: bigint): number {
  const negative = a < 0n !== b < 0n;
  const x = a < 0n ? -a : a;
  const y = b < 0n ? -b : b;
  if (x === 0n) return negative ? -0 : 0;
  const k = 66 - (x.toString(2).length - y.toString(2).length);
  const num = k > 0 ? x << BigInt(k) : x;
  const den = k > 0 ? y : y << BigInt(-k);
  let q = num / den;
  // A sticky low bit keeps Number()'s round-to-nearest-even correct for the discarded remainder.
  if (num % den !== 0n) q |= 1n;
  const r = ldexp(Number(q), -k);
  return negative ? -r : r;
}

/** A finite double as m * 2^e with integer m. */
function floatToRatio(x: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  let m = bits & 0xfffffffffffffn;
  if (exp !== 0) m |= 1n << 52n;
  const signed = bits >> 63n === 1n ? -m : m;
  return [signed, (exp === 0 ? 1 : exp) - 1075];
}

/** x ** n for an integer n, exactly rounded (CPython calls C pow, which rounds these exactly). */
function powInteger(x: number, n: bigint): number {
  if (x === 0 || !Number.isFinite(x) || n > 4096n || n < -4096n) return Math.pow(x, Number(n));
  const [m, e] = floatToRatio(x);
  const p = n < 0n ? -n : n;
  const shift = e * Number(p);
  if (Math.abs(shift) > 1 << 16) return Math.pow(x, Number(n));
  let num = m ** p;
  let den = 1n;
  if (shift >= 0) num <<= BigInt(shift);
  else den <<= BigInt(-shift);
  return n < 0n ? ratioToFloat(den, num) : ratioToFloat(num, den);
}

/** int / int, correctly rounded as CPython does for every size. */
function intTrueDiv(a: bigint, b: bigint): number {
  if (b === 0n) fail("ZeroDivisionError", "division by zero");
  const r = ratioToFloat(a, b);
  if (!Number.isFinite(r)) fail("OverflowError", "integer division result too large for a float");
  return r;
}

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
