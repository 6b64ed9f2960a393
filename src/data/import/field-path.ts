/**
 * Field paths into decoded ROS 2 messages, as written in import mapping files:
 *   data[0]                       element 0 of an array field
 *   position[name=shoulder_joint] the element of `position` at the index where the sibling array `name`
 *                                 holds "shoulder_joint" (JointState's parallel arrays, matched by NAME)
 *   pose.position.x               nested fields
 * Paths are checked against the topic's message definition before any message is read, so a mapping that
 * names a missing field fails at once, naming the field.
 */
import type { MessageDefinition, MessageDefinitionField } from "@foxglove/message-definition";

export type PathSegment = { field: string; index?: number; select?: { key: string; value: string } };

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\]|\[([A-Za-z_][A-Za-z0-9_]*)=([^\]]+)\])?$/;
const NUMERIC = new Set([
  "bool",
  "byte",
  "char",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "float32",
  "float64",
]);

/** A path that cannot be parsed or does not fit the message definition. `detail` says why. */
export class FieldPathError extends Error {}

export function parseFieldPath(path: string): PathSegment[] {
  const parts = path
    .trim()
    .replace(/^msg\./, "")
    .split(".");
  return parts.map((p) => {
    const m = SEGMENT.exec(p);
    if (!m)
      throw new FieldPathError(
        `cannot parse "${p}" in "${path}" (expected field, field[3] or field[name=value])`,
      );
    return {
      field: m[1],
      index: m[2] === undefined ? undefined : Number(m[2]),
      select: m[3] ? { key: m[3], value: m[4].trim() } : undefined,
    };
  });
}

/** builtin_interfaces/Time and Duration, which foxglove models as primitives {sec, nanosec}. */
const TIME: MessageDefinition = { definitions: [] };
const shortType = (t: string): string => t.replace("/msg/", "/");

function fieldsOf(def: MessageDefinition): MessageDefinitionField[] {
  return def.definitions.filter((f) => f.isConstant !== true);
}

/** Checks a path against the definitions (root first); throws FieldPathError naming the bad segment. */
export function checkFieldPath(
  segments: PathSegment[],
  definitions: MessageDefinition[],
  typeName: string,
): void {
  let def: MessageDefinition | undefined = definitions[0];
  // forEach with early return per segment; TIME marks a time/duration field
  let where = typeName;
  segments.forEach((seg, i) => {
    if (def === TIME) {
      if (
        (seg.field === "sec" || seg.field === "nanosec") &&
        i === segments.length - 1 &&
        seg.index === undefined &&
        !seg.select
      )
        return;
      throw new FieldPathError(`${where} is a time, it has no field "${seg.field}" (fields: sec, nanosec)`);
    }
    if (!def) throw new FieldPathError(`"${where}" is not a message, it has no field "${seg.field}"`);
    const fields = fieldsOf(def);
    const field = fields.find((f) => f.name === seg.field);
    if (!field)
      throw new FieldPathError(
        `${where} has no field "${seg.field}" (fields: ${fields.map((f) => f.name).join(", ")})`,
      );
    const last = i === segments.length - 1;
    if (seg.index !== undefined || seg.select) {
      if (!field.isArray)
        throw new FieldPathError(`${where}.${seg.field} is not an array, it cannot be indexed`);
      if (seg.index !== undefined && field.arrayLength !== undefined && seg.index >= field.arrayLength) {
        throw new FieldPathError(
          `${where}.${seg.field} has ${field.arrayLength} elements, index ${seg.index} is out of range`,
        );
      }
      if (seg.select) {
        const key = fields.find((f) => f.name === seg.select!.key);
        if (!key || !key.isArray || key.type !== "string") {
          throw new FieldPathError(
            `${where} has no string array "${seg.select.key}" to select ${seg.field}[${seg.select.key}=${seg.select.value}] by`,
          );
        }
      }
    } else if (field.isArray) {
      throw new FieldPathError(
        `${where}.${seg.field} is an array: pick one element with [index] or [key=value]`,
      );
    }
    if (last) {
      if (field.isComplex)
        throw new FieldPathError(
          `${where}.${seg.field} is a ${field.type} message, not a number: add the field to read`,
        );
      if (!NUMERIC.has(field.type))
        throw new FieldPathError(`${where}.${seg.field} is of type ${field.type}, not a number`);
      def = undefined;
    } else {
      if ((field.type === "time" || field.type === "duration") && !field.isArray) {
        def = TIME;
        where = `${where}.${seg.field}`;
        return;
      }
      if (!field.isComplex)
        throw new FieldPathError(
          `${where}.${seg.field} is a ${field.type}, it has no field "${segments[i + 1].field}"`,
        );
      const wanted = shortType(field.type);
      def = definitions.find((d) => d.name !== undefined && shortType(d.name) === wanted);
      where = `${where}.${seg.field}`;
    }
  });
}

/**
 * Compiles a path to an accessor. Missing elements (an empty effort[], a name not in name[]) throw
 * FieldPathError, unless `emptyAsNaN` and the array is empty (JointState often leaves velocity/effort empty).
 */
export function compileFieldPath(
  segments: PathSegment[],
  options: { emptyAsNaN?: boolean } = {},
): (msg: unknown) => number {
  return (msg: unknown): number => {
    let cur: unknown = msg;
    for (const seg of segments) {
      const obj = cur as Record<string, unknown>;
      cur = obj[seg.field];
      if (seg.index !== undefined || seg.select) {
        const arr = cur as ArrayLike<unknown>;
        let i = seg.index ?? -1;
        if (seg.select) {
          const keys = obj[seg.select.key] as ArrayLike<string>;
          i = Array.prototype.indexOf.call(keys, seg.select.value);
          if (i < 0)
            throw new FieldPathError(
              `${seg.select.key}[] has no "${seg.select.value}" (has: ${Array.from(keys).join(", ") || "nothing"})`,
            );
        }
        if (i >= arr.length) {
          if (arr.length === 0 && options.emptyAsNaN) return NaN;
          throw new FieldPathError(`${seg.field}[] has ${arr.length} elements, index ${i} is out of range`);
        }
        cur = arr[i];
      }
    }
    if (typeof cur === "number") return cur;
    if (typeof cur === "bigint") return Number(cur);
    if (typeof cur === "boolean") return cur ? 1 : 0;
    throw new FieldPathError(`value is ${typeof cur}, not a number`);
  };
}
