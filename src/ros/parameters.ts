/**
 * Node parameters with ROS 2's rules: declare before use, overrides (launch, YAML, -p) win over declared
 * defaults, a parameter keeps the type it was declared with, read-only ones cannot be set.
 * Also the ROS 2 parameter YAML format (`<node or pattern>: {ros__parameters: {...}}`).
 */
import { parse as parseYaml, YAMLParseError } from "yaml";
import { ConfigError } from "../core/errors.js";
import { NodeError, type ParameterDescriptor, type ParameterValue } from "./node.js";

export type ParameterKind = "bool" | "number" | "string" | "bool[]" | "number[]" | "string[]" | "[]";

export function parameterKind(value: unknown): ParameterKind | undefined {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isFinite(value) ? "number" : undefined;
  if (typeof value === "string") return "string";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const first = parameterKind(value[0]);
    if (first === undefined || first.endsWith("]")) return undefined;
    for (const v of value) if (parameterKind(v) !== first) return undefined;
    return `${first}[]` as ParameterKind;
  }
  return undefined;
}

function compatible(declared: ParameterKind, actual: ParameterKind): boolean {
  if (declared === actual) return true;
  if (declared === "[]" || actual === "[]") return declared.endsWith("]") && actual.endsWith("]");
  return false;
}

interface Entry {
  value: ParameterValue;
  kind: ParameterKind;
  descriptor: ParameterDescriptor;
}

export class ParameterStore {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners: ((name: string, value: ParameterValue) => void)[] = [];

  constructor(
    private readonly nodeName: string,
    private readonly overrides: Readonly<Record<string, ParameterValue>> = {},
  ) {
    for (const [name, value] of Object.entries(overrides)) {
      if (parameterKind(value) === undefined) {
        throw new NodeError(
          nodeName,
          `parameter override "${name}" has an unsupported value ${JSON.stringify(value)}`,
          {
            hint: "parameters are bool, number, string, or homogeneous arrays of those",
          },
        );
      }
    }
  }

  declare<V extends ParameterValue>(name: string, defaultValue: V, descriptor: ParameterDescriptor = {}): V {
    if (this.entries.has(name)) throw new NodeError(this.nodeName, `parameter "${name}" is already declared`);
    const kind = parameterKind(defaultValue);
    if (kind === undefined)
      throw new NodeError(
        this.nodeName,
        `parameter "${name}" default ${JSON.stringify(defaultValue)} is not a valid parameter value`,
      );
    let value: ParameterValue = defaultValue;
    let finalKind = kind;
    if (Object.hasOwn(this.overrides, name)) {
      const override = this.overrides[name];
      const okind = parameterKind(override) as ParameterKind;
      if (!compatible(kind, okind)) {
        throw new NodeError(
          this.nodeName,
          `parameter "${name}" is declared as ${kind} but was given ${okind} ${JSON.stringify(override)}`,
        );
      }
      value = override;
      if (kind === "[]") finalKind = okind;
    }
    this.entries.set(name, { value, kind: finalKind, descriptor });
    return value as V;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get<V extends ParameterValue = ParameterValue>(name: string): V {
    const e = this.entries.get(name);
    if (!e) {
      throw new NodeError(this.nodeName, `parameter "${name}" is not declared`, {
        hint: `declared: ${[...this.entries.keys()].join(", ") || "(none)"}`,
      });
    }
    return e.value as V;
  }

  set(name: string, value: ParameterValue): void {
    const e = this.entries.get(name);
    if (!e) throw new NodeError(this.nodeName, `cannot set parameter "${name}": it is not declared`);
    if (e.descriptor.readOnly === true)
      throw new NodeError(this.nodeName, `parameter "${name}" is read-only`);
    const kind = parameterKind(value);
    if (kind === undefined || !compatible(e.kind, kind)) {
      throw new NodeError(
        this.nodeName,
        `parameter "${name}" is ${e.kind}, cannot set it to ${kind ?? "an invalid value"} ${JSON.stringify(value)}`,
      );
    }
    e.value = value;
    if (e.kind === "[]") e.kind = kind;
    for (const l of this.listeners) l(name, value);
  }

  all(): Record<string, ParameterValue> {
    return Object.fromEntries([...this.entries].map(([k, e]) => [k, e.value]));
  }

  onChange(listener: (name: string, value: ParameterValue) => void): void {
    this.listeners.push(listener);
  }
}

function patternToRegex(pattern: string): RegExp {
  const p = pattern.startsWith("/") ? pattern : `/${pattern}`;
  const escaped = p
    .split("/")
    .map((tok) =>
      tok === "**" ? "\u0001" : tok === "*" ? "[^/]+" : tok.replace(/[.+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  // "/**" matches any number of tokens (including the node name itself).
  return new RegExp(`^${escaped.replaceAll("/\u0001", "(?:/[^/]+)*")}$`);
}

function flatten(prefix: string, value: unknown, out: Record<string, ParameterValue>, file: string): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out, file);
    return;
  }
  if (parameterKind(value) === undefined) {
    throw new ConfigError(file, prefix, `unsupported parameter value ${JSON.stringify(value)}`, {
      expected: "bool, number, string, or a homogeneous array of those",
    });
  }
  out[prefix] = value as ParameterValue;
}

/**
 * The parameters a ROS 2 params YAML gives to the node `fullName` ("/ns/node"): sections keyed by the
 * node name, its fully qualified name, or a wildcard pattern ("/**", "/ns/*"), merged in file order.
 */
export function parametersFromYaml(
  text: string,
  file: string,
  fullName: string,
): Record<string, ParameterValue> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    const line = cause instanceof YAMLParseError ? ` (line ${cause.linePos?.[0].line ?? "?"})` : "";
    throw new ConfigError(file, "(yaml)", `cannot parse YAML${line}: ${(cause as Error).message}`, { cause });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(file, "(root)", "a parameters file maps node names to {ros__parameters: ...}");
  }
  const out: Record<string, ParameterValue> = {};
  const nodeName = fullName.slice(fullName.lastIndexOf("/") + 1);
  for (const [key, section] of Object.entries(doc as Record<string, unknown>)) {
    const matches = key === nodeName || patternToRegex(key).test(fullName);
    if (!matches) continue;
    if (section === null || typeof section !== "object" || !("ros__parameters" in section)) {
      throw new ConfigError(file, key, "each node section needs a ros__parameters mapping", {
        expected: `${key}: {ros__parameters: {...}}`,
      });
    }
    flatten("", (section as { ros__parameters: unknown }).ros__parameters, out, file);
  }
  return out;
}

/** Parses a parameter value given as text (launch `value=`, `-p name:=value`) the way ROS 2 does (YAML). */
export function parameterFromString(text: string): ParameterValue {
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch {
    return text;
  }
  if (v === null || v === undefined) return text;
  return parameterKind(v) === undefined ? text : (v as ParameterValue);
}
