/** The resolved launch description: what `tether launch --print` shows and what the runner starts. */
import type { ParameterValue } from "../ros/node.js";
import type { RemapRule } from "../ros/names.js";

export interface LaunchArgument {
  name: string;
  value: string;
  default?: string;
  description?: string;
  choices?: string[];
  file: string;
  line: number;
}

export interface NodeDescription {
  package: string;
  executable: string;
  /** The node name (name=, else the executable). */
  name: string;
  namespace: string;
  /** namespace + "/" + name. */
  fullName: string;
  parameters: Record<string, ParameterValue>;
  /** Parameter files loaded with <param from=...>, in order. */
  parameterFiles: string[];
  remaps: RemapRule[];
  /** args= split like a shell would. */
  args: string[];
  output: string;
  /** node_container (a process hosting composable nodes) or composable_node (loaded into one). */
  role?: "container" | "composable";
  /** composable_node: the container's full name and the component's plugin class. */
  container?: string;
  plugin?: string;
  /** exec_name: the process label in logs. */
  execName?: string;
  launchPrefix?: string;
  /** ros_args --log-level values ("debug", "my_node:=warn"). */
  logLevels?: string[];
  respawn?: boolean;
  respawnDelay?: number;
  /** Seconds after launch (inside <timer period=...>). */
  delay?: number;
  file: string;
  line: number;
}

export interface ProcessDescription {
  name: string;
  cmd: string[];
  cwd?: string;
  env: Record<string, string>;
  /** Variables unset for it (unset_env). */
  unsetEnv?: string[];
  /** Run through /bin/sh -c (shell="true"). */
  shell?: boolean;
  respawn?: boolean;
  respawnDelay?: number;
  delay?: number;
  output: string;
  file: string;
  line: number;
}

export interface LaunchDescription {
  file: string;
  arguments: LaunchArgument[];
  nodes: NodeDescription[];
  processes: ProcessDescription[];
  /** Files read (the root and every include), in order. */
  files: string[];
}
