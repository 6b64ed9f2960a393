/**
 * The node executables of package "tether": what `<node pkg="tether" exec="..."/>` runs in-process.
 * Each entry loads its module lazily, so launching one node does not load every room.
 * To add a node: one line here, `exec_name: async () => (await import("./<folder>/<file>.js")).factory`.
 */
import type { NodeFactory } from "../ros/node.js";

export const NODE_REGISTRY: Readonly<Record<string, () => Promise<NodeFactory>>> = {
  sim_robot: async () => (await import("./sim-robot/sim-robot-node.js")).simRobotNode,
  behavior: async () => (await import("./behavior/behavior-node.js")).behaviorNode,
  replay: async () => (await import("./replay/replay-node.js")).replayNode,
  run_log: async () => (await import("./run-log/run-log-node.js")).runLogNode,
  policy: async () => (await import("./policy/policy-node.js")).policyNode,
  recorder: async () => (await import("./recorder/recorder-node.js")).createRecorderNode,
  finetune: async () => (await import("./finetune/finetune-node.js")).finetuneNode,
};
