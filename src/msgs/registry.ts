/**
 * The message registry: ROS 2 type names ("sensor_msgs/msg/JointState") -> definitions from
 * @foxglove/rosmsg-msgs-common (ros2 jazzy set), CDR (de)serializers from @foxglove/rosmsg2-serialization,
 * and the full concatenated ros2msg definition text that rosbag2 and MCAP store as schema data.
 * Custom types can be added from .msg text with registerMessageDefinition().
 */
import type { MessageDefinition, MessageDefinitionField } from "@foxglove/message-definition";
import { parse as parseMsg } from "@foxglove/rosmsg";
import commonDefinitions from "@foxglove/rosmsg-msgs-common";
import { MessageReader, MessageWriter } from "@foxglove/rosmsg2-serialization";
import { TetherError } from "../core/errors.js";

/** An unknown or malformed message type name. */
export class MessageTypeError extends TetherError {
  constructor(
    readonly typeName: string,
    detail: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super("MESSAGE_TYPE", `message type "${typeName}": ${detail}`, { typeName }, options);
  }
}

/** Definitions keyed by the short name foxglove uses ("std_msgs/Header"). */
const definitions = new Map<string, MessageDefinition>();
for (const [name, def] of Object.entries(commonDefinitions.ros2jazzy as Record<string, MessageDefinition>)) {
  definitions.set(name, def);
}

const TYPE_NAME = /^([A-Za-z][A-Za-z0-9_]*)\/(?:(msg)\/)?([A-Za-z][A-Za-z0-9_]*)$/;

/** "pkg/Name" or "pkg/msg/Name" -> "pkg/msg/Name". */
export function normalizeTypeName(typeName: string): string {
  const m = TYPE_NAME.exec(typeName);
  if (!m) throw new MessageTypeError(typeName, 'expected "package/msg/Name"');
  return `${m[1]}/msg/${m[3]}`;
}

const SERVICE_TYPE_NAME = /^([A-Za-z][A-Za-z0-9_]*)\/(?:srv\/)?([A-Za-z][A-Za-z0-9_]*)$/;

/** "std_srvs/Trigger" or "std_srvs/srv/Trigger" -> "std_srvs/srv/Trigger". */
export function normalizeServiceTypeName(typeName: string): string {
  const m = SERVICE_TYPE_NAME.exec(typeName);
  if (!m) throw new MessageTypeError(typeName, 'expected a service type "package/srv/Name"');
  return `${m[1]}/srv/${m[2]}`;
}

function shortName(typeName: string): string {
  const m = TYPE_NAME.exec(typeName);
  if (!m) throw new MessageTypeError(typeName, 'expected "package/msg/Name"');
  return `${m[1]}/${m[3]}`;
}

function lookup(typeName: string): MessageDefinition {
  const def = definitions.get(shortName(typeName));
  if (!def) {
    throw new MessageTypeError(typeName, "not in the message registry", {
      hint: "common ROS 2 types (std_msgs, sensor_msgs, geometry_msgs, diagnostic_msgs, ...) are built in; register others with registerMessageDefinition()",
    });
  }
  return def;
}

export function isKnownMessageType(typeName: string): boolean {
  const m = TYPE_NAME.exec(typeName);
  return m !== null && definitions.has(`${m[1]}/${m[3]}`);
}

export function knownMessageTypes(): string[] {
  return [...definitions.keys()].map(normalizeTypeName).sort();
}

/** Field types that foxglove models as primitives but ROS 2 defines as messages. */
const BUILTIN_TIME_TYPES: Record<string, string> = {
  time: "builtin_interfaces/Time",
  duration: "builtin_interfaces/Duration",
};

function fieldDependency(field: MessageDefinitionField): string | undefined {
  if (field.isConstant === true) return undefined;
  if (field.isComplex === true) return field.type;
  return BUILTIN_TIME_TYPES[field.type];
}

