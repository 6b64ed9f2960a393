/**
 * The `run_log` node (exec "run_log"): records a run's topics into an MCAP run log (ROS 2 CDR, openable in
 * Foxglove, importable with `tether import`). Log time is the node's ROS time (sim time when use_sim_time).
 * Parameters:
 *   file    output .mcap (required; must not exist)
 *   robot   robot name: records its joint_states topic, command topic, task topics and episode topic
 *   topics  extra "topic:type" entries, e.g. "/policy/action:std_msgs/msg/Float64MultiArray"
 * /diagnostics (diagnostic_msgs/msg/DiagnosticArray) and /clock are always recorded.
 */
import { ConfigError } from "../../core/errors.js";
import { RunLogWriter, type RunLogSummary } from "../../data/runlog/run-log-writer.js";
import { nanosFromTime } from "../../msgs/time.js";
import { loadRobot } from "../../robot/load.js";
import { commandTopic } from "../../robot/spec.js";
import type { Node, NodeFactory } from "../../ros/node.js";
import { DEFAULT_EPISODE_TOPIC } from "../sim-robot/sim-robot-node.js";

/** Subscriptions match reliable and best-effort publishers, and queue bursts. */
const RECORD_QOS = { depth: 1000, reliability: "best_effort", durability: "volatile" } as const;

export interface RunLogRecorder {
  topics: Record<string, string>;
  close(): Promise<RunLogSummary>;
}

export function runLogTopics(robot: string | undefined, extra: string[]): Record<string, string> {
  const topics: Record<string, string> = {
    "/diagnostics": "diagnostic_msgs/msg/DiagnosticArray",
    "/clock": "rosgraph_msgs/msg/Clock",
  };
  if (robot) {
    const { spec } = loadRobot(robot);
    topics[spec.ros.joint_states_topic] = "sensor_msgs/msg/JointState";
    topics[commandTopic(spec)] = "std_msgs/msg/Float64MultiArray";
    for (const t of spec.ros.task_topics) topics[t.topic] = t.type;
    if (spec.ros.episode_topic) topics[spec.ros.episode_topic] = "std_msgs/msg/Int32";
  }
  for (const entry of extra) {
    const i = entry.lastIndexOf(":");
    if (i <= 0) throw new ConfigError("(parameter topics)", entry, 'expected "topic:package/msg/Type"');
    topics[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return topics;
}

/** The topics sim_robot latches for `robot` (task topics, the episode topic): logged as latched. */
export function latchedTopics(robot: string | undefined): string[] {
  if (!robot) return [];
  const { spec } = loadRobot(robot);
  return [...spec.ros.task_topics.map((t) => t.topic), spec.ros.episode_topic ?? DEFAULT_EPISODE_TOPIC];
}

/** Starts recording `topics` (name -> type) of `node`'s graph into `file`. */
export async function startRunLog(
  node: Node,
  file: string,
  topics: Record<string, string>,
  metadata: Record<string, string> = {},
  latched: readonly string[] = [],
): Promise<RunLogRecorder> {
  const log = await RunLogWriter.create(file, {
    metadata: { node: node.fullyQualifiedName(), ...metadata },
    latchedTopics: latched,
  });
  let closed = false;
  for (const [topic, type] of Object.entries(topics)) {
    node.createSubscription(type, topic, { qos: RECORD_QOS }, (msg) => {
      if (!closed) log.write(topic, type, nanosFromTime(node.now()), msg);
    });
  }
  return {
    topics,
    close: () => {
      closed = true;
      return log.close();
    },
  };
}

export const runLogNode: NodeFactory = async (node, args) => {
  const file = String(node.declareParameter("file", args[0] ?? ""));
  if (!file)
    throw new ConfigError("(parameter file)", "file", "no output file given", {
      hint: "set the run_log node's file parameter",
    });
  const robot = String(node.declareParameter("robot", ""));
  const extra = String(node.declareParameter("topics", ""))
    .split(/[\s,]+/)
    .filter((t) => t.length > 0);
  const recorder = await startRunLog(
    node,
    file,
    runLogTopics(robot || undefined, extra),
    robot ? { robot } : {},
    latchedTopics(robot || undefined),
  );
  node.getLogger().info(`run_log: recording ${Object.keys(recorder.topics).join(", ")} to ${file}`);
  return {
    close: async () => {
      const summary = await recorder.close();
      node.getLogger().info(`run_log: ${summary.messages} messages in ${file}`);
    },
  };
};
