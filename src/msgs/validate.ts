/**
 * Message shape checks, compiled once per type from the registry's definitions. Publishers call them on
 * every publish (the embedded bus passes objects by reference, without serializing), so they are closures
 * that allocate nothing on the happy path. Missing fields are allowed (they take the ROS default, as
 * rclnodejs does); wrong types, wrong fixed lengths and unknown field names are errors.
 */
import type { MessageDefinition, MessageDefinitionField } from "@foxglove/message-definition";
import { TetherError } from "../core/errors.js";
import { messageDefinitions, normalizeTypeName } from "./registry.js";

/** A message does not match its type's definition. */
export class MessageShapeError extends TetherError {
  constructor(
    readonly typeName: string,
    readonly where: string,
    detail: string,
  ) {
    super("MESSAGE_SHAPE", `${where}: message of type ${typeName}: ${detail}`, { typeName, where });
  }
}

/**
 * Check failures are "<path>\0<detail>" (path may be empty); joinPath prepends a field or index so the
 * final message reads "header.stamp.nanosec: expected ...".
 */
function joinPath(head: string, r: string): string {
  const sep = r.startsWith("\0") || r.startsWith("[") ? "" : ".";
  return `${head}${sep}${r}`;
}

function fail(detail: string): string {
  return `\0${detail}`;
}

/** Returned by a check when the value is valid but some fields are missing (defaults must be filled). */
const INCOMPLETE = 1;
type CheckResult = undefined | typeof INCOMPLETE | string;
type Check = (value: unknown) => CheckResult;

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  char: [0, 255],
  byte: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}

function primitiveCheck(type: string): Check | undefined {
  if (type === "bool")
    return (v) => (typeof v === "boolean" ? undefined : fail(`expected bool, got ${describe(v)}`));
  if (type === "string" || type === "wstring") {
    return (v) => (typeof v === "string" ? undefined : fail(`expected string, got ${describe(v)}`));
  }
  if (type === "float32" || type === "float64") {
    return (v) => (typeof v === "number" ? undefined : fail(`expected ${type}, got ${describe(v)}`));
  }
  if (type === "int64" || type === "uint64") {
    return (v) =>
      typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v))
        ? undefined
        : fail(`expected ${type}, got ${describe(v)}`);
  }
  const range = INT_RANGES[type];
  if (range) {
    const [lo, hi] = range;
    return (v) =>
      typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi
        ? undefined
        : fail(
            `expected ${type} (integer in [${lo}, ${hi}]), got ${typeof v === "number" ? v : describe(v)}`,
          );
  }
  return undefined;
}

const timeCheck: Check = (v) => {
  if (typeof v !== "object" || v === null) return fail(`expected {sec, nanosec}, got ${describe(v)}`);
  const t = v as { sec?: unknown; nanosec?: unknown };
  if (typeof t.sec !== "number" || !Number.isInteger(t.sec))
    return `sec\0expected int32, got ${describe(t.sec)}`;
  if (typeof t.nanosec !== "number" || !Number.isInteger(t.nanosec) || t.nanosec < 0 || t.nanosec >= 1e9) {
    return `nanosec\0expected an integer in [0, 1e9), got ${String(t.nanosec)}`;
  }
  for (const k in t) if (k !== "sec" && k !== "nanosec") return fail(`unknown field "${k}"`);
  return undefined;
};

class Compiler {
  private readonly byName = new Map<string, MessageDefinition>();
  private readonly compiled = new Map<string, Check>();

  constructor(defs: MessageDefinition[]) {
    for (const d of defs) if (d.name !== undefined) this.byName.set(d.name, d);
  }

  message(def: MessageDefinition): Check {
    const key = def.name ?? "";
    const done = this.compiled.get(key);
    if (done) return done;
    // Placeholder for recursive types (none in the common set, but cheap to allow).
    let self: Check = () => undefined;
    this.compiled.set(key, (v) => self(v));
    const fields = def.definitions.filter((f) => f.isConstant !== true);
    const names = new Set(fields.map((f) => f.name));
    const checks = fields.map((f) => ({ name: f.name, check: this.field(f) }));
    self = (v) => {
      if (typeof v !== "object" || v === null || Array.isArray(v))
        return fail(`expected a message object, got ${describe(v)}`);
      const obj = v as Record<string, unknown>;
      let incomplete = false;
      for (let i = 0; i < checks.length; i++) {
        const value = obj[checks[i].name];
        if (value === undefined) {
          incomplete = true;
          continue;
        }
        const r = checks[i].check(value);
        if (r === INCOMPLETE) incomplete = true;
        else if (r !== undefined) return joinPath(checks[i].name, r);
      }
      for (const k in obj)
        if (!names.has(k)) return fail(`unknown field "${k}" (fields: ${[...names].join(", ")})`);
      return incomplete ? INCOMPLETE : undefined;
    };
    this.compiled.set(key, self);
    return self;
  }

