/** The launch XML tags Tether reads, with the attributes and children each takes (as launch_xml and launch_ros parse them). */
const ACTIONS = [
  "arg",
  "let",
  "node",
  "group",
  "include",
  "executable",
  "push-ros-namespace",
  "push_ros_namespace",
  "set_parameter",
  "set_parameters_from_file",
  "set_remap",
  "set_env",
  "unset_env",
  "append_env",
  "log",
  "timer",
  "node_container",
  "load_composable_node",
];
const CONDITION = ["if", "unless"];
const PROCESS_ATTRS = [
  "output",
  "launch-prefix",
  "respawn",
  "respawn_delay",
  "respawn_max_retries",
  "sigterm_timeout",
  "sigkill_timeout",
  "emulate_tty",
  "on_exit",
  "cwd",
  ...CONDITION,
];
const NODE_ATTRS = ["pkg", "exec", "name", "namespace", "args", "ros_args", "exec_name", ...PROCESS_ATTRS];

export const ALLOWED: Record<string, { attrs: string[]; children: string[] }> = {
  launch: { attrs: ["version"], children: ACTIONS },
  arg: { attrs: ["name", "default", "description", ...CONDITION], children: ["choice"] },
  choice: { attrs: ["value"], children: [] },
  let: { attrs: ["name", "value", ...CONDITION], children: [] },
  node: { attrs: NODE_ATTRS, children: ["param", "remap", "env"] },
  node_container: { attrs: NODE_ATTRS, children: ["param", "remap", "env", "composable_node"] },
  composable_node: {
    attrs: ["pkg", "plugin", "name", "namespace", ...CONDITION],
    children: ["param", "remap", "extra_arg"],
  },
  extra_arg: { attrs: ["name", "value"], children: [] },
  load_composable_node: { attrs: ["target", ...CONDITION], children: ["composable_node"] },
  param: {
    attrs: ["name", "value", "value-sep", "type", "from", "allow_substs", ...CONDITION],
    children: ["param"],
  },
  remap: { attrs: ["from", "to", ...CONDITION], children: [] },
  group: { attrs: ["scoped", "forwarding", ...CONDITION], children: [...ACTIONS, "keep"] },
  keep: { attrs: ["name", "value"], children: [] },
  "push-ros-namespace": { attrs: ["namespace", ...CONDITION], children: [] },
  push_ros_namespace: { attrs: ["namespace", ...CONDITION], children: [] },
  include: { attrs: ["file", ...CONDITION], children: ["arg"] },
  executable: { attrs: ["cmd", "args", "name", "shell", ...PROCESS_ATTRS], children: ["env"] },
  env: { attrs: ["name", "value", ...CONDITION], children: [] },
  set_parameter: { attrs: ["name", "value", ...CONDITION], children: [] },
  set_parameters_from_file: { attrs: ["filename", ...CONDITION], children: [] },
  set_remap: { attrs: ["from", "to", ...CONDITION], children: [] },
  set_env: { attrs: ["name", "value", ...CONDITION], children: [] },
  unset_env: { attrs: ["name", ...CONDITION], children: [] },
  append_env: { attrs: ["name", "value", "prepend", "separator", ...CONDITION], children: [] },
  log: { attrs: ["message", ...CONDITION], children: [] },
  timer: { attrs: ["period", "cancel_on_shutdown", ...CONDITION], children: ACTIONS },
};

export const OUTPUTS = ["screen", "log", "both", "own_log"];
export const INCLUDE_ARG_ATTRS = ["name", "value", ...CONDITION];