/** The root definition first, then every dependency once, depth-first in order of first use. */
export function messageDefinitions(typeName: string): MessageDefinition[] {
  const root = lookup(typeName);
  const out: MessageDefinition[] = [root];
  const seen = new Set<string>([shortName(typeName)]);
  const visit = (def: MessageDefinition): void => {
    for (const field of def.definitions) {
      const dep = fieldDependency(field);
      if (dep === undefined || seen.has(dep)) continue;
      seen.add(dep);
      const depDef = lookup(dep);
      out.push(depDef);
      visit(depDef);
    }
  };
  visit(root);
  return out;
}

function fieldLine(field: MessageDefinitionField): string {
  let type = BUILTIN_TIME_TYPES[field.type] ?? field.type;
  if (field.upperBound !== undefined && field.type === "string") type += `<=${field.upperBound}`;
  if (field.isArray === true) {
    if (field.arrayLength !== undefined) type += `[${field.arrayLength}]`;
    else if (field.arrayUpperBound !== undefined) type += `[<=${field.arrayUpperBound}]`;
    else type += "[]";
  }
  if (field.isConstant === true) return `${type} ${field.name}=${field.valueText ?? String(field.value)}`;
  if (field.defaultValue !== undefined) return `${type} ${field.name} ${JSON.stringify(field.defaultValue)}`;
  return `${type} ${field.name}`;
}

const DELIMITER = "=".repeat(80);

/**
 * The complete ros2msg definition text (rosbag2 `message_definition_encoding.md`, MCAP `ros2msg` schema):
 * the type's own fields, then each dependency after a line of 80 "=" and "MSG: pkg/Name" (the form
 * rosbag2's MCAP plugin writes and @foxglove/rosmsg parses; "MSG: pkg/msg/Name" is accepted on input).
 */
export function messageDefinitionText(typeName: string): string {
  const defs = messageDefinitions(typeName);
  const blocks = defs.map((def, i) => {
    const body = def.definitions.map(fieldLine).join("\n");
    return i === 0 ? body : `${DELIMITER}\nMSG: ${def.name ?? ""}\n${body}`;
  });
  return blocks.join("\n") + "\n";
}

/**
 * Adds a type (and the types its text defines after MSG: delimiters) from ros2msg text, e.g. a custom
 * message from a bag's metadata. Re-registering a built-in type with a different definition is an error.
 */
export function registerMessageDefinition(typeName: string, text: string): void {
  let parsed: MessageDefinition[];
  try {
    parsed = parseMsg(text.replace(/^MSG: ([A-Za-z0-9_]+)\/msg\//gm, "MSG: $1/"), { ros2: true });
  } catch (cause) {
    throw new MessageTypeError(typeName, `cannot parse its definition: ${(cause as Error).message}`, {
      cause,
    });
  }
  const [root, ...deps] = parsed;
  const rootName = shortName(typeName);
  definitions.set(rootName, { ...root, name: rootName });
  for (const dep of deps)
    if (dep.name !== undefined && !definitions.has(dep.name)) definitions.set(dep.name, dep);
  readers.delete(rootName);
  writers.delete(rootName);
}

const readers = new Map<string, MessageReader>();
const writers = new Map<string, MessageWriter>();

/** CDR-encodes a message (with the 4-byte encapsulation header, as rosbag2 stores it). */
export function serializeMessage(typeName: string, message: unknown): Uint8Array {
  const key = shortName(typeName);
  let writer = writers.get(key);
  if (!writer) {
    writer = new MessageWriter(messageDefinitions(typeName));
    writers.set(key, writer);
  }
  return writer.writeMessage(message);
}

/** Decodes CDR bytes into a plain object shaped like rclnodejs's messages (times as {sec, nanosec}). */
export function deserializeMessage<T = Record<string, unknown>>(typeName: string, data: ArrayBufferView): T {
  const key = shortName(typeName);
  let reader = readers.get(key);
  if (!reader) {
    reader = new MessageReader(messageDefinitions(typeName));
    readers.set(key, reader);
  }
  return reader.readMessage<T>(data);
}
