/**
 * Interprets ROS 2 launch XML into a LaunchDescription: launch, arg (default, description, <choice>),
 * let, node (pkg, exec, name, namespace, args, output, ros_args) with param (value, value-sep, nested
 * groups, from=) and remap, group (scoped) with push-ros-namespace, include with arg, executable (cmd,
 * args, cwd, name, output, env), if/unless on every action. Unknown tags and attributes are errors.
 *
 * Departures from ros2 launch, on purpose: includes are scoped (their lets/args do not leak out), and
 * relative include / param-file paths resolve against the including file's folder.
 */
import { readFileSync, existsSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LaunchError, TetherError } from "../core/errors.js";
import type { ParameterValue } from "../ros/node.js";
import {
  joinNamespace,
  normalizeNamespace,
  parseRemap,
  validateNodeName,
  type RemapRule,
} from "../ros/names.js";
import { parameterFromString, parametersFromYaml } from "../ros/parameters.js";
import type {
  LaunchArgument,
  LaunchDescription,
  NodeDescription,
  ProcessDescription,
} from "./description.js";
import { parseLaunchBool, substitute, type SubstitutionContext } from "./substitutions.js";
import { parseLaunchXml, type XmlElement } from "./xml.js";

/** Repository root: $(find-pkg-share tether). */
export const TETHER_SHARE = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const ALLOWED: Record<string, { attrs: string[]; children: string[] }> = {
  launch: {
    attrs: ["version"],
    children: [
      "arg",
      "let",
      "node",
      "group",
      "include",
      "executable",
      "push-ros-namespace",
      "push_ros_namespace",
    ],
  },
  arg: { attrs: ["name", "default", "description", "if", "unless"], children: ["choice"] },
  choice: { attrs: ["value"], children: [] },
  let: { attrs: ["name", "value", "if", "unless"], children: [] },
  node: {
    attrs: ["pkg", "exec", "name", "namespace", "args", "output", "ros_args", "if", "unless"],
    children: ["param", "remap"],
  },
  param: { attrs: ["name", "value", "value-sep", "from", "if", "unless"], children: ["param"] },
  remap: { attrs: ["from", "to", "if", "unless"], children: [] },
  group: {
    attrs: ["scoped", "if", "unless"],
    children: [
      "arg",
      "let",
      "node",
      "group",
      "include",
      "executable",
      "push-ros-namespace",
      "push_ros_namespace",
    ],
  },
  "push-ros-namespace": { attrs: ["namespace", "if", "unless"], children: [] },
  push_ros_namespace: { attrs: ["namespace", "if", "unless"], children: [] },
  include: { attrs: ["file", "if", "unless"], children: ["arg"] },
  executable: { attrs: ["cmd", "args", "cwd", "name", "output", "if", "unless"], children: ["env"] },
  env: { attrs: ["name", "value", "if", "unless"], children: [] },
};

const OUTPUTS = ["screen", "log", "both"];
const INCLUDE_ARG_ATTRS = ["name", "value", "if", "unless"];

class Scope {
  readonly vars: Map<string, string>;
  namespace: string;
  constructor(parent?: Scope) {
    this.vars = new Map(parent?.vars);
    this.namespace = parent?.namespace ?? "/";
  }
}

export interface InterpretOptions {
  /** Command-line arguments (name:=value). */
  args?: Record<string, string>;
  env?: Record<string, string | undefined>;
  /** Share folders of packages other than tether (tests). */
  packages?: Record<string, string>;
}

/** Splits a command line like a POSIX shell would for words and quotes (no expansion). */
export function splitCommandLine(text: string, file: string, line: number): string[] {
  const out: string[] = [];
  let cur = "";
  let has = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = "";
      has = false;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw new LaunchError(file, line, `unterminated ${quote} quote in "${text}"`);
  if (has) out.push(cur);
  return out;
}

class Interpreter {
  readonly nodes: NodeDescription[] = [];
  readonly processes: ProcessDescription[] = [];
  readonly arguments: LaunchArgument[] = [];
  readonly files: string[] = [];
  private readonly usedCliArgs = new Set<string>();
  private includeDepth = 0;

