/**
 * A small, safe arithmetic expression language: numbers, variables (dotted names like `position.hinge`),
 * + - * / % ^, unary -, comparisons, && || !, `cond ? a : b`, and a fixed set of math functions.
 * No property access, no calls to anything outside FUNCTIONS: reward specs and launch `$(eval)` use it,
 * and neither may run arbitrary code. Booleans are 1 and 0.
 */
import { TetherError } from "./errors.js";

export class ExprError extends TetherError {
  constructor(
    readonly source: string,
    readonly position: number,
    detail: string,
  ) {
    super("EXPR", `${detail} at column ${position + 1} in "${source}"`, { source, position });
  }
}

export type Ast =
  | { kind: "num"; value: number }
  | { kind: "var"; name: string }
  | { kind: "unary"; op: "-" | "!" | "+"; arg: Ast }
  | { kind: "binary"; op: string; left: Ast; right: Ast }
  | { kind: "cond"; test: Ast; then: Ast; else: Ast }
  | { kind: "call"; fn: string; args: Ast[] };

const FUNCTIONS: Record<string, { arity: [number, number]; fn: (...a: number[]) => number }> = {
  sin: { arity: [1, 1], fn: Math.sin },
  cos: { arity: [1, 1], fn: Math.cos },
  tan: { arity: [1, 1], fn: Math.tan },
  tanh: { arity: [1, 1], fn: Math.tanh },
  atan2: { arity: [2, 2], fn: Math.atan2 },
  exp: { arity: [1, 1], fn: Math.exp },
  log: { arity: [1, 1], fn: Math.log },
  sqrt: { arity: [1, 1], fn: Math.sqrt },
  abs: { arity: [1, 1], fn: Math.abs },
  sign: { arity: [1, 1], fn: Math.sign },
  floor: { arity: [1, 1], fn: Math.floor },
  ceil: { arity: [1, 1], fn: Math.ceil },
  round: { arity: [1, 1], fn: Math.round },
  min: { arity: [1, 16], fn: Math.min },
  max: { arity: [1, 16], fn: Math.max },
  hypot: { arity: [1, 16], fn: Math.hypot },
  clip: { arity: [3, 3], fn: (x, lo, hi) => Math.min(hi, Math.max(lo, x)) },
  /** Angle wrapped to [-pi, pi). */
  wrap_angle: { arity: [1, 1], fn: (x) => x - 2 * Math.PI * Math.floor((x + Math.PI) / (2 * Math.PI)) },
  sumsq: { arity: [1, 16], fn: (...a) => a.reduce((s, v) => s + v * v, 0) },
};

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E, true: 1, false: 0, True: 1, False: 0 };

type Token = { type: "num" | "id" | "op" | "end"; text: string; pos: number };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const re =
    /\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)|(\*\*|&&|\|\||==|!=|<=|>=|[-+*/%^()<>!?:,]))/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m)
      throw new ExprError(
        src,
        pos + (src.slice(pos).length - src.slice(pos).trimStart().length),
        "unexpected character",
      );
    const start = m.index + m[0].length - (m[1] ?? m[2] ?? m[3]).length;
    if (m[1] !== undefined) tokens.push({ type: "num", text: m[1], pos: start });
    else if (m[2] !== undefined) tokens.push({ type: "id", text: m[2], pos: start });
    else tokens.push({ type: "op", text: m[3] === "**" ? "^" : m[3], pos: start });
    pos = re.lastIndex;
  }
  tokens.push({ type: "end", text: "", pos: src.length });
  return tokens;
}

const BINARY_PRECEDENCE: Record<string, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
  "^": 8,
};

export function parseExpr(src: string): Ast {
  const tokens = tokenize(src);
  let i = 0;
  const peek = (): Token => tokens[i];
  const take = (): Token => tokens[i++];
  const expect = (text: string): void => {
    const t = take();
    if (t.text !== text) throw new ExprError(src, t.pos, `expected "${text}" but found "${t.text || "end"}"`);
  };

  function primary(): Ast {
    const t = take();
    if (t.type === "num") return { kind: "num", value: Number(t.text) };
    if (t.type === "id") {
      if (peek().text === "(") {
        take();
        const spec = FUNCTIONS[t.text];
        if (!spec)
          throw new ExprError(
            src,
            t.pos,
            `unknown function "${t.text}" (known: ${Object.keys(FUNCTIONS).join(", ")})`,
          );
        const args: Ast[] = [];
        if (peek().text !== ")") {
          args.push(expression(0));
          while (peek().text === ",") {
            take();
            args.push(expression(0));
          }
        }
        expect(")");
        if (args.length < spec.arity[0] || args.length > spec.arity[1])
          throw new ExprError(
            src,
            t.pos,
            `${t.text}() takes ${spec.arity[0]}..${spec.arity[1]} arguments, got ${args.length}`,
          );
        return { kind: "call", fn: t.text, args };
      }
      if (t.text in CONSTANTS) return { kind: "num", value: CONSTANTS[t.text] };
      return { kind: "var", name: t.text };
    }
    if (t.text === "(") {
      const inner = expression(0);
      expect(")");
      return inner;
    }
    if (t.text === "-" || t.text === "+" || t.text === "!") {
      // Unary binds tighter than everything but ^ (so -x^2 = -(x^2), as in maths).
      return { kind: "unary", op: t.text, arg: expression(7) };
    }
    throw new ExprError(
      src,
      t.pos,
      t.type === "end" ? "unexpected end of expression" : `unexpected "${t.text}"`,
    );
  }

  function expression(minPrec: number): Ast {
    let left = primary();
    for (;;) {
      const t = peek();
      if (t.text === "?" && minPrec === 0) {
        take();
        const then = expression(0);
        expect(":");
        const otherwise = expression(0);
        left = { kind: "cond", test: left, then, else: otherwise };
        continue;
      }
      const prec = t.type === "op" ? BINARY_PRECEDENCE[t.text] : undefined;
      if (prec === undefined || prec < minPrec) return left;
      take();
      // ^ is right-associative, the rest left-associative.
      const right = expression(t.text === "^" ? prec : prec + 1);
      left = { kind: "binary", op: t.text, left, right };
    }
  }

  const ast = expression(0);
  const rest = peek();
  if (rest.type !== "end") throw new ExprError(src, rest.pos, `unexpected "${rest.text}"`);
  return ast;
}

