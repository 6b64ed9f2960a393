/** A robot summarised for people (`tether robot show`) and tools (`--json`). */
import { compileTask } from "./task-functions.js";
import type { LoadedRobot } from "./load.js";
import { commandTopic } from "./spec.js";

export interface RobotDescription {
  name: string;
  description: string;
  spec_file: string;
  model_file: string;
  control: { rate_hz: number; frame_skip: number; max_episode_steps: number; episode_seconds: number };
  joints: { name: string; actuated: boolean; description?: string; safety?: Record<string, unknown> }[];
  actuators: { index: number; name: string; joint: string; range: [number, number] }[];
  observation: { index: number; name: string; expr: string }[];
  topics: {
    joint_states: string;
    command: string;
    controller: string;
    tasks: { name: string; topic: string; fields: string[] }[];
  };
  signals: string[];
  reward: string;
  termination: { name: string; expr: string }[];
  reference_returns?: { random: number; expert: number };
  training: Record<string, Record<string, unknown>>;
  benchmark: { dataset_episodes: number; hidden: number[]; steps: number };
}

export function describeRobot(robot: LoadedRobot): RobotDescription {
  const { spec } = robot;
  const task = compileTask(spec);
  const actuated = new Set(spec.actuators.map((a) => a.joint));
  return {
    name: spec.name,
    description: spec.description,
    spec_file: robot.specFile,
    model_file: robot.modelFile,
    control: {
      rate_hz: spec.control.rate_hz,
      frame_skip: spec.control.frame_skip,
      max_episode_steps: spec.control.max_episode_steps,
      episode_seconds: spec.control.max_episode_steps / spec.control.rate_hz,
    },
    joints: spec.joints.map((j) => ({
      name: j.name,
      actuated: actuated.has(j.name),
      description: j.description,
      safety: spec.safety.joints[j.name],
    })),
    actuators: spec.actuators.map((a, index) => ({ index, name: a.name, joint: a.joint, range: a.range })),
    observation: spec.observation.map((o, index) => ({ index, name: o.name, expr: o.expr })),
    topics: {
      joint_states: spec.ros.joint_states_topic,
      command: commandTopic(spec),
      controller: spec.ros.controller,
      tasks: spec.ros.task_topics.map((t) => ({ name: t.name, topic: t.topic, fields: t.fields })),
    },
    signals: task.layout.names,
    reward: spec.reward.expr,
    termination: spec.termination.map((t) => ({ name: t.name, expr: t.expr })),
    reference_returns: spec.reference_returns,
    training: spec.training,
    benchmark: spec.benchmark,
  };
}

export function formatRobot(d: RobotDescription): string {
  const lines: string[] = [];
  lines.push(`${d.name}: ${d.description}`);
  lines.push(`  spec ${d.spec_file}`, `  model ${d.model_file}`);
  lines.push(
    `  control: ${d.control.rate_hz} Hz, frame_skip ${d.control.frame_skip}, ${d.control.max_episode_steps} steps (${d.control.episode_seconds} s)`,
  );
  lines.push("joints (/joint_states names):");
  for (const j of d.joints) {
    const limits = j.safety ? ` safety ${JSON.stringify(j.safety)}` : "";
    lines.push(
      `  ${j.name.padEnd(16)} ${j.actuated ? "actuated" : "passive "}${limits}${j.description ? `  # ${j.description}` : ""}`,
    );
  }
  lines.push("action layout (normalized [-1, 1] -> actuator units):");
  for (const a of d.actuators)
    lines.push(
      `  [${a.index}] ${a.name.padEnd(18)} joint ${a.joint.padEnd(16)} range [${a.range.join(", ")}]`,
    );
  lines.push("observation layout:");
  for (const o of d.observation) lines.push(`  [${o.index}] ${o.name.padEnd(18)} = ${o.expr}`);
  lines.push("topics:");
  lines.push(`  state    ${d.topics.joint_states} (sensor_msgs/msg/JointState)`);
  lines.push(
    `  command  ${d.topics.command} (std_msgs/msg/Float64MultiArray, controller ${d.topics.controller})`,
  );
  for (const t of d.topics.tasks)
    lines.push(`  task     ${t.topic} (std_msgs/msg/Float64MultiArray: ${t.fields.join(", ")})`);
  lines.push(`reward: ${d.reward.replace(/\s+/g, " ")}`);
  for (const t of d.termination) lines.push(`termination ${t.name}: ${t.expr}`);
  lines.push(
    d.reference_returns
      ? `reference returns: random ${d.reference_returns.random}, expert ${d.reference_returns.expert}`
      : "reference returns: not calibrated (run `tether robot calibrate`)",
  );
  for (const [algo, fields] of Object.entries(d.training))
    lines.push(`training ${algo}: ${JSON.stringify(fields)} (over the paper defaults)`);
  const b = d.benchmark;
  lines.push(
    `bench quality: ${b.dataset_episodes} episodes per dataset, hidden ${b.hidden.join("x")}, ${b.steps} updates`,
  );
  return lines.join("\n") + "\n";
}