  constructor(private readonly options: InterpretOptions) {}

  private ctx(el: XmlElement, scope: Scope): SubstitutionContext {
    return {
      file: el.file,
      line: el.line,
      lookup: (n) => scope.vars.get(n),
      findPkgShare: (pkg) => (pkg === "tether" ? TETHER_SHARE : this.options.packages?.[pkg]),
      env: this.options.env ?? process.env,
      dirname: dirname(el.file),
    };
  }

  private check(el: XmlElement): void {
    const allowed = ALLOWED[el.tag];
    if (!allowed)
      throw new LaunchError(el.file, el.line, `unknown tag <${el.tag}>`, {
        hint: `known tags: ${Object.keys(ALLOWED).join(", ")}`,
      });
    for (const a of Object.keys(el.attrs)) {
      if (!allowed.attrs.includes(a)) {
        throw new LaunchError(el.file, el.line, `<${el.tag}>: unknown attribute "${a}"`, {
          hint: `expected one of: ${allowed.attrs.join(", ")}`,
        });
      }
    }
    for (const c of el.children) {
      if (!Object.hasOwn(ALLOWED, c.tag)) {
        throw new LaunchError(c.file, c.line, `unknown tag <${c.tag}>`, {
          hint: `known tags: ${Object.keys(ALLOWED).join(", ")}`,
        });
      }
      if (!allowed.children.includes(c.tag)) {
        const where = allowed.children.length
          ? `expected ${allowed.children.map((t) => `<${t}>`).join(", ")}`
          : "it takes no children";
        throw new LaunchError(c.file, c.line, `<${c.tag}> is not allowed inside <${el.tag}> (${where})`);
      }
    }
  }

  private attr(el: XmlElement, scope: Scope, name: string): string | undefined {
    const raw = el.attrs[name];
    return raw === undefined ? undefined : substitute(raw, this.ctx(el, scope));
  }

  private required(el: XmlElement, scope: Scope, name: string): string {
    const v = this.attr(el, scope, name);
    if (v === undefined) throw new LaunchError(el.file, el.line, `<${el.tag}> needs a ${name}= attribute`);
    return v;
  }

  private enabled(el: XmlElement, scope: Scope): boolean {
    const c = this.ctx(el, scope);
    const ifv = this.attr(el, scope, "if");
    if (ifv !== undefined && !parseLaunchBool(ifv, "if", c)) return false;
    const unless = this.attr(el, scope, "unless");
    if (unless !== undefined && parseLaunchBool(unless, "unless", c)) return false;
    return true;
  }

