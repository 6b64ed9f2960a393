/**
 * Launch substitutions, resolved as ROS 2's launch and launch_ros resolve them: var, env, optenv,
 * find-pkg-share, find-pkg-prefix, find-exec, exec-in-pkg, dirname, filename, eval (Python, see
 * python-expr.ts), not, and, or, any, all, if, equals, not-equals, command and file-content.
 * The text is split by substitution-syntax.ts (launch's grammar, escapes included).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { LaunchError } from "../core/errors.js";
import { describeSearch, findExecutable, findPackagePrefix, findPackageShare, type Env } from "./ament.js";
import { evalPythonExpression } from "./python-expr.js";
import { PyExprError } from "./python-values.js";
import { ShellWordsError, shlexSplit } from "./shell-words.js";
import {
  SubstitutionSyntaxError,
  parseSubstitutions,
  type Substitution,
  type Template,
} from "./substitution-syntax.js";

export interface SubstitutionContext {
  file: string;
  line: number;
  /** Launch configurations (args and lets) visible here. */
  lookup(name: string): string | undefined;
  env: Env;
  /** Lines launch logs ($(command) runs). */
  log?: (line: string) => void;
  /** $(anon name) results of this launch, so one name gives one anonymous name. */
  anonNames?: Map<string, string>;
}

const SUPPORTED =
  "var, env, anon, find-pkg-share, find-pkg-prefix, find-exec, exec-in-pkg, dirname, filename, eval, not, and, or, any, all, if, equals, not-equals, command, file-content";

/** The ROS 1 substitutions, named as such when a file uses them. */
const ROS1 = new Set(["arg", "find", "optenv"]);

/** Launch's bool coercion for not/and/or/if: 1/0, then YAML 1.1 booleans (true, True, yes, on, ...). */
export function coerceBool(value: string): boolean | undefined {
  if (value === "1") return true;
  if (value === "0") return false;
  if (/^(true|True|TRUE|yes|Yes|YES|on|On|ON)$/.test(value)) return true;
  if (/^(false|False|FALSE|no|No|NO|off|Off|OFF)$/.test(value)) return false;
  return undefined;
}

/** Python's float(): used by $(equals) to compare numbers with a tolerance, as launch does. */
function asFloat(text: string): number | undefined {
  const t = text.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^[+-]?(inf|infinity|nan)$/i.test(t))
    return Number(t.replace(/^([+-]?)inf(inity)?$/i, "$1Infinity").replace(/^[+-]?nan$/i, "NaN"));
  return undefined;
}

/** $(equals a b): booleans as booleans, numbers with math.isclose's default tolerance, else text. */
function launchEquals(a: string, b: string): boolean {
  const isBool = (s: string): boolean => ["true", "false", "1", "0"].includes(s.toLowerCase());
  if (isBool(a) && isBool(b))
    return ["true", "1"].includes(a.toLowerCase()) === ["true", "1"].includes(b.toLowerCase());
  const x = asFloat(a);
  const y = asFloat(b);
  if (x !== undefined && y !== undefined)
    return x === y || Math.abs(x - y) <= Math.max(1e-9 * Math.max(Math.abs(x), Math.abs(y)), 0);
  return a === b;
}

class Evaluator {
  constructor(private readonly ctx: SubstitutionContext) {}

  private error(sub: Substitution, detail: string, hint?: string): LaunchError {
    return new LaunchError(
      this.ctx.file,
      this.ctx.line,
      `${sub.raw}: ${detail}`,
      hint ? { hint } : undefined,
    );
  }

  /**
   * A command line as launch's _parse_cmdline splits it: the text between substitutions is shlex-split,
   * a substitution's value is never split (a $(var) holding spaces stays one argument).
   */
  commandLine(parts: Template): string[] {
    const args: string[][] = [];
    let arg: string[] = [];
    const next = (): void => {
      args.push(arg);
      arg = [];
    };
    for (const p of parts) {
      if (typeof p !== "string") {
        arg.push(this.substitution(p));
        continue;
      }
      let tokens: string[];
      try {
        tokens = shlexSplit(p);
      } catch (cause) {
        if (cause instanceof ShellWordsError)
          throw new LaunchError(this.ctx.file, this.ctx.line, cause.message);
        throw cause;
      }
      if (tokens.length === 0) {
        next();
        continue;
      }
      if (/^\s/.test(p) && arg.length > 0) next();
      arg.push(tokens[0]);
      if (tokens.length > 1) {
        next();
        arg.push(tokens[tokens.length - 1]);
      }
      if (tokens.length > 2) args.push(...tokens.slice(1, -1).map((t) => [t]));
      if (/\s$/.test(p)) next();
    }
    if (arg.length > 0) args.push(arg);
    return args.map((a) => a.join(""));
  }

