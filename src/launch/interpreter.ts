/**
 * Interprets ROS 2 launch XML into a LaunchDescription the way ROS 2's launch and launch_ros resolve it:
 * arg, let, node, param, remap, group (scoped, forwarding, keep), push-ros-namespace, include (not
 * scoped, as in ROS 2: its lets leak unless wrapped in a group), executable, set_parameter,
 * set_parameters_from_file, set_remap, set_env, unset_env, append_env, log, timer, node_container,
 * composable_node and load_composable_node; if/unless on every action. Unknown tags and attributes are
 * errors naming file:line; ROS 1 and Python launch files are named as such.
 *
 * One departure, on purpose: relative include and parameter-file paths resolve against the including
 * file's folder (ROS 2 resolves them against the working directory).
 */
import { readFileSync, existsSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
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
import { TETHER_SHARE, type Env } from "./ament.js";
import { LaunchValueError, launchParameterValue } from "./launch-values.js";
import type {
  LaunchArgument,
  LaunchDescription,
  NodeDescription,
  ProcessDescription,
} from "./description.js";
import { rejectRos1 } from "./ros1.js";
import { ALLOWED, INCLUDE_ARG_ATTRS, OUTPUTS } from "./schema.js";
import { Scope } from "./scope.js";
import { shlexSplit } from "./shell-words.js";
import {
  coerceBool,
  parseLaunchBool,
  substitute,
  substituteCommandLine,
  type SubstitutionContext,
} from "./substitutions.js";
import { parseLaunchXml, type XmlElement } from "./xml.js";

export { TETHER_SHARE };

export interface InterpretOptions {
  /** Command-line arguments (name:=value): set before the file runs, declared or not, as in ROS 2. */
  args?: Record<string, string>;
  env?: Env;
  /** Lines launch logs (<log>, $(command), undeclared arguments); default stderr. */
  log?: (line: string) => void;
}

/** Splits a command line as Python's shlex.split does (launch splits cmd=, args= and ros_args= so). */
export function splitCommandLine(text: string, file: string, line: number): string[] {
  try {
    return shlexSplit(text);
  } catch (cause) {
    throw new LaunchError(file, line, (cause as Error).message, { cause });
  }
}

class Interpreter {
  readonly nodes: NodeDescription[] = [];
  readonly processes: ProcessDescription[] = [];
  readonly arguments: LaunchArgument[] = [];
  readonly files: string[] = [];
  private readonly declared = new Set<string>();
  private readonly anonNames = new Map<string, string>();
  private readonly timers: { at: number; actions: XmlElement[] }[] = [];
  private readonly baseEnv: Env;
  private includeDepth = 0;

  constructor(private readonly options: InterpretOptions) {
    this.baseEnv = options.env ?? process.env;
  }

  log(line: string): void {
    (this.options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  rootScope(): Scope {
    const scope = new Scope({ env: this.baseEnv });
    for (const [k, v] of Object.entries(this.options.args ?? {})) scope.vars.set(k, v);
    return scope;
  }

  private ctx(el: XmlElement, scope: Scope): SubstitutionContext {
    return {
      file: el.file,
      line: el.line,
      lookup: (n) => scope.vars.get(n),
      env: scope.env,
      log: (l) => this.log(l),
      anonNames: this.anonNames,
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
    if (el.attrs.if !== undefined && el.attrs.unless !== undefined)
      throw new LaunchError(el.file, el.line, `<${el.tag}>: if and unless cannot be used together`);
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

  /** cmd=, args=, ros_args=: split into arguments as launch splits them (substitution values stay whole). */
  private commandAttr(el: XmlElement, scope: Scope, name: string): string[] | undefined {
    const raw = el.attrs[name];
    return raw === undefined ? undefined : substituteCommandLine(raw, this.ctx(el, scope));
  }

  private required(el: XmlElement, scope: Scope, name: string): string {
    const v = this.attr(el, scope, name);
    if (v === undefined) throw new LaunchError(el.file, el.line, `<${el.tag}> needs a ${name}= attribute`);
    return v;
  }

  /** Attributes launch reads as bool (scoped, shell, respawn, ...): 1/0 and YAML booleans. */
  private boolAttr(el: XmlElement, scope: Scope, name: string): boolean | undefined {
    const v = this.attr(el, scope, name);
    if (v === undefined) return undefined;
    const b = coerceBool(v);
    if (b === undefined)
      throw new LaunchError(el.file, el.line, `<${el.tag} ${name}="${v}">: expected true or false`);
    return b;
  }

  private floatAttr(el: XmlElement, scope: Scope, name: string): number | undefined {
    const v = this.attr(el, scope, name);
    if (v === undefined) return undefined;
    const x = Number(v.trim());
    if (v.trim() === "" || !Number.isFinite(x) || x < 0)
      throw new LaunchError(
        el.file,
        el.line,
        `<${el.tag} ${name}="${v}">: expected a non-negative number of seconds`,
      );
    return x;
  }

  /** Launch's escape_characters: backslash escapes only, no substitutions (arg names, descriptions, choices). */
  private plain(el: XmlElement, name: string): string | undefined {
    return el.attrs[name]?.replace(/\\(.)/gs, "$1");
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
    if (/\.py$/.test(file)) {
      throw new LaunchError(
        via?.file ?? file,
        via?.line,
        `${file}: Python launch files are not supported by tether launch`,
        { hint: "run Python launch files with ros2 launch; tether reads launch XML" },
      );
    }
    if (/\.ya?ml$/.test(file)) {
      throw new LaunchError(
        via?.file ?? file,
        via?.line,
        `${file}: YAML launch files are not supported by tether launch`,
        {
          hint: "run YAML launch files with ros2 launch; tether reads launch XML",
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
    rejectRos1(root);
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
      case "node_container":
        return this.node(el, scope);
      case "load_composable_node": {
        const target = this.required(el, scope, "target");
        for (const c of el.children) this.composable(c, scope, target);
        return;
      }
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
      case "set_parameter":
        (scope.globalParams ??= []).push({
          name: this.required(el, scope, "name"),
          value: this.required(el, scope, "value"),
        });
        return;
      case "set_parameters_from_file": {
        const path = this.path(el, this.required(el, scope, "filename"));
        (scope.globalParams ??= []).push({ file: path, fullText: this.readParamFile(el, path) });
        return;
      }
      case "set_remap":
        (scope.remaps ??= []).push({
          from: this.required(el, scope, "from"),
          to: this.required(el, scope, "to"),
        });
        return;
      case "set_env":
        scope.env[this.required(el, scope, "name")] = this.required(el, scope, "value");
        return;
      case "unset_env":
        scope.env[this.required(el, scope, "name")] = undefined;
        return;
      case "append_env":
        return this.appendEnv(el, scope);
      case "log":
        this.log(`[INFO] [launch.user]: ${this.required(el, scope, "message")}`);
        return;
      case "timer": {
        const period = this.floatAttr(el, scope, "period");
        if (period === undefined)
          throw new LaunchError(el.file, el.line, "<timer> needs a period= attribute");
        this.boolAttr(el, scope, "cancel_on_shutdown");
        // ROS 2 runs a timer's actions when it fires: after the whole file, in the launch's top-level
        // configuration (a group's namespace and lets are gone by then). runTimers() does the same.
        this.timers.push({ at: scope.delay + period, actions: el.children });
        return;
      }
      default:
        throw new LaunchError(el.file, el.line, `<${el.tag}> is not allowed here`);
    }
  }

  private appendEnv(el: XmlElement, scope: Scope): void {
    const name = this.required(el, scope, "name");
    const value = this.required(el, scope, "value");
    const prepend = this.boolAttr(el, scope, "prepend") ?? false;
    const sep = this.attr(el, scope, "separator") ?? ":";
    const current = scope.env[name];
    scope.env[name] =
      current === undefined ? value : prepend ? `${value}${sep}${current}` : `${current}${sep}${value}`;
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

  private path(el: XmlElement, given: string): string {
    return isAbsolute(given) ? given : resolve(dirname(el.file), given);
  }

  private arg(el: XmlElement, scope: Scope): void {
    const name = this.plain(el, "name");
    if (name === undefined) throw new LaunchError(el.file, el.line, "<arg> needs a name= attribute");
    const def = this.attr(el, scope, "default");
    const description = this.plain(el, "description");
    const choices = el.children.map((c) => {
      this.check(c);
      const v = this.plain(c, "value");
      if (v === undefined) throw new LaunchError(c.file, c.line, "<choice> needs a value= attribute");
      return v;
    });
    this.declared.add(name);
    // As DeclareLaunchArgument: a value already set (command line, include, let) wins over the default.
    const value = scope.vars.get(name) ?? def;
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
    const scoped = this.boolAttr(el, scope, "scoped") ?? true;
    const forwarding = this.boolAttr(el, scope, "forwarding") ?? true;
    const keeps = el.children.filter((c) => c.tag === "keep");
    const kept = keeps.map((k): [string, string] => {
      this.check(k);
      return [this.required(k, scope, "name"), this.required(k, scope, "value")];
    });
    let inner = scope;
    if (scoped && forwarding) inner = new Scope(scope);
    else if (scoped) {
      // forwarding="false": only the kept configurations and the launch's initial environment go in.
      inner = new Scope({ env: this.baseEnv });
      inner.delay = scope.delay;
    }
    for (const [k, v] of kept) inner.vars.set(k, v);
    for (const c of el.children) if (c.tag !== "keep") this.action(c, inner);
  }

  private include(el: XmlElement, scope: Scope): void {
    const file = this.path(el, this.required(el, scope, "file"));
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
      if (a.attrs.value === undefined)
        throw new LaunchError(a.file, a.line, `<arg name="${name}"> inside <include> needs value=`);
      // ROS 2 sets include arguments in the including scope, one after the other.
      scope.vars.set(name, this.required(a, scope, "value"));
    }
    if (!/\.py$|\.ya?ml$/.test(file) && !existsSync(file))
      throw new LaunchError(el.file, el.line, `included file not found: ${file}`);
    this.runFile(file, scope, el);
  }

  private readParamFile(el: XmlElement, path: string): string {
    try {
      return readFileSync(path, "utf8");
    } catch (cause) {
      throw new LaunchError(el.file, el.line, `cannot read parameter file ${path}`, { cause });
    }
  }

  private paramsFromFile(
    el: XmlElement,
    path: string,
    text: string,
    fullName: string,
    prefix: string,
  ): Record<string, ParameterValue> {
    try {
      return prefixKeys(parametersFromYaml(text, path, fullName), prefix);
    } catch (cause) {
      if (cause instanceof TetherError)
        throw new LaunchError(el.file, el.line, `parameter file: ${cause.message}`, { cause });
      throw cause;
    }
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
      const path = this.path(el, from);
      let text = this.readParamFile(el, path);
      // allow_substs: the file's own $(var ...) are resolved in this scope before it is read as YAML.
      if (this.boolAttr(el, scope, "allow_substs") === true)
        text = substitute(text, { ...this.ctx(el, scope), file: path, line: 1 });
      Object.assign(out, this.paramsFromFile(el, path, text, fullName, prefix));
      files.push(path);
      return;
    }
    if (el.attrs.allow_substs !== undefined)
      throw new LaunchError(el.file, el.line, "<param allow_substs=...> only goes with from=");
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
    const type = this.attr(el, scope, "type");
    const sep = this.attr(el, scope, "value-sep");
    const parse = (text: string): ParameterValue => this.typedParam(el, name, text, type);
    if (sep !== undefined) {
      const items = value === "" ? [] : value.split(sep).map((s) => parse(s.trim()));
      const kinds = new Set(items.map((v) => typeof v));
      if (kinds.size > 1)
        throw new LaunchError(
          el.file,
          el.line,
          `<param name="${name}">: list items must all have one type, got ${[...kinds].join(" and ")}`,
        );
      out[full] = items as ParameterValue;
    } else {
      out[full] = parse(value);
    }
  }

  /** type="str|int|float|bool" (and list_of_...) as launch_ros coerces; no type: YAML rules. */
  private typedParam(el: XmlElement, name: string, text: string, type: string | undefined): ParameterValue {
    if (type === undefined) return this.launchValue(el, name, text);
    const scalar = type.replace(/^list_of_/, "");
    const bad = (): never => {
      throw new LaunchError(
        el.file,
        el.line,
        `<param name="${name}" type="${type}">: "${text}" is not a ${scalar}`,
      );
    };
    switch (scalar) {
      case "str":
        return text;
      case "int":
        return /^[+-]?\d+$/.test(text.trim()) ? Number(text) : bad();
      case "float": {
        const x = Number(text.trim());
        return text.trim() !== "" && !Number.isNaN(x) ? x : bad();
      }
      case "bool":
        return coerceBool(text) ?? bad();
      default:
        throw new LaunchError(
          el.file,
          el.line,
          `<param type="${type}">: expected str, int, float, bool or list_of_<one of them>`,
        );
    }
  }

  private launchValue(el: XmlElement, name: string, text: string): ParameterValue {
    try {
      return launchParameterValue(text);
    } catch (cause) {
      if (cause instanceof LaunchValueError)
        throw new LaunchError(el.file, el.line, `parameter ${name}: ${cause.message}`, {
          cause,
          hint: 'quote it to keep it as text, e.g. value="\'~\'", or give type="str"',
        });
      throw cause;
    }
  }

  /** Global parameters (set_parameter, set_parameters_from_file) first, as launch_ros passes them. */
  private globalParams(
    el: XmlElement,
    scope: Scope,
    fullName: string,
    out: Record<string, ParameterValue>,
    files: string[],
  ): void {
    for (const g of scope.globalParams ?? []) {
      if ("name" in g) out[g.name] = this.launchValue(el, g.name, g.value);
      else {
        Object.assign(out, this.paramsFromFile(el, g.file, g.fullText, fullName, ""));
        files.push(g.file);
      }
    }
  }

  private nodeName(el: XmlElement, name: string): void {
    try {
      validateNodeName(name);
    } catch (cause) {
      throw new LaunchError(el.file, el.line, `<${el.tag} name="${name}">: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  private remapChild(c: XmlElement, scope: Scope, remaps: RemapRule[]): void {
    this.check(c);
    if (!this.enabled(c, scope)) return;
    remaps.push({ from: this.required(c, scope, "from"), to: this.required(c, scope, "to") });
  }

  private node(el: XmlElement, scope: Scope): void {
    const pkg = this.required(el, scope, "pkg");
    const exec = this.required(el, scope, "exec");
    const name = this.attr(el, scope, "name") ?? exec;
    this.nodeName(el, name);
    const nsAttr = this.attr(el, scope, "namespace");
    const namespace =
      nsAttr === undefined ? scope.namespace : this.pushNamespace(scope.namespace, nsAttr, el);
    const fullName = joinNamespace(namespace, name);
    const output = this.attr(el, scope, "output") ?? "log";
    if (!OUTPUTS.includes(output))
      throw new LaunchError(
        el.file,
        el.line,
        `<${el.tag} output="${output}">: expected one of ${OUTPUTS.join(", ")}`,
      );
    const parameters: Record<string, ParameterValue> = {};
    const parameterFiles: string[] = [];
    const remaps: RemapRule[] = [...(scope.remaps ?? [])];
    this.globalParams(el, scope, fullName, parameters, parameterFiles);
    for (const c of el.children) {
      if (c.tag === "param") this.params(c, scope, "", fullName, parameters, parameterFiles);
      else if (c.tag === "remap") this.remapChild(c, scope, remaps);
      else if (c.tag === "env") this.check(c);
    }
    const rosArgs = this.commandAttr(el, scope, "ros_args");
    const logLevels: string[] = [];
    if (rosArgs !== undefined)
      this.rosArgs(rosArgs, el, fullName, {
        parameters,
        files: parameterFiles,
        remaps,
        logLevels,
      });
    const args = this.commandAttr(el, scope, "args") ?? [];
    const execName = this.attr(el, scope, "exec_name");
    const launchPrefix = this.attr(el, scope, "launch-prefix");
    const respawn = this.boolAttr(el, scope, "respawn");
    const respawnDelay = this.floatAttr(el, scope, "respawn_delay");
    this.processAttrs(el, scope);
    this.nodes.push({
      package: pkg,
      executable: exec,
      name,
      namespace,
      fullName,
      parameters,
      parameterFiles,
      remaps,
      args,
      output,
      ...(el.tag === "node_container" ? { role: "container" as const } : {}),
      ...(execName !== undefined ? { execName } : {}),
      ...(logLevels.length ? { logLevels } : {}),
      ...(launchPrefix !== undefined ? { launchPrefix } : {}),
      ...(respawn !== undefined ? { respawn } : {}),
      ...(respawnDelay !== undefined ? { respawnDelay } : {}),
      ...(scope.delay > 0 ? { delay: scope.delay } : {}),
      file: el.file,
      line: el.line,
    });
    for (const c of el.children) if (c.tag === "composable_node") this.composable(c, scope, fullName);
  }

  /** Attributes launch checks but Tether has no use for (timeouts, tty, on_exit). */
  private processAttrs(el: XmlElement, scope: Scope): void {
    this.floatAttr(el, scope, "sigterm_timeout");
    this.floatAttr(el, scope, "sigkill_timeout");
    this.boolAttr(el, scope, "emulate_tty");
    const retries = this.attr(el, scope, "respawn_max_retries");
    if (retries !== undefined && !/^-?\d+$/.test(retries.trim()))
      throw new LaunchError(
        el.file,
        el.line,
        `<${el.tag} respawn_max_retries="${retries}">: expected an integer`,
      );
    const onExit = this.attr(el, scope, "on_exit");
    if (onExit !== undefined && onExit !== "shutdown")
      throw new LaunchError(
        el.file,
        el.line,
        `<${el.tag} on_exit="${onExit}">: only "shutdown" is supported (as in ROS 2)`,
      );
  }

  /** composable_node inside node_container or load_composable_node: loaded into `container`. */
  private composable(el: XmlElement, scope: Scope, container: string): void {
    this.check(el);
    if (!this.enabled(el, scope)) return;
    const pkg = this.required(el, scope, "pkg");
    const plugin = this.required(el, scope, "plugin");
    const name = this.required(el, scope, "name");
    this.nodeName(el, name);
    const nsAttr = this.attr(el, scope, "namespace");
    const namespace =
      nsAttr === undefined ? scope.namespace : this.pushNamespace(scope.namespace, nsAttr, el);
    const fullName = joinNamespace(namespace, name);
    const parameters: Record<string, ParameterValue> = {};
    const parameterFiles: string[] = [];
    const remaps: RemapRule[] = [...(scope.remaps ?? [])];
    this.globalParams(el, scope, fullName, parameters, parameterFiles);
    for (const c of el.children) {
      if (c.tag === "param") this.params(c, scope, "", fullName, parameters, parameterFiles);
      else if (c.tag === "remap") this.remapChild(c, scope, remaps);
      else {
        this.check(c);
        this.required(c, scope, "name");
        this.required(c, scope, "value");
      }
    }
    this.nodes.push({
      package: pkg,
      executable: plugin,
      name,
      namespace,
      fullName,
      parameters,
      parameterFiles,
      remaps,
      args: [],
      output: "log",
      role: "composable",
      container,
      plugin,
      ...(scope.delay > 0 ? { delay: scope.delay } : {}),
      file: el.file,
      line: el.line,
    });
  }

  /**
   * ros_args: -p/--param name:=value, -r/--remap from:=to, --params-file FILE (read for the node as rcl
   * would) and --log-level [logger:=]LEVEL (kept in the description); other rcl flags are refused by name.
   */
  private rosArgs(
    tokens: string[],
    el: XmlElement,
    fullName: string,
    out: {
      parameters: Record<string, ParameterValue>;
      files: string[];
      remaps: RemapRule[];
      logLevels: string[];
    },
  ): void {
    for (let i = 0; i < tokens.length; i++) {
      const flag = tokens[i];
      const value = tokens[i + 1];
      if (
        value === undefined ||
        !["-p", "--param", "-r", "--remap", "--params-file", "--log-level"].includes(flag)
      ) {
        throw new LaunchError(
          el.file,
          el.line,
          `ros_args: unsupported "${flag}"${value === undefined ? " (or its value is missing)" : ""}`,
          {
            hint: "supported: -p name:=value, -r from:=to, --params-file FILE, --log-level LEVEL",
          },
        );
      }
      i++;
      if (flag === "--params-file") {
        const path = this.path(el, value);
        Object.assign(
          out.parameters,
          this.paramsFromFile(el, path, this.readParamFile(el, path), fullName, ""),
        );
        out.files.push(path);
        continue;
      }
      if (flag === "--log-level") {
        out.logLevels.push(value);
        continue;
      }
      const k = value.indexOf(":=");
      if (k <= 0)
        throw new LaunchError(el.file, el.line, `ros_args: ${flag} expects name:=value, got "${value}"`);
      if (flag === "-p" || flag === "--param")
        out.parameters[value.slice(0, k)] = parameterFromString(value.slice(k + 2));
      else out.remaps.push(parseRemap(value));
    }
  }

  private executable(el: XmlElement, scope: Scope): void {
    const shell = this.boolAttr(el, scope, "shell") ?? false;
    // shell="true": sh gets the text as written (substituted); otherwise launch splits it into argv.
    const split = shell ? [this.required(el, scope, "cmd")] : this.commandAttr(el, scope, "cmd");
    if (split === undefined) throw new LaunchError(el.file, el.line, "<executable> needs a cmd= attribute");
    const cmd = split;
    const extra = shell ? this.attr(el, scope, "args") : this.commandAttr(el, scope, "args");
    if (extra !== undefined) {
      if (typeof extra === "string") cmd[0] = `${cmd[0]} ${extra}`;
      else cmd.push(...extra);
    }
    if (cmd.length === 0 || cmd[0].trim() === "")
      throw new LaunchError(el.file, el.line, "<executable cmd=...> is empty");
    const output = this.attr(el, scope, "output") ?? "log";
    if (!OUTPUTS.includes(output))
      throw new LaunchError(
        el.file,
        el.line,
        `<executable output="${output}">: expected one of ${OUTPUTS.join(", ")}`,
      );
    // The process sees the launch's environment changes (set_env, append_env, unset_env) and its own <env>.
    const env: Record<string, string> = {};
    const unsetEnv: string[] = [];
    for (const [k, v] of Object.entries(scope.env)) {
      if (v === this.baseEnv[k]) continue;
      if (v === undefined) unsetEnv.push(k);
      else env[k] = v;
    }
    for (const c of el.children) {
      this.check(c);
      if (!this.enabled(c, scope)) continue;
      env[this.required(c, scope, "name")] = this.required(c, scope, "value");
    }
    const cwd = this.attr(el, scope, "cwd");
    const respawn = this.boolAttr(el, scope, "respawn");
    const respawnDelay = this.floatAttr(el, scope, "respawn_delay");
    this.processAttrs(el, scope);
    this.attr(el, scope, "launch-prefix");
    const program = shell ? "sh" : cmd[0];
    this.processes.push({
      name: this.attr(el, scope, "name") ?? program.split("/").at(-1) ?? program,
      cmd,
      ...(cwd !== undefined ? { cwd } : {}),
      env,
      ...(unsetEnv.length ? { unsetEnv } : {}),
      ...(shell ? { shell } : {}),
      ...(respawn !== undefined ? { respawn } : {}),
      ...(respawnDelay !== undefined ? { respawnDelay } : {}),
      ...(scope.delay > 0 ? { delay: scope.delay } : {}),
      output,
      file: el.file,
      line: el.line,
    });
  }

  /** Fires pending <timer>s in time order in the top-level scope; their own timers join the queue. */
  runTimers(root: Scope): void {
    while (this.timers.length > 0) {
      let first = 0;
      for (let k = 1; k < this.timers.length; k++) if (this.timers[k].at < this.timers[first].at) first = k;
      const [timer] = this.timers.splice(first, 1);
      root.delay = timer.at;
      for (const c of timer.actions) this.action(c, root);
    }
    root.delay = 0;
  }

  undeclaredCliArgs(): string[] {
    return Object.keys(this.options.args ?? {}).filter((a) => !this.declared.has(a));
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
  const root = it.rootScope();
  it.runFile(path, root);
  it.runTimers(root);
  // ROS 2 sets undeclared name:=value arguments too (they are plain launch configurations); say so.
  for (const name of it.undeclaredCliArgs())
    it.log(`[WARN] [launch]: argument ${name} is not declared by any <arg> (it is still set, as in ROS 2)`);
  // launch_ros only warns about two nodes of one name (the graph then has both); running them here refuses.
  const seen = new Map<string, NodeDescription>();
  for (const n of it.nodes) {
    const prev = seen.get(n.fullName);
    if (prev)
      it.log(
        `[WARN] [launch_ros]: ${n.file}:${n.line}: two nodes are named ${n.fullName} (the other at ${prev.file}:${prev.line})`,
      );
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