  runFile(file: string, scope: Scope, via?: XmlElement): void {
    if (this.includeDepth > 32)
      throw new LaunchError(
        via?.file ?? file,
        via?.line,
        `includes nest deeper than 32 levels (a cycle?) at ${file}`,
      );
    if (/\.launch\.py$|\.py$/.test(file)) {
      throw new LaunchError(
        via?.file ?? file,
        via?.line,
        `${file}: Python launch files are not supported by tether launch`,
        {
          hint: "run Python launch files with ros2 launch; tether reads launch XML",
        },
      );
    }
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (cause) {
      throw new LaunchError(
        via?.file ?? file,
        via?.line,
        `cannot read launch file ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
        { cause },
      );
    }
    this.files.push(file);
    const root = parseLaunchXml(text, file);
    this.check(root);
    this.includeDepth++;
    for (const child of root.children) this.action(child, scope);
    this.includeDepth--;
  }

  private action(el: XmlElement, scope: Scope): void {
    this.check(el);
    if (!this.enabled(el, scope)) return;
    switch (el.tag) {
      case "arg":
        return this.arg(el, scope);
      case "let":
        scope.vars.set(this.required(el, scope, "name"), this.required(el, scope, "value"));
        return;
      case "node":
        return this.node(el, scope);
      case "group":
        return this.group(el, scope);
      case "push-ros-namespace":
      case "push_ros_namespace":
        scope.namespace = this.pushNamespace(scope.namespace, this.required(el, scope, "namespace"), el);
        return;
      case "include":
        return this.include(el, scope);
      case "executable":
        return this.executable(el, scope);
      default:
        throw new LaunchError(el.file, el.line, `<${el.tag}> is not allowed here`);
    }
  }

  private pushNamespace(current: string, ns: string, el: XmlElement): string {
    try {
      if (ns.startsWith("/")) return normalizeNamespace(ns);
      if (ns === "") return current;
      return normalizeNamespace(joinNamespace(current, ns));
    } catch (cause) {
      throw new LaunchError(el.file, el.line, (cause as Error).message, { cause });
    }
  }

  private arg(el: XmlElement, scope: Scope): void {
    const name = this.required(el, scope, "name");
    const def = this.attr(el, scope, "default");
    const description = this.attr(el, scope, "description");
    const choices = el.children.map((c) => {
      this.check(c);
      return this.required(c, scope, "value");
    });
    const cli = this.options.args?.[name];
    let value: string | undefined;
    if (cli !== undefined) {
      value = cli;
      this.usedCliArgs.add(name);
    } else {
      value = scope.vars.get(name) ?? def;
    }
    if (value === undefined) {
      throw new LaunchError(el.file, el.line, `launch argument "${name}" is required (it has no default)`, {
        hint: `pass ${name}:=<value>${description ? ` (${description})` : ""}`,
      });
    }
    if (choices.length > 0 && !choices.includes(value)) {
      throw new LaunchError(
        el.file,
        el.line,
        `launch argument "${name}" is "${value}", expected one of: ${choices.join(", ")}`,
      );
    }
    scope.vars.set(name, value);
    this.arguments.push({
      name,
      value,
      ...(def !== undefined ? { default: def } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(choices.length ? { choices } : {}),
      file: el.file,
      line: el.line,
    });
  }

  private group(el: XmlElement, scope: Scope): void {
    const scopedText = this.attr(el, scope, "scoped");
    const scoped =
      scopedText === undefined ? true : parseLaunchBool(scopedText, "scoped", this.ctx(el, scope));
    const inner = scoped ? new Scope(scope) : scope;
    for (const c of el.children) this.action(c, inner);
  }

  private include(el: XmlElement, scope: Scope): void {
    const fileAttr = this.required(el, scope, "file");
    const file = isAbsolute(fileAttr) ? fileAttr : resolve(dirname(el.file), fileAttr);
    const inner = new Scope(scope);
    for (const a of el.children) {
      for (const k of Object.keys(a.attrs)) {
        if (!INCLUDE_ARG_ATTRS.includes(k)) {
          throw new LaunchError(a.file, a.line, `<arg> inside <include>: unknown attribute "${k}"`, {
            hint: `an include passes values: ${INCLUDE_ARG_ATTRS.join(", ")}`,
          });
        }
      }
      if (a.children.length > 0)
        throw new LaunchError(a.file, a.line, "<arg> inside <include> takes no children");
      if (!this.enabled(a, scope)) continue;
      const name = this.required(a, scope, "name");
      const value = a.attrs.value;
      if (value === undefined)
        throw new LaunchError(a.file, a.line, `<arg name="${name}"> inside <include> needs value=`);
      inner.vars.set(name, substitute(value, this.ctx(a, scope)));
    }
    if (!existsSync(file)) throw new LaunchError(el.file, el.line, `included file not found: ${file}`);
    this.runFile(file, inner, el);
  }

  private params(
    el: XmlElement,
    scope: Scope,
    prefix: string,
    fullName: string,
    out: Record<string, ParameterValue>,
    files: string[],
  ): void {
    this.check(el);
    if (!this.enabled(el, scope)) return;
    const from = this.attr(el, scope, "from");
    if (from !== undefined) {
      if (el.attrs.name !== undefined || el.attrs.value !== undefined || el.children.length > 0) {
        throw new LaunchError(
          el.file,
          el.line,
          "<param from=...> loads a file; it takes no name, value or children",
        );
      }
      const path = isAbsolute(from) ? from : resolve(dirname(el.file), from);
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (cause) {
        throw new LaunchError(el.file, el.line, `cannot read parameter file ${path}`, { cause });
      }
      try {
        Object.assign(out, prefixKeys(parametersFromYaml(text, path, fullName), prefix));
      } catch (cause) {
        if (cause instanceof TetherError)
          throw new LaunchError(el.file, el.line, `parameter file: ${cause.message}`, { cause });
        throw cause;
      }
      files.push(path);
      return;
    }
    const name = this.required(el, scope, "name");
    const full = prefix ? `${prefix}.${name}` : name;
    const value = this.attr(el, scope, "value");
    if (el.children.length > 0) {
      if (value !== undefined)
        throw new LaunchError(el.file, el.line, `<param name="${name}"> has both value= and nested params`);
      for (const c of el.children) this.params(c, scope, full, fullName, out, files);
      return;
    }
    if (value === undefined)
      throw new LaunchError(
        el.file,
        el.line,
        `<param name="${name}"> needs value= (or nested <param>s, or from=)`,
      );
    const sep = this.attr(el, scope, "value-sep");
    if (sep !== undefined) {
      const items = value === "" ? [] : value.split(sep).map((s) => parameterFromString(s.trim()));
      const kinds = new Set(items.map((v) => typeof v));
      if (kinds.size > 1)
        throw new LaunchError(
          el.file,
          el.line,
          `<param name="${name}">: list items must all have one type, got ${[...kinds].join(" and ")}`,
        );
      out[full] = items as ParameterValue;
    } else {
      out[full] = parameterFromString(value);
    }
  }

  private node(el: XmlElement, scope: Scope): void {
    const pkg = this.required(el, scope, "pkg");
    const exec = this.required(el, scope, "exec");
    const name = this.attr(el, scope, "name") ?? exec;
    try {
      validateNodeName(name);
    } catch (cause) {
      throw new LaunchError(el.file, el.line, `<node name="${name}">: ${(cause as Error).message}`, {
        cause,
      });
    }
    const nsAttr = this.attr(el, scope, "namespace");
    const namespace =
      nsAttr === undefined ? scope.namespace : this.pushNamespace(scope.namespace, nsAttr, el);
    const fullName = joinNamespace(namespace, name);
    const output = this.attr(el, scope, "output") ?? "log";
    if (!OUTPUTS.includes(output))
      throw new LaunchError(
        el.file,
        el.line,
        `<node output="${output}">: expected one of ${OUTPUTS.join(", ")}`,
      );
    const parameters: Record<string, ParameterValue> = {};
    const parameterFiles: string[] = [];
    const remaps: RemapRule[] = [];
    for (const c of el.children) {
      if (c.tag === "param") this.params(c, scope, "", fullName, parameters, parameterFiles);
      else {
        this.check(c);
        if (!this.enabled(c, scope)) continue;
        remaps.push({ from: this.required(c, scope, "from"), to: this.required(c, scope, "to") });
      }
    }
    const rosArgs = this.attr(el, scope, "ros_args");
    if (rosArgs !== undefined)
      this.rosArgs(splitCommandLine(rosArgs, el.file, el.line), el, parameters, remaps);
    const argsText = this.attr(el, scope, "args");
    this.nodes.push({
      package: pkg,
      executable: exec,
      name,
      namespace,
      fullName,
      parameters,
      parameterFiles,
      remaps,
      args: argsText === undefined ? [] : splitCommandLine(argsText, el.file, el.line),
      output,
      file: el.file,
      line: el.line,
    });
  }

  /** ros_args: "-p name:=value" / "--param", "-r from:=to" / "--remap". */
  private rosArgs(
    tokens: string[],
    el: XmlElement,
    parameters: Record<string, ParameterValue>,
    remaps: RemapRule[],
  ): void {
    for (let i = 0; i < tokens.length; i++) {
      const flag = tokens[i];
      const value = tokens[i + 1];
      if (
        (flag === "-p" || flag === "--param" || flag === "-r" || flag === "--remap") &&
        value !== undefined
      ) {
        const k = value.indexOf(":=");
        if (k <= 0)
          throw new LaunchError(el.file, el.line, `ros_args: ${flag} expects name:=value, got "${value}"`);
        if (flag === "-p" || flag === "--param")
          parameters[value.slice(0, k)] = parameterFromString(value.slice(k + 2));
        else remaps.push(parseRemap(value));
        i++;
      } else {
        throw new LaunchError(el.file, el.line, `ros_args: unsupported "${flag}"`, {
          hint: "supported: -p name:=value, -r from:=to",
        });
      }
    }
  }

  private executable(el: XmlElement, scope: Scope): void {
    const cmdText = this.required(el, scope, "cmd");
    const cmd = splitCommandLine(cmdText, el.file, el.line);
    const extra = this.attr(el, scope, "args");
    if (extra !== undefined) cmd.push(...splitCommandLine(extra, el.file, el.line));
    if (cmd.length === 0) throw new LaunchError(el.file, el.line, "<executable cmd=...> is empty");
    const output = this.attr(el, scope, "output") ?? "log";
    if (!OUTPUTS.includes(output))
      throw new LaunchError(
        el.file,
        el.line,
        `<executable output="${output}">: expected one of ${OUTPUTS.join(", ")}`,
      );
    const env: Record<string, string> = {};
    for (const c of el.children) {
      this.check(c);
      if (!this.enabled(c, scope)) continue;
      env[this.required(c, scope, "name")] = this.required(c, scope, "value");
    }
    const cwd = this.attr(el, scope, "cwd");
    this.processes.push({
      name: this.attr(el, scope, "name") ?? cmd[0].split("/").at(-1) ?? cmd[0],
      cmd,
      ...(cwd !== undefined ? { cwd } : {}),
      env,
      output,
      file: el.file,
      line: el.line,
    });
  }

  unusedCliArgs(): string[] {
    return Object.keys(this.options.args ?? {}).filter((a) => !this.usedCliArgs.has(a));
  }
}

function prefixKeys(params: Record<string, ParameterValue>, prefix: string): Record<string, ParameterValue> {
  if (!prefix) return params;
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [`${prefix}.${k}`, v]));
}

/** Reads and resolves a launch file (and its includes) without running anything. */
export function interpretLaunchFile(file: string, options: InterpretOptions = {}): LaunchDescription {
  const path = resolve(file);
  if (!existsSync(path)) throw new LaunchError(path, undefined, "launch file not found");
  const it = new Interpreter(options);
  it.runFile(path, new Scope());
  const unused = it.unusedCliArgs();
  if (unused.length > 0) {
    const declared = [...new Set(it.arguments.map((a) => a.name))];
    throw new LaunchError(
      path,
      undefined,
      `unknown launch argument${unused.length > 1 ? "s" : ""}: ${unused.join(", ")}`,
      {
        hint: `declared: ${declared.join(", ") || "(none)"}`,
      },
    );
  }
  const seen = new Map<string, NodeDescription>();
  for (const n of it.nodes) {
    const prev = seen.get(n.fullName);
    if (prev) {
      throw new LaunchError(
        n.file,
        n.line,
        `two nodes are named ${n.fullName} (the other at ${prev.file}:${prev.line})`,
        {
          hint: "give one a different name= or namespace=",
        },
      );
    }
    seen.set(n.fullName, n);
  }
  return { file: path, arguments: it.arguments, nodes: it.nodes, processes: it.processes, files: it.files };
}

/** Parses "name:=value" command-line launch arguments. */
export function parseLaunchArgs(tokens: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tokens) {
    const k = t.indexOf(":=");
    if (k <= 0)
      throw new LaunchError("(command line)", undefined, `launch arguments are name:=value, got "${t}"`);
    out[t.slice(0, k)] = t.slice(k + 2);
  }
  return out;
}