/** Every variable an expression reads, in first-seen order. */
export function exprVariables(ast: Ast, out: string[] = []): string[] {
  switch (ast.kind) {
    case "var":
      if (!out.includes(ast.name)) out.push(ast.name);
      break;
    case "unary":
      exprVariables(ast.arg, out);
      break;
    case "binary":
      exprVariables(ast.left, out);
      exprVariables(ast.right, out);
      break;
    case "cond":
      exprVariables(ast.test, out);
      exprVariables(ast.then, out);
      exprVariables(ast.else, out);
      break;
    case "call":
      for (const a of ast.args) exprVariables(a, out);
      break;
  }
  return out;
}

export type CompiledExpr = (values: ArrayLike<number>) => number;

/**
 * Compiles to nested closures reading variables by index from `values` (no allocation per call).
 * `indexOf` maps a variable name to its index; it throws (or returns -1) for unknown names.
 */
export function compileExpr(src: string, indexOf: (name: string) => number): CompiledExpr {
  const ast = parseExpr(src);
  const build = (node: Ast): CompiledExpr => {
    switch (node.kind) {
      case "num": {
        const v = node.value;
        return () => v;
      }
      case "var": {
        const idx = indexOf(node.name);
        if (idx < 0) throw new ExprError(src, src.indexOf(node.name), `unknown variable "${node.name}"`);
        return (vals) => vals[idx];
      }
      case "unary": {
        const a = build(node.arg);
        if (node.op === "-") return (v) => -a(v);
        if (node.op === "!") return (v) => (a(v) ? 0 : 1);
        return a;
      }
      case "cond": {
        const t = build(node.test);
        const a = build(node.then);
        const b = build(node.else);
        return (v) => (t(v) ? a(v) : b(v));
      }
      case "call": {
        const fn = FUNCTIONS[node.fn].fn;
        const args = node.args.map(build);
        if (args.length === 1) {
          const [a] = args;
          return (v) => fn(a(v));
        }
        if (args.length === 2) {
          const [a, b] = args;
          return (v) => fn(a(v), b(v));
        }
        if (args.length === 3) {
          const [a, b, c] = args;
          return (v) => fn(a(v), b(v), c(v));
        }
        const scratch = new Array<number>(args.length);
        return (v) => {
          for (let k = 0; k < args.length; k++) scratch[k] = args[k](v);
          return fn(...scratch);
        };
      }
      case "binary": {
        const l = build(node.left);
        const r = build(node.right);
        switch (node.op) {
          case "+":
            return (v) => l(v) + r(v);
          case "-":
            return (v) => l(v) - r(v);
          case "*":
            return (v) => l(v) * r(v);
          case "/":
            return (v) => l(v) / r(v);
          case "%":
            return (v) => l(v) % r(v);
          case "^":
            return (v) => Math.pow(l(v), r(v));
          case "<":
            return (v) => (l(v) < r(v) ? 1 : 0);
          case "<=":
            return (v) => (l(v) <= r(v) ? 1 : 0);
          case ">":
            return (v) => (l(v) > r(v) ? 1 : 0);
          case ">=":
            return (v) => (l(v) >= r(v) ? 1 : 0);
          case "==":
            return (v) => (l(v) === r(v) ? 1 : 0);
          case "!=":
            return (v) => (l(v) !== r(v) ? 1 : 0);
          case "&&":
            return (v) => (l(v) && r(v) ? 1 : 0);
          case "||":
            return (v) => (l(v) || r(v) ? 1 : 0);
        }
        throw new ExprError(src, 0, `unknown operator ${node.op}`);
      }
    }
  };
  return build(ast);
}

/** Evaluates once with named values (launch `$(eval)`, tests). */
export function evaluateExpr(src: string, vars: Record<string, number> = {}): number {
  const names = Object.keys(vars);
  const fn = compileExpr(src, (n) => names.indexOf(n));
  return fn(names.map((n) => vars[n]));
}
