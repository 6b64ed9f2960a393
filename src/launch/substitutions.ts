/**
 * Launch substitutions: $(var name), $(env NAME [default]), $(find-pkg-share pkg), $(dirname), and
 * $(eval expr) — evaluated with src/core/expr.ts only (numbers, arithmetic, comparisons, logic), never
 * as code. Booleans print "true"/"false"; Python-style True/False are accepted. Substitutions nest:
 * "$(eval $(var a) * 2)".
 */
import { LaunchError } from "../core/errors.js";
import { exprVariables, parseExpr, evaluateExpr, type Ast } from "../core/expr.js";

export interface SubstitutionContext {
  file: string;
  line: number;
  /** Launch configurations (args and lets) visible here. */
  lookup(name: string): string | undefined;
  /** Share directory of a package, or undefined when unknown. */
  findPkgShare(pkg: string): string | undefined;
  env: Record<string, string | undefined>;
  dirname: string;
}

type Part = { kind: "text"; text: string } | { kind: "sub"; name: string; args: Part[][]; raw: string };

/** Splits text into literal parts and $(...) substitutions (arguments split on spaces outside quotes). */
function parseParts(src: string, ctx: SubstitutionContext): Part[] {
  let i = 0;
  const fail = (detail: string): never => {
    throw new LaunchError(ctx.file, ctx.line, `${detail} in "${src}"`);
  };

  const parseSub = (): Part => {
    const start = i;
    i += 2; // "$("
    const nameStart = i;
    while (i < src.length && /[A-Za-z0-9_-]/.test(src[i])) i++;
    const name = src.slice(nameStart, i);
    if (name === "") fail("expected a substitution name after $(");
    const args: Part[][] = [];
    let current: Part[] = [];
    let text = "";
    let quote: string | undefined;
    const flushText = () => {
      if (text !== "") current.push({ kind: "text", text });
      text = "";
    };
    const flushArg = () => {
      flushText();
      if (current.length > 0) args.push(current);
      current = [];
    };
    for (;;) {
      if (i >= src.length) fail(`unterminated $(${name}`);
      const c = src[i];
      if (quote === undefined && c === ")") {
        i++;
        break;
      }
      if (c === "$" && src[i + 1] === "(") {
        flushText();
        current.push(parseSub());
        continue;
      }
      if (quote !== undefined) {
        if (c === quote) quote = undefined;
        else text += c;
        i++;
        continue;
      }
      if (c === "'" || c === '"') {
        quote = c;
        i++;
        continue;
      }
      if (c === " " || c === "\t" || c === "\n") {
        flushArg();
        i++;
        continue;
      }
      text += c;
      i++;
    }
    flushArg();
    return { kind: "sub", name, args, raw: src.slice(start, i) };
  };

  const parts: Part[] = [];
  let text = "";
  while (i < src.length) {
    if (src[i] === "$" && src[i + 1] === "(") {
      if (text !== "") parts.push({ kind: "text", text });
      text = "";
      parts.push(parseSub());
    } else {
      text += src[i++];
    }
  }
  if (text !== "") parts.push({ kind: "text", text });
  return parts;
}

const BOOLEAN_OPS = new Set(["==", "!=", "<", "<=", ">", ">=", "&&", "||"]);

function isBooleanAst(ast: Ast): boolean {
  if (ast.kind === "binary") return BOOLEAN_OPS.has(ast.op);
  if (ast.kind === "unary") return ast.op === "!";
  if (ast.kind === "cond") return isBooleanAst(ast.then) && isBooleanAst(ast.else);
  return false;
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Number.isInteger(x) ? String(x) : String(+x.toPrecision(15));
}

/** $(eval ...): arithmetic, comparisons and logic on numbers (true/false/True/False are 1/0). */
export function evalLaunchExpression(
  expression: string,
  ctx: Pick<SubstitutionContext, "file" | "line">,
): string {
  const src = expression.trim();
  let ast: Ast;
  try {
    ast = parseExpr(src);
  } catch (cause) {
    throw new LaunchError(ctx.file, ctx.line, `$(eval ${src}): ${(cause as Error).message}`, {
      cause,
      hint: "eval takes numbers, + - * / % ^, comparisons, && || !, ?: and math functions; strings and Python code are not evaluated",
    });
  }
  const vars = exprVariables(ast);
  if (vars.length > 0) {
    throw new LaunchError(ctx.file, ctx.line, `$(eval ${src}): "${vars[0]}" is not a number`, {
      hint: "eval works on numbers only; pass values with $(var name), and compare strings in if/unless with values like true/false",
    });
  }
  const value = evaluateExpr(src);
  return isBooleanAst(ast) ? (value !== 0 ? "true" : "false") : formatNumber(value);
}

function evaluate(parts: Part[], ctx: SubstitutionContext): string {
  let out = "";
  for (const p of parts) {
    if (p.kind === "text") {
      out += p.text;
      continue;
    }
    const args = p.args.map((a) => evaluate(a, ctx));
    const arity = (min: number, max: number): void => {
      if (args.length < min || args.length > max) {
        const want = min === max ? `${min}` : `${min} to ${max}`;
        throw new LaunchError(
          ctx.file,
          ctx.line,
          `${p.raw}: $(${p.name}) takes ${want} argument(s), got ${args.length}`,
        );
      }
    };
    switch (p.name) {
      case "var": {
        arity(1, 1);
        const v = ctx.lookup(args[0]);
        if (v === undefined) {
          throw new LaunchError(
            ctx.file,
            ctx.line,
            `${p.raw}: launch configuration "${args[0]}" is not set`,
            {
              hint: `declare it with <arg name="${args[0]}" .../> or <let>, or pass ${args[0]}:=<value>`,
            },
          );
        }
        out += v;
        break;
      }
      case "env": {
        arity(1, 2);
        const v = ctx.env[args[0]] ?? args[1];
        if (v === undefined)
          throw new LaunchError(
            ctx.file,
            ctx.line,
            `${p.raw}: environment variable ${args[0]} is not set (and no default given)`,
          );
        out += v;
        break;
      }
      case "find-pkg-share": {
        arity(1, 1);
        const dir = ctx.findPkgShare(args[0]);
        if (dir === undefined) {
          throw new LaunchError(ctx.file, ctx.line, `${p.raw}: package "${args[0]}" not found`, {
            hint: 'the embedded runtime knows only pkg "tether" (the repository); other packages need ROS 2 (ros2 launch)',
          });
        }
        out += dir;
        break;
      }
      case "dirname":
        arity(0, 0);
        out += ctx.dirname;
        break;
      case "eval":
        arity(1, Number.MAX_SAFE_INTEGER);
        out += evalLaunchExpression(args.join(" "), ctx);
        break;
      default:
        throw new LaunchError(ctx.file, ctx.line, `unknown substitution $(${p.name})`, {
          hint: "supported: $(var), $(env), $(find-pkg-share), $(dirname), $(eval)",
        });
    }
  }
  return out;
}

export function substitute(text: string, ctx: SubstitutionContext): string {
  if (!text.includes("$(")) return text;
  return evaluate(parseParts(text, ctx), ctx);
}

/** if/unless values: true/false, True/False, 1/0. */
export function parseLaunchBool(
  value: string,
  what: string,
  ctx: Pick<SubstitutionContext, "file" | "line">,
): boolean {
  const v = value.trim();
  if (v === "true" || v === "True" || v === "1") return true;
  if (v === "false" || v === "False" || v === "0") return false;
  throw new LaunchError(ctx.file, ctx.line, `${what}="${value}": expected true or false`);
}
