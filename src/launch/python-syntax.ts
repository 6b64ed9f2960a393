/** Tokenizer and parser for the Python expression subset of $(eval) (evaluated by python-expr.ts). */
import { BOOL, STR, INT, FLOAT, fail, type PyValue } from "./python-values.js";

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