  private element(f: MessageDefinitionField): Check {
    if (f.type === "time" || f.type === "duration") return timeCheck;
    const prim = primitiveCheck(f.type);
    if (prim) return prim;
    const def = this.byName.get(f.type);
    if (!def) return () => `no definition for ${f.type}`;
    return this.message(def);
  }

  private field(f: MessageDefinitionField): Check {
    const element = this.element(f);
    if (f.isArray !== true) return element;
    const numeric = f.type !== "string" && f.type !== "wstring" && f.type !== "bool" && f.isComplex !== true;
    const fixed = f.arrayLength;
    const bound = f.arrayUpperBound;
    return (v) => {
      let length: number;
      if (Array.isArray(v)) length = v.length;
      else if (numeric && ArrayBuffer.isView(v) && !(v instanceof DataView))
        length = (v as unknown as ArrayLike<number>).length;
      else return fail(`expected an array, got ${describe(v)}`);
      if (fixed !== undefined && length !== fixed) return fail(`expected ${fixed} elements, got ${length}`);
      if (bound !== undefined && length > bound)
        return fail(`expected at most ${bound} elements, got ${length}`);
      if (!Array.isArray(v)) return undefined;
      let incomplete = false;
      for (let i = 0; i < length; i++) {
        const r = element(v[i]);
        if (r === INCOMPLETE) incomplete = true;
        else if (r !== undefined) return joinPath(`[${i}]`, r);
      }
      return incomplete ? INCOMPLETE : undefined;
    };
  }
}

export interface MessageValidator {
  readonly typeName: string;
  /** Throws MessageShapeError; returns true when fields are missing (use completeMessage before delivering). */
  check(message: unknown, where: string): boolean;
}

const validators = new Map<string, MessageValidator>();

/** The compiled validator of a type (cached). */
export function messageValidator(typeName: string): MessageValidator {
  const name = normalizeTypeName(typeName);
  const cached = validators.get(name);
  if (cached) return cached;
  const defs = messageDefinitions(name);
  const root = new Compiler(defs).message(defs[0]);
  const validator: MessageValidator = {
    typeName: name,
    check(message, where) {
      const r = root(message);
      if (r === undefined) return false;
      if (r === INCOMPLETE) return true;
      const [path, detail] = r.split("\0");
      throw new MessageShapeError(name, where, path === "" ? detail : `${path}: ${detail}`);
    },
  };
  validators.set(name, validator);
  return validator;
}

function defaultFor(f: MessageDefinitionField, byName: Map<string, MessageDefinition>): unknown {
  if (f.isArray === true) {
    if (f.arrayLength === undefined) return [];
    return Array.from({ length: f.arrayLength }, () => defaultFor({ ...f, isArray: false }, byName));
  }
  if (f.defaultValue !== undefined) return f.defaultValue;
  if (f.type === "time" || f.type === "duration") return { sec: 0, nanosec: 0 };
  if (f.type === "bool") return false;
  if (f.type === "string" || f.type === "wstring") return "";
  if (f.type === "int64" || f.type === "uint64") return 0;
  const def = byName.get(f.type);
  if (def) return fill({}, def, byName);
  return 0;
}

function fill(
  obj: Record<string, unknown>,
  def: MessageDefinition,
  byName: Map<string, MessageDefinition>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  for (const f of def.definitions) {
    if (f.isConstant === true) continue;
    const v = out[f.name];
    if (v === undefined) out[f.name] = defaultFor(f, byName);
    else if (f.isComplex === true && !f.isArray)
      out[f.name] = fill(v as Record<string, unknown>, byName.get(f.type) ?? def, byName);
    else if (f.isComplex === true && Array.isArray(v)) {
      const elDef = byName.get(f.type);
      if (elDef) out[f.name] = v.map((e) => fill(e as Record<string, unknown>, elDef, byName));
    }
  }
  return out;
}

/** A copy of a (valid) message with every missing field set to its ROS default, recursively. */
export function completeMessage<T>(typeName: string, message: T): T {
  const name = normalizeTypeName(typeName);
  let entry = fillTables.get(name);
  if (!entry) {
    const defs = messageDefinitions(name);
    entry = { root: defs[0], byName: new Map(defs.map((d) => [d.name ?? "", d])) };
    fillTables.set(name, entry);
  }
  return fill(message as Record<string, unknown>, entry.root, entry.byName) as T;
}

const fillTables = new Map<string, { root: MessageDefinition; byName: Map<string, MessageDefinition> }>();

/** An all-defaults message of a type (empty arrays, zero numbers, empty strings, zero times). */
export function defaultMessage<T = Record<string, unknown>>(typeName: string): T {
  return completeMessage(typeName, {} as T);
}