  template(parts: Template): string {
    let out = "";
    for (const p of parts) out += typeof p === "string" ? p : this.substitution(p);
    return out;
  }

  private arity(sub: Substitution, min: number, max: number): void {
    const n = sub.args.length;
    if (n >= min && n <= max) return;
    const want = min === max ? `${min}` : `${min} or ${max}`;
    throw this.error(
      sub,
      `$(${sub.name}) takes ${want} argument${max === 1 ? "" : "s"}, got ${n}`,
      n > max && ["eval", "if", "not"].includes(sub.name)
        ? `arguments are separated by spaces: quote an argument that has spaces, e.g. $(${sub.name} "...")`
        : undefined,
    );
  }

  private bool(sub: Substitution, index: number): boolean {
    const text = this.template(sub.args[index]);
    const b = coerceBool(text);
    if (b === undefined)
      throw this.error(sub, `"${text}" is not a boolean`, "launch accepts true/false, 1/0, yes/no, on/off");
    return b;
  }

  private substitution(sub: Substitution): string {
    const arg = (k: number): string => this.template(sub.args[k]);
    switch (sub.name) {
      case "var": {
        this.arity(sub, 1, 2);
        const name = arg(0);
        const v = this.ctx.lookup(name);
        if (v !== undefined) return v;
        if (sub.args.length === 2) return arg(1);
        throw this.error(
          sub,
          `launch configuration "${name}" is not set`,
          `declare it with <arg name="${name}" default="..."/> or <let>, pass ${name}:=<value> on the command line, or give a default: $(var ${name} <default>)`,
        );
      }
      case "env": {
        this.arity(sub, 1, 2);
        const name = arg(0);
        const v = this.ctx.env[name];
        if (v !== undefined) return v;
        if (sub.args.length === 2) return arg(1);
        throw this.error(
          sub,
          `environment variable ${name} is not set (and no default given)`,
          `give a default: $(env ${name} '')`,
        );
      }
      case "find-pkg-share":
      case "find-pkg-prefix": {
        this.arity(sub, 1, 1);
        const pkg = arg(0);
        const dir =
          sub.name === "find-pkg-share"
            ? findPackageShare(pkg, this.ctx.env)
            : findPackagePrefix(pkg, this.ctx.env);
        if (dir === undefined)
          throw this.error(
            sub,
            `package "${pkg}" not found (searched ${describeSearch(this.ctx.env)})`,
            "source the setup file of the workspace that installs it (e.g. source /opt/ros/jazzy/setup.bash)",
          );
        return dir;
      }
      case "exec-in-pkg": {
        this.arity(sub, 2, 2);
        const exe = arg(0);
        const pkg = arg(1);
        const prefix = findPackagePrefix(pkg, this.ctx.env);
        if (prefix === undefined)
          throw this.error(sub, `package "${pkg}" not found (searched ${describeSearch(this.ctx.env)})`);
        return join(prefix, "lib", pkg, exe);
      }
      case "find-exec": {
        this.arity(sub, 1, 1);
        const name = arg(0);
        const path = findExecutable(name, this.ctx.env);
        if (path === undefined) throw this.error(sub, `executable "${name}" not found on the PATH`);
        return path;
      }
      case "anon": {
        this.arity(sub, 1, 1);
        const name = arg(0);
        const known = this.ctx.anonNames?.get(name);
        if (known !== undefined) return known;
        const rand =
          BigInt(Math.floor(Math.random() * 2 ** 53)) * 1024n + BigInt(Math.floor(Math.random() * 1024));
        const anon = `${name}_${hostname()}_${process.pid}_${rand}`.replace(/[.:-]/g, "_");
        this.ctx.anonNames?.set(name, anon);
        return anon;
      }
      case "dirname":
        this.arity(sub, 0, 0);
        return join(this.ctx.file, "..");
      case "filename":
        this.arity(sub, 0, 0);
        return this.ctx.file;
      case "eval": {
        this.arity(sub, 1, 2);
        if (
          sub.args.length === 2 &&
          arg(1)
            .split(",")
            .some((m) => !["math", ""].includes(m.trim()))
        )
          throw this.error(sub, `modules "${arg(1)}": only math is available to eval here`);
        const expr = arg(0);
        try {
          return evalPythonExpression(expr);
        } catch (cause) {
          if (!(cause instanceof PyExprError)) throw cause;
          const hint =
            cause.pyType === "NameError"
              ? "text inside eval is Python: quote launch values used as strings, e.g. $(eval \"'$(var mode)' == 'sim'\")"
              : cause.pyType === "Unsupported"
                ? "eval takes literals, arithmetic, comparisons, and/or/not, in, x if c else y, int() float() str() bool() len() abs() round() min() max() and math"
                : undefined;
          throw new LaunchError(this.ctx.file, this.ctx.line, `$(eval ${expr}): ${cause.message}`, {
            cause,
            ...(hint ? { hint } : {}),
          });
        }
      }
      case "not":
        this.arity(sub, 1, 1);
        return String(!this.bool(sub, 0));
      case "and":
        this.arity(sub, 2, 2);
        return String(this.bool(sub, 0) && this.bool(sub, 1));
      case "or":
        this.arity(sub, 2, 2);
        return String(this.bool(sub, 0) || this.bool(sub, 1));
      case "any":
      case "all": {
        const values = sub.args.map((_, k) => this.bool(sub, k));
        return String(sub.name === "any" ? values.some(Boolean) : values.every(Boolean));
      }
      case "if": {
        this.arity(sub, 2, 3);
        if (this.bool(sub, 0)) return arg(1);
        return sub.args.length === 3 ? arg(2) : "";
      }
      case "equals":
      case "not-equals": {
        this.arity(sub, 2, 2);
        const eq = launchEquals(arg(0), arg(1));
        return String(sub.name === "equals" ? eq : !eq);
      }
      case "file-content": {
        this.arity(sub, 1, 1);
        const path = arg(0);
        try {
          return readFileSync(path, "utf8");
        } catch (cause) {
          throw this.error(
            sub,
            `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`,
          );
        }
      }
      case "command":
        this.arity(sub, 1, 2);
        return this.command(sub, arg(0), sub.args.length === 2 ? arg(1) : "fail");
      default:
        if (ROS1.has(sub.name))
          throw this.error(
            sub,
            `$(${sub.name}) is a ROS 1 substitution`,
            "this looks like a ROS 1 launch file: ROS 2 writes $(var name), $(find-pkg-share pkg) and $(env NAME default)",
          );
        throw this.error(sub, `unknown substitution $(${sub.name})`, `supported: ${SUPPORTED}`);
    }
  }

