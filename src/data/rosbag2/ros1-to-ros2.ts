/**
 * ROS 1 messages onto ROS 2 types, for replaying ROS 1 bags: "pkg/Name" becomes "pkg/msg/Name" when ROS 2
 * defines that type and every ROS 2 field has a ROS 1 field of the same name and kind (the standard mapping
 * of ros1_bridge for common_interfaces). ROS 1 fields ROS 2 dropped are left out (Header.seq), `time` and
 * `duration` {sec, nsec} become {sec, nanosec}. Anything else has no standard mapping and is refused with
 * the first field that differs.
 */
import type { MessageDefinition, MessageDefinitionField } from "@foxglove/message-definition";
import { shortTypeName } from "./definitions.js";

export type Ros1Conversion =
  { ok: true; ros2Type: string; convert: (message: unknown) => unknown } | { ok: false; reason: string };

export interface Ros2Types {
  isKnown(type: string): boolean;
  /** Root first, then nested types (names "pkg/Name" or "pkg/msg/Name"). */
  definitions(type: string): MessageDefinition[];
}

type Convert = (value: unknown) => unknown;

const TIME_TYPES = new Set(["time", "duration", "builtin_interfaces/Time", "builtin_interfaces/Duration"]);

function toRos2Time(value: unknown): unknown {
  const t = value as { sec: number; nsec?: number; nanosec?: number };
  return { sec: t.sec, nanosec: t.nsec ?? t.nanosec ?? 0 };
}

function findDef(defs: MessageDefinition[], type: string): MessageDefinition | undefined {
  const key = shortTypeName(type);
  return defs.find((d) => d.name !== undefined && shortTypeName(d.name) === key);
}

function fieldConverter(
  path: string,
  f2: MessageDefinitionField,
  f1: MessageDefinitionField,
  defs1: MessageDefinition[],
  defs2: MessageDefinition[],
): Convert {
  if (Boolean(f1.isArray) !== Boolean(f2.isArray))
    throw new Error(
      `${path} is ${f2.isArray ? "" : "not "}an array in ROS 2 but ${f1.isArray ? "" : "not "}in ROS 1`,
    );
  let one: Convert;
  if (TIME_TYPES.has(f2.type)) {
    if (!TIME_TYPES.has(f1.type)) throw new Error(`${path} is ${f2.type} in ROS 2 but ${f1.type} in ROS 1`);
    one = toRos2Time;
  } else if (f2.isComplex === true) {
    if (f1.isComplex !== true || shortTypeName(f1.type) !== shortTypeName(f2.type))
      throw new Error(`${path} is ${f2.type} in ROS 2 but ${f1.type} in ROS 1`);
    one = structConverter(path, f2.type, defs1, defs2);
  } else {
    if (f1.isComplex === true) throw new Error(`${path} is ${f2.type} in ROS 2 but ${f1.type} in ROS 1`);
    one = (v) => v; // primitives keep their value (ROS 1 char/byte are ROS 2 uint8/int8)
  }
  const primitive = !TIME_TYPES.has(f2.type) && f2.isComplex !== true;
  if (!f2.isArray || primitive) return one;
  return (v) => Array.from(v as unknown[], (x) => one(x));
}

function structConverter(
  path: string,
  type: string,
  defs1: MessageDefinition[],
  defs2: MessageDefinition[],
  root1?: MessageDefinition,
  root2?: MessageDefinition,
): Convert {
  const d1 = root1 ?? findDef(defs1, type);
  const d2 = root2 ?? findDef(defs2, type);
  if (!d1 || !d2) throw new Error(`${path || "the message"}: no definition of ${type}`);
  const parts: [string, Convert][] = [];
  for (const f2 of d2.definitions) {
    if (f2.isConstant === true) continue;
    const f1 = d1.definitions.find((f) => f.name === f2.name && f.isConstant !== true);
    const at = path ? `${path}.${f2.name}` : f2.name;
    if (!f1) throw new Error(`field ${at} of ROS 2's ${type} is not in the ROS 1 message`);
    parts.push([f2.name, fieldConverter(at, f2, f1, defs1, defs2)]);
  }
  return (value) => {
    const v = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [name, convert] of parts) out[name] = convert(v[name]);
    return out;
  };
}

/** The ROS 2 type and converter for a ROS 1 type with its parsed definitions (root first), or why not. */
export function ros1ToRos2(
  ros1Type: string,
  ros1Definitions: MessageDefinition[],
  ros2: Ros2Types,
): Ros1Conversion {
  const parts = ros1Type.split("/");
  if (parts.length !== 2) return { ok: false, reason: `${ros1Type} is not a ROS 1 type name (pkg/Name)` };
  const ros2Type = `${parts[0]}/msg/${parts[1]}`;
  if (!ros2.isKnown(ros2Type)) return { ok: false, reason: `ROS 2 has no standard ${ros2Type}` };
  try {
    const defs2 = ros2.definitions(ros2Type);
    const convert = structConverter("", ros2Type, ros1Definitions, defs2, ros1Definitions[0], defs2[0]);
    return { ok: true, ros2Type, convert };
  } catch (err) {
    return { ok: false, reason: `no standard mapping onto ${ros2Type}: ${(err as Error).message}` };
  }
}
