/** Python values for $(eval) (python-expr.ts): the types, str() as Python prints them, and exact numeric helpers. */
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

export const INT = (v: bigint): PyValue => ({ t: "int", v });
export const FLOAT = (v: number): PyValue => ({ t: "float", v });
export const BOOL = (v: boolean): PyValue => ({ t: "bool", v });
export const STR = (v: string): PyValue => ({ t: "str", v });

/** Results bigger than this many bits are refused (Python would compute them; launch files never need them). */
export const MAX_INT_BITS = 4096n;
export const MAX_STR = 1 << 20;

export const fail = (pyType: string, detail: string): never => {
  throw new PyExprError(pyType, detail);
};

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

export function strRepr(s: string): string {
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

export function toFloat(v: PyValue): number {
  if (v.t === "float") return v.v;
  if (v.t === "bool") return v.v ? 1 : 0;
  if (v.t === "int") {
    const f = Number(v.v);
    if (!Number.isFinite(f)) fail("OverflowError", "int too large to convert to float");
    return f;
  }
  return fail("TypeError", `must be real number, not ${typeName(v)}`);
}

export const isNum = (v: PyValue): boolean => v.t === "int" || v.t === "float" || v.t === "bool";
export const asInt = (v: PyValue): bigint => (v.t === "bool" ? (v.v ? 1n : 0n) : (v as { v: bigint }).v);

export function checkInt(v: bigint): PyValue {
  const bits = v < 0n ? -v : v;
  if (bits.toString(2).length > Number(MAX_INT_BITS))
    fail("Unsupported", `integer result larger than ${MAX_INT_BITS} bits`);
  return INT(v);
}

export function checkFloat(x: number, op: string): PyValue {
  if (!Number.isFinite(x)) fail("OverflowError", `float result of ${op} out of range`);
  return FLOAT(x);
}

/** Python's float divmod (Objects/floatobject.c), so // and % agree with CPython to the bit. */
export function floatDivmod(a: number, b: number): [number, number] {
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

export function intFloorDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) fail("ZeroDivisionError", "integer division or modulo by zero");
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function intMod(a: bigint, b: bigint): bigint {
  if (b === 0n) fail("ZeroDivisionError", "integer modulo by zero");
  const r = a % b;
  return r !== 0n && r < 0n !== b < 0n ? r + b : r;
}

/** x * 2^e without intermediate overflow or underflow of the power itself. */
export function ldexp(x: number, e: number): number {
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
export function ratioToFloat(a: bigint, b: bigint): number {
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
export function floatToRatio(x: number): [bigint, number] {
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
export function powInteger(x: number, n: bigint): number {
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
export function intTrueDiv(a: bigint, b: bigint): number {
  if (b === 0n) fail("ZeroDivisionError", "division by zero");
  const r = ratioToFloat(a, b);
  if (!Number.isFinite(r)) fail("OverflowError", "integer division result too large for a float");
  return r;
}
