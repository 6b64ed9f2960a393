/**
 * Import mapping files: which bag topic fields become the robot's signals (src/robot/signals.ts).
 * Every section is optional: without a mapping file, or for a section it leaves out, the robot's own
 * robot.yaml `ros:` section decides (joint_states_topic with joints by name, the command topic with
 * actuators in order, task topics with fields in order).
 *
 *   # import mapping, version 1
 *   joint_states:
 *     topic: /arm/joint_states            # sensor_msgs/msg/JointState
 *     joints: {shoulder_joint: j1}        # robot joint -> name in the log's name[] (default: same name)
 *   command:
 *     topic: /arm_controller/commands     # std_msgs/msg/Float64MultiArray, actuator units
 *     indices: {shoulder_effort: 1, elbow_effort: 0}   # actuator -> data[] index (default: actuator order)
 *   tasks:
 *     goal: {topic: /target, indices: {x: 0, y: 1}}    # Float64MultiArray task topics
 *   episode: {topic: /episode, path: data}  # optional: a change of this value starts a new episode
 *   signals:                                # any signal from any numeric field, by path (field-path.ts)
 *     task.goal.x: {topic: /target_pose, path: pose.position.x}
 *   align: {rate_hz: 50, max_stale_ms: 100, tolerance_ms: 2, stamp_source: receive}
 *
 * align.stamp_source "receive" (default) aligns by rosbag2's receive times; "header" aligns like the
 * recorder node's default: states by their header.stamp, every headerless message (commands, tasks,
 * episode marks) just after the latest state published before it (rosbag2's publish time, the DDS source
 * timestamp). A lock-step sim run imports exactly as the recorder wrote it, however fast it ran.
 *
 * A `signals` entry overrides what the sections above say for that signal.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError } from "../../core/errors.js";
import { zodToConfigError } from "../../robot/load.js";
import { signalLayout } from "../../robot/signals.js";
import { commandTopic, type RobotSpec } from "../../robot/spec.js";
import { parseFieldPath, FieldPathError, type PathSegment } from "./field-path.js";

const topic = z.string().regex(/^\/?[A-Za-z_~][A-Za-z0-9_/{}~]*$/, "must be a ROS 2 topic name");
const index = z.number().int().min(0);

export const ImportMappingSchema = z.strictObject({
  version: z.literal(1).default(1),
  joint_states: z
    .strictObject({ topic: topic.optional(), joints: z.record(z.string(), z.string()).default({}) })
    .optional(),
  command: z
    .strictObject({ topic: topic.optional(), indices: z.record(z.string(), index).optional() })
    .optional(),
  tasks: z
    .record(
      z.string(),
      z.strictObject({ topic: topic.optional(), indices: z.record(z.string(), index).optional() }),
    )
    .default({}),
  episode: z.strictObject({ topic, path: z.string().default("data") }).optional(),
  signals: z.record(z.string(), z.strictObject({ topic, path: z.string().min(1) })).default({}),
  align: z
    .strictObject({
      rate_hz: z.number().positive().optional(),
      max_stale_ms: z.number().positive().optional(),
      tolerance_ms: z.number().min(0).optional(),
      stamp_source: z.enum(["receive", "header"]).default("receive"),
    })
    .default({ stamp_source: "receive" }),
});
export type ImportMapping = z.infer<typeof ImportMappingSchema>;

/** One signal read from one field of one topic. */
export interface SignalSource {
  signal: string;
  signalIndex: number;
  topic: string;
  path: string;
  segments: PathSegment[];
  /** Where the mapping came from, for error messages: "<file>: <field>". */
  origin: { file: string; field: string };
  /** Empty velocity/effort arrays in JointState read as NaN rather than failing. */
  emptyAsNaN: boolean;
}

export interface ResolvedMapping {
  file: string;
  stateTopic: string;
  commandTopic: string;
  episode?: { topic: string; path: string; segments: PathSegment[]; origin: { file: string; field: string } };
  sources: SignalSource[];
  rateHz: number;
  maxStaleMs: number;
  toleranceMs?: number;
  stampSource: "receive" | "header";
}

export function loadImportMapping(file: string): ImportMapping {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(file, "(yaml)", (err as Error).message.split("\n")[0], { cause: err });
  }
  const parsed = ImportMappingSchema.safeParse(raw ?? {});
  if (!parsed.success) throw zodToConfigError(file, parsed.error);
  return parsed.data;
}