  /** $(command): runs it without a shell (shlex-split), as launch does; stdout is the value. */
  private command(sub: Substitution, text: string, onStderr: string): string {
    if (!["fail", "ignore", "warn", "capture"].includes(onStderr))
      throw this.error(sub, `on_stderr "${onStderr}": expected fail, ignore, warn or capture`);
    let argv: string[];
    try {
      argv = shlexSplit(text);
    } catch (cause) {
      throw this.error(sub, (cause as Error).message);
    }
    if (argv.length === 0) throw this.error(sub, `empty command "${text}"`);
    const log = this.ctx.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    log(`[INFO] [launch]: ${this.ctx.file}:${this.ctx.line}: $(command) runs: ${argv.join(" ")}`);
    const r = spawnSync(argv[0], argv.slice(1), {
      encoding: "utf8",
      env: this.ctx.env as NodeJS.ProcessEnv,
      maxBuffer: 1 << 26,
    });
    if (r.error)
      throw this.error(
        sub,
        `cannot run ${basename(argv[0])}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`,
      );
    const stderr = r.stderr ?? "";
    if (r.status !== 0)
      throw this.error(
        sub,
        `command exited with ${r.status ?? r.signal}${stderr ? `; stderr: ${stderr.trim()}` : ""}`,
      );
    if (stderr !== "") {
      if (onStderr === "capture") return r.stdout + stderr;
      if (onStderr === "fail")
        throw this.error(
          sub,
          `command wrote to stderr: ${stderr.trim()}`,
          "pass 'warn' or 'ignore' as the second argument to allow it",
        );
      if (onStderr === "warn") log(`[WARN] [launch]: $(command ${text}) stderr: ${stderr.trim()}`);
    }
    return r.stdout;
  }
}

export function parseTemplate(text: string, ctx: Pick<SubstitutionContext, "file" | "line">): Template {
  try {
    return parseSubstitutions(text);
  } catch (cause) {
    if (cause instanceof SubstitutionSyntaxError)
      throw new LaunchError(ctx.file, ctx.line, `cannot parse substitutions: ${cause.message}`, { cause });
    throw cause;
  }
}

/** Splits and resolves a command line (cmd=, args=, ros_args=) as launch does. */
export function substituteCommandLine(text: string, ctx: SubstitutionContext): string[] {
  return new Evaluator(ctx).commandLine(parseTemplate(text, ctx));
}

/** Resolves the substitutions in an attribute value (and launch's backslash escapes). */
export function substitute(text: string, ctx: SubstitutionContext): string {
  return new Evaluator(ctx).template(parseTemplate(text, ctx));
}

/** if/unless: launch strips and lower-cases the value, then accepts true/1 and false/0 only. */
export function parseLaunchBool(
  value: string,
  what: string,
  ctx: Pick<SubstitutionContext, "file" | "line">,
): boolean {
  const v = value.trim().toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new LaunchError(ctx.file, ctx.line, `${what}="${value}": expected true or false (or 1, 0)`);
}
