/**
 * Parameter values written in launch XML (`<param value=...>`, `<set_parameter>`) typed as ROS 2's launch
 * types them: PyYAML's safe_load, which follows YAML 1.1 (yes/on are booleans, 010 is octal, 1:30 is
 * base 60, 1e3 without a dot is text), then launch's rule that a value is a scalar or a list of one type.
 * The `yaml` package parses the structure; plain scalars are resolved with PyYAML's own patterns.
 * test/launch/launch-values.test.ts checks this against PyYAML on Debian's python3.
 */
import { isMap, isScalar, isSeq, parseDocument, type Scalar } from "yaml";
import type { ParameterValue } from "../ros/node.js";

export class LaunchValueError extends Error {}

// PyYAML's implicit resolvers (yaml/resolver.py), verbatim in meaning.
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;

type Plain = boolean | number | string | null | { timestamp: string };

function base60(text: string): number {
  let value = 0;
  for (const part of text.split(":")) value = value * 60 + Number(part);
  return value;
}

/** PyYAML's construct_yaml_int / construct_yaml_float / construct_yaml_bool on a plain scalar. */
function resolvePlain(source: string): Plain {
  if (BOOL.test(source)) return ["yes", "true", "on"].includes(source.toLowerCase());
  if (INT.test(source)) {
    let t = source.replace(/_/g, "");
    let sign = 1;
    if (t[0] === "-" || t[0] === "+") {
      if (t[0] === "-") sign = -1;
      t = t.slice(1);
    }
    if (t === "0") return 0;
    if (t.startsWith("0b")) return sign * parseInt(t.slice(2), 2);
    if (t.startsWith("0x")) return sign * parseInt(t.slice(2), 16);
    if (t.startsWith("0")) return sign * parseInt(t, 8);
    if (t.includes(":")) return sign * base60(t);
    return sign * Number(t);
  }
  if (FLOAT.test(source)) {
    let t = source.replace(/_/g, "").toLowerCase();
    let sign = 1;
    if (t[0] === "-" || t[0] === "+") {
      if (t[0] === "-") sign = -1;
      t = t.slice(1);
    }
    if (t === ".inf") return sign * Infinity;
    if (t === ".nan") return NaN;
    if (t.includes(":")) return sign * base60(t);
    return sign * Number(t);
  }
  if (NULL.test(source)) return null;
  if (TIMESTAMP.test(source)) return { timestamp: source };
  return source;
}

function scalarValue(node: Scalar): Plain {
  return node.type === "PLAIN" ? resolvePlain(String(node.source ?? node.value)) : String(node.value);
}

/** The YAML type of a scalar: JavaScript numbers cannot tell 1 from 1.0, launch's list check can. */
function scalarKind(node: Scalar): string {
  if (node.type !== "PLAIN") return "str";
  const s = String(node.source ?? node.value);
  if (BOOL.test(s)) return "bool";
  if (INT.test(s)) return "int";
  if (FLOAT.test(s)) return "float";
  if (NULL.test(s)) return "null";
  if (TIMESTAMP.test(s)) return "timestamp";
  return "str";
}

/**
 * The value launch gives a parameter written as `text`. Throws LaunchValueError for what launch refuses:
 * null, mappings, timestamps, lists mixing types.
 */
export function launchParameterValue(text: string): ParameterValue {
  // launch forwards an empty value as the empty string; YAML errors leave the text as it is.
  if (text === "") return "";
  // "? x" opens an explicit mapping key in YAML; PyYAML reads a mapping, which launch refuses.
  if (/^\s*\?(\s|$)/.test(text))
    throw new LaunchValueError(`"${text}" is a YAML mapping, not a parameter value`);
  const doc = parseDocument(text, { schema: "failsafe", version: "1.1" });
  if (doc.errors.length > 0) return text;
  const root = doc.contents;
  if (isScalar(root)) {
    const v = scalarValue(root);
    if (v === null || typeof v === "object")
      throw new LaunchValueError(`"${text}" is YAML ${scalarKind(root)}, not a parameter value`);
    return v;
  }
  if (isSeq(root)) {
    const kinds = new Set<string>();
    const items = root.items.map((item) => {
      if (!isScalar(item)) throw new LaunchValueError(`"${text}": list items must be scalars`);
      const v = scalarValue(item);
      if (v === null || typeof v === "object")
        throw new LaunchValueError(`"${text}": a list item is YAML ${scalarKind(item)}`);
      kinds.add(scalarKind(item));
      return v;
    });
    // launch accepts a list of one type: [1, 2.5] is refused as launch refuses it.
    if (kinds.size > 1) throw new LaunchValueError(`"${text}": list items mix ${[...kinds].join(" and ")}`);
    return items as ParameterValue;
  }
  // Only comments or spaces: YAML null, which launch refuses.
  if (root === null) throw new LaunchValueError(`"${text}" is empty YAML (null), not a parameter value`);
  // PyYAML cannot read a mapping with an empty first key (": x"); launch then keeps the text.
  if (isMap(root) && root.items.length > 0) {
    const key = root.items[0].key;
    if (key === null || (isScalar(key) && String(key.source ?? key.value) === "")) return text;
  }
  throw new LaunchValueError(`"${text}" is a YAML mapping, not a parameter value`);
}
