/**
 * `tether node run <exec> [--ros-args] -p name:=value -r from:=to --params-file f.yaml`: one node as a
 * one-node launch description. These are the arguments `ros2 run` passes through and `ros2 launch` builds
 * for a <node> (its <param>s arrive as a --params-file), so the ament wrappers of `tether ros install` end here.
 */
import { readFileSync } from "node:fs";
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
import type { LaunchDescription } from "./description.js";
import { EMBEDDED_PACKAGE } from "./runner.js";

const ROS_FLAGS = ["-p", "--param", "-r", "--remap", "--params-file", "--log-level"];
const SUPPORTED = "supported: -p name:=value, -r from:=to, --params-file <yaml>, --log-level [logger:=]LEVEL";

function readParamsFile(file: string, fullName: string): Record<string, ParameterValue> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new LaunchError("(command line)", undefined, `--params-file ${file}: cannot read it`, { cause });
  }
  try {
    return parametersFromYaml(text, file, fullName);
  } catch (cause) {
    if (cause instanceof TetherError)
      throw new LaunchError("(command line)", undefined, `--params-file: ${cause.message}`, { cause });
    throw cause;
  }
}

export function nodeDescriptionFromArgs(executable: string, tokens: readonly string[]): LaunchDescription {
  const where = "(command line)";
  const parameters: Record<string, ParameterValue> = {};
  const remaps: RemapRule[] = [];
  const args: string[] = [];
  const paramFiles: string[] = [];
  const logLevels: string[] = [];
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
    if (!inRosArgs && !ROS_FLAGS.includes(t)) {
      args.push(t);
      continue;
    }
    if (!ROS_FLAGS.includes(t)) {
      throw new LaunchError(where, undefined, `unsupported ROS argument "${t}"`, { hint: SUPPORTED });
    }
    const value = tokens[i + 1];
    if (t === "--params-file") {
      if (value === undefined) throw new LaunchError(where, undefined, "--params-file expects a file");
      paramFiles.push(value);
      i++;
      continue;
    }
    if (t === "--log-level") {
      if (value === undefined) throw new LaunchError(where, undefined, "--log-level expects a level");
      logLevels.push(value);
      i++;
      continue;
    }
    const k = value?.indexOf(":=") ?? -1;
    if (value === undefined || k <= 0)
      throw new LaunchError(where, undefined, `${t} expects name:=value, got "${value ?? ""}"`);
    i++;
    if (t === "-p" || t === "--param")
      parameters[value.slice(0, k)] = parameterFromString(value.slice(k + 2));
    else {
      const rule = parseRemap(value);
      if (rule.from === "__ns") namespace = normalizeNamespace(rule.to);
      else if (rule.from === "__node" || rule.from === "__name") name = validateNodeName(rule.to);
      else remaps.push(rule);
    }
  }
  const fullName = joinNamespace(namespace, name);
  // Like rcl: parameter files in order, then -p overrides on top.
  const fromFiles: Record<string, ParameterValue> = {};
  for (const file of paramFiles) Object.assign(fromFiles, readParamsFile(file, fullName));
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
        fullName,
        parameters: { ...fromFiles, ...parameters },
        parameterFiles: paramFiles,
        ...(logLevels.length ? { logLevels } : {}),
        remaps,
        args,
        output: "screen",
        file: where,
        line: 0,
      },
    ],
  };
}
