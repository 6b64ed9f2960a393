/**
 * The `recorder` node: subscribes to the topics the robot spec names and writes a dataset.
 *
 * Parameters:
 *   robot              robot name or folder (required)
 *   out                new dataset folder (required)
 *   behavior           behavior label stored with the data (default "recorded")
 *   stamp_source       "header": states use header.stamp, headerless messages (commands, tasks, episode
 *                      marks) are attributed to just after the latest state (default; exact under sim time
 *                      and immune to executor delays); "receive": every message uses the node clock at
 *                      receipt, like rosbag2's receive time
 *   episode_topic      std_msgs/msg/Int32 topic whose value changes mark episodes (default: the spec's, or none)
 *   reset_jump         joint position jump that marks a reset between consecutive states (0 = off; default 0.5)
 *   max_state_age_ms   staleness limit (default: the spec's control.max_state_age_ms)
 *   reorder_window_ms  with stamp_source header: messages are held this long (in publication time) and handled
 *                      in publication order across topics (DDS orders only within a topic; a retransmitted
 *                      /episode mark or command would otherwise count for a later state). Default 500; 0 = off
 *   flush_interval_ms  dataset flush period (default 500): a kill -9 loses at most the steps since the last one
 *   qos_depth          subscription queue depth (default 1000: recording must not drop)
 *   report_period_s    how often to warn about topics that have not arrived (default 5)
 */
import type { MessageInfo, Node, NodeFactory, NodeHandle } from "../../ros/node.js";
import { nanosFromTime } from "../../msgs/time.js";
import { ConfigError } from "../../core/errors.js";
import { loadRobot } from "../../robot/load.js";
import { DatasetWriter, layoutFromSpec } from "../../data/dataset-writer.js";
import { PublishOrderBuffer } from "./publish-order.js";
import { RecorderCore, type RecorderStats } from "./recorder-core.js";

export interface RecorderHandle extends NodeHandle {
  core: RecorderCore;
  /** Messages received per subscribed topic (before alignment). */
  received(): number;
  close(): Promise<void>;
  /** Final statistics, available after close(). */
  finalStats(): RecorderStats | undefined;
}

export const createRecorderNode = (async (node: Node): Promise<RecorderHandle> => {
  const robotName = node.declareParameter("robot", "");
  const out = node.declareParameter("out", "");
  const where = `node ${node.fullyQualifiedName()} parameters`;
  if (!robotName)
    throw new ConfigError(where, "robot", "is required (a robot name under robots/ or a folder)");
  if (!out) throw new ConfigError(where, "out", "is required (a new dataset folder)");
  const behavior = node.declareParameter("behavior", "recorded");
  const stampSource = node.declareParameter("stamp_source", "header");
  if (stampSource !== "header" && stampSource !== "receive") {
    throw new ConfigError(where, "stamp_source", `unknown value "${stampSource}"`, {
      expected: "header | receive",
    });
  }
  const { spec } = loadRobot(robotName);
  const episodeTopic = node.declareParameter("episode_topic", spec.ros.episode_topic ?? "");
  const resetJump = node.declareParameter("reset_jump", 0.5, { double: true });
  const maxStateAgeMs = node.declareParameter("max_state_age_ms", spec.control.max_state_age_ms, {
    double: true,
  });
  const reorderWindowMs = node.declareParameter("reorder_window_ms", 500, { double: true });
  if (!(reorderWindowMs >= 0))
    throw new ConfigError(where, "reorder_window_ms", `must be >= 0, got ${reorderWindowMs}`);
  const flushIntervalMs = node.declareParameter("flush_interval_ms", 500);
  const depth = node.declareParameter("qos_depth", 1000);
  const reportPeriodS = node.declareParameter("report_period_s", 5, { double: true });
  const log = node.getLogger();

  const writer = await DatasetWriter.create(out, {
    ...layoutFromSpec(spec),
    source: "recorder",
    behavior,
    flushIntervalMs,
  });
  const core = new RecorderCore(spec, writer, {
    resetJump,
    maxStateAgeMs,
    episodeTopic: episodeTopic || undefined,
    warn: (m) => log.warn(m),
  });
  const clockNs = (): bigint => nanosFromTime(node.now());
  const headerless = (): bigint => (stampSource === "header" ? core.headerlessStampNs() : clockNs());
  const qos = { qos: { depth, reliability: "reliable" as const } };
  let received = 0;
  // Receive stamps are the clock at handling, so only header stamps may wait for publication order.
  const order = new PublishOrderBuffer(
    stampSource === "header" ? BigInt(Math.round(reorderWindowMs * 1e6)) : 0n,
  );
  const inOrder = (info: MessageInfo | undefined, handle: () => void): void => {
    received++;
    order.push(info?.sourceTimestampNs, handle);
  };

  node.createSubscription("sensor_msgs/msg/JointState", core.topics.state, qos, (msg, info) =>
    inOrder(info, () => {
      const stamp = stampSource === "header" ? nanosFromTime(msg.header.stamp) : clockNs();
      core.jointState(stamp, msg.name, msg.position, msg.velocity, msg.effort);
    }),
  );
  node.createSubscription("std_msgs/msg/Float64MultiArray", core.topics.command, qos, (msg, info) =>
    inOrder(info, () => core.command(headerless(), msg.data)),
  );
  spec.ros.task_topics.forEach((t, i) => {
    node.createSubscription(
      "std_msgs/msg/Float64MultiArray",
      t.topic,
      { qos: { depth, reliability: "reliable", durability: "transient_local" } },
      (msg, info) => inOrder(info, () => core.taskValues(i, headerless(), msg.data)),
    );
  });
  if (episodeTopic) {
    node.createSubscription("std_msgs/msg/Int32", episodeTopic, qos, (msg, info) =>
      inOrder(info, () => core.episodeValue(headerless(), msg.data)),
    );
  }
  const reported = new Set<string>();
  const timer = node.createTimer(reportPeriodS * 1000, () => {
    for (const t of core.stats().missing_topics) {
      if (reported.has(t)) continue;
      reported.add(t);
      log.warn(
        `no messages on ${t} after ${reportPeriodS} s: transitions need it (check the topic name and that its publisher runs)`,
      );
    }
  });
  log.info(
    `recording robot ${spec.name} to ${out} (${core.topics.state}, ${core.topics.command}${spec.ros.task_topics.map((t) => `, ${t.topic}`).join("")})`,
  );

  let final: RecorderStats | undefined;
  return {
    core,
    received: () => received,
    finalStats: () => final,
    async close() {
      if (final) return;
      timer.cancel();
      order.flush();
      final = core.finish();
      const manifest = await writer.close();
      const s = final;
      const problems = [
        ...Object.entries(s.out_of_order)
          .filter(([, n]) => n > 0)
          .map(([t, n]) => `${n} out-of-order on ${t}`),
        ...Object.entries(s.malformed).map(([t, n]) => `${n} malformed on ${t}`),
        ...s.missing_topics.map((t) => `no messages on ${t}`),
        ...(s.dropped_non_finite ? [`${s.dropped_non_finite} non-finite transitions dropped`] : []),
      ];
      // What ended each episode, so an unexpected count says why (a gap, an episode mark, a reset).
      const ends = `episode ends: ${s.time_limits} time limits, ${s.terminals} terminals, ${s.episode_marks} episode marks, ${s.gaps} gaps, ${s.resets_detected} resets`;
      log.info(
        `wrote ${manifest.counts.episodes} episodes, ${manifest.counts.transitions} transitions to ${out} (${ends})${problems.length ? `; ${problems.join("; ")}` : ""}`,
      );
    },
  };
}) satisfies NodeFactory;
