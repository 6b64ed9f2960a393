/** `tether node run <exec> [--ros-args] -p name:=value -r from:=to`: one node as a one-node launch description. */
import { LaunchError } from "../core/errors.js";
import type { ParameterValue } from "../ros/node.js";
import {
  joinNamespace,
  normalizeNamespace,
  parseRemap,
  validateNodeName,
  type RemapRule,
} from "../ros/names.js";
import { parameterFromString } from "../ros/parameters.js";
import type { LaunchDescription } from "./description.js";
import { EMBEDDED_PACKAGE } from "./runner.js";

export function nodeDescriptionFromArgs(executable: string, tokens: readonly string[]): LaunchDescription {
  const where = "(command line)";
  const parameters: Record<string, ParameterValue> = {};
  const remaps: RemapRule[] = [];
  const args: string[] = [];
  let name = executable;
  let namespace = "/";
  let inRosArgs = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === "--ros-args") {
      inRosArgs = true;
      continue;
    }
    if (t === "--") {
      inRosArgs = false;
      continue;
    }
    if (!inRosArgs && t !== "-p" && t !== "-r" && t !== "--param" && t !== "--remap") {
      args.push(t);
      continue;
    }
    if (t !== "-p" && t !== "-r" && t !== "--param" && t !== "--remap") {
      throw new LaunchError(where, undefined, `unsupported ROS argument "${t}"`, {
        hint: "supported: -p name:=value, -r from:=to",
      });
    }
    const value = tokens[i + 1];
    const k = value?.indexOf(":=") ?? -1;
    if (value === undefined || k <= 0)
      throw new LaunchError(where, undefined, `${t} expects name:=value, got "${value ?? ""}"`);
    i++;
    if (t === "-p" || t === "--param")
      parameters[value.slice(0, k)] = parameterFromString(value.slice(k + 2));
    else if (t === "-r" || t === "--remap") {
      const rule = parseRemap(value);
      if (rule.from === "__ns") namespace = normalizeNamespace(rule.to);
      else if (rule.from === "__node" || rule.from === "__name") name = validateNodeName(rule.to);
      else remaps.push(rule);
    } else
      throw new LaunchError(where, undefined, `unsupported ROS argument "${t}"`, {
        hint: "supported: -p name:=value, -r from:=to",
      });
  }
  return {
    file: where,
    arguments: [],
    files: [],
    processes: [],
    nodes: [
      {
        package: EMBEDDED_PACKAGE,
        executable,
        name,
        namespace,
        fullName: joinNamespace(namespace, name),
        parameters,
        parameterFiles: [],
        remaps,
        args,
        output: "screen",
        file: where,
        line: 0,
      },
    ],
  };
}