/** Combines the mapping with the robot's defaults into one source per signal. */
export function resolveMapping(
  spec: RobotSpec,
  mapping: ImportMapping,
  file: string,
  specFile = "robot.yaml",
): ResolvedMapping {
  const layout = signalLayout(spec);
  const bySignal = new Map<string, SignalSource>();
  const add = (
    signal: string,
    topicName: string,
    path: string,
    origin: { file: string; field: string },
    emptyAsNaN = false,
  ) => {
    const signalIndex = layout.index.get(signal);
    if (signalIndex === undefined) {
      throw new ConfigError(origin.file, origin.field, `"${signal}" is not a signal of robot ${spec.name}`, {
        hint: `signals: ${layout.names.join(", ")}`,
      });
    }
    let segments: PathSegment[];
    try {
      segments = parseFieldPath(path);
    } catch (err) {
      throw new ConfigError(origin.file, origin.field, (err as FieldPathError).message);
    }
    bySignal.set(signal, { signal, signalIndex, topic: topicName, path, segments, origin, emptyAsNaN });
  };

  const stateTopic = mapping.joint_states?.topic ?? spec.ros.joint_states_topic;
  const jointNames = new Set(spec.joints.map((j) => j.name));
  for (const j of Object.keys(mapping.joint_states?.joints ?? {})) {
    if (!jointNames.has(j))
      throw new ConfigError(file, `joint_states.joints.${j}`, `robot ${spec.name} has no joint "${j}"`, {
        hint: `joints: ${[...jointNames].join(", ")}`,
      });
  }
  for (const j of spec.joints) {
    const logged = mapping.joint_states?.joints[j.name] ?? j.name;
    const origin = {
      file: mapping.joint_states?.joints[j.name] ? file : specFile,
      field: mapping.joint_states?.joints[j.name] ? `joint_states.joints.${j.name}` : "joints",
    };
    for (const kind of ["position", "velocity", "effort"] as const)
      add(`${kind}.${j.name}`, stateTopic, `${kind}[name=${logged}]`, origin, kind !== "position");
  }

  const cmdTopic = mapping.command?.topic ?? commandTopic(spec);
  const actNames = new Set(spec.actuators.map((a) => a.name));
  for (const a of Object.keys(mapping.command?.indices ?? {})) {
    if (!actNames.has(a))
      throw new ConfigError(file, `command.indices.${a}`, `robot ${spec.name} has no actuator "${a}"`, {
        hint: `actuators: ${[...actNames].join(", ")}`,
      });
  }
  spec.actuators.forEach((a, i) => {
    const explicit = mapping.command?.indices?.[a.name];
    if (mapping.command?.indices && explicit === undefined) {
      throw new ConfigError(
        file,
        `command.indices.${a.name}`,
        `no data[] index for actuator "${a.name}": list every actuator or none`,
      );
    }
    add(`action.${a.name}`, cmdTopic, `data[${explicit ?? i}]`, {
      file: explicit === undefined ? specFile : file,
      field: explicit === undefined ? "ros.command_topic" : `command.indices.${a.name}`,
    });
  });

  const taskNames = new Set(spec.ros.task_topics.map((t) => t.name));
  for (const t of Object.keys(mapping.tasks)) {
    if (!taskNames.has(t))
      throw new ConfigError(file, `tasks.${t}`, `robot ${spec.name} has no task topic "${t}"`, {
        hint: `tasks: ${[...taskNames].join(", ") || "(none)"}`,
      });
  }
  for (const t of spec.ros.task_topics) {
    const m = mapping.tasks[t.name];
    t.fields.forEach((f, i) => {
      const explicit = m?.indices?.[f];
      if (m?.indices && explicit === undefined)
        throw new ConfigError(
          file,
          `tasks.${t.name}.indices.${f}`,
          `no data[] index for field "${f}": list every field or none`,
        );
      add(`task.${t.name}.${f}`, m?.topic ?? t.topic, `data[${explicit ?? i}]`, {
        file: m ? file : specFile,
        field: m ? `tasks.${t.name}` : `ros.task_topics.${t.name}`,
      });
    });
  }

  for (const [signal, s] of Object.entries(mapping.signals))
    add(signal, s.topic, s.path, { file, field: `signals.${signal}` });

  let episode: ResolvedMapping["episode"];
  const episodeTopic = mapping.episode?.topic ?? spec.ros.episode_topic;
  if (episodeTopic) {
    const path = mapping.episode?.path ?? "data";
    const origin = {
      file: mapping.episode ? file : specFile,
      field: mapping.episode ? "episode" : "ros.episode_topic",
    };
    let segments: PathSegment[];
    try {
      segments = parseFieldPath(path);
    } catch (err) {
      throw new ConfigError(origin.file, origin.field, (err as FieldPathError).message);
    }
    episode = { topic: episodeTopic, path, segments, origin };
  }

  return {
    file,
    stateTopic,
    commandTopic: cmdTopic,
    episode,
    sources: [...bySignal.values()],
    rateHz: mapping.align.rate_hz ?? spec.control.rate_hz,
    maxStaleMs: mapping.align.max_stale_ms ?? spec.control.max_state_age_ms,
    toleranceMs: mapping.align.tolerance_ms,
    stampSource: mapping.align.stamp_source,
  };
}
