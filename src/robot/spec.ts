/**
 * The robot spec (`robots/<name>/robot.yaml`): everything Tether knows about a robot, validated with zod.
 *
 * Observations, rewards and terminations are expressions (src/core/expr.ts) over named *signals*, so the
 * same spec scores a simulated step and a step rebuilt from a historical log that carries no reward:
 *   position.<joint>  velocity.<joint>  effort.<joint>   (from /joint_states, matched by joint name)
 *   action.<actuator>                                    (the command sent, in actuator units)
 *   task.<task>.<field>                                  (task topics, e.g. a goal position)
 */
import { z } from "zod";

const finiteNumber = z.number().refine(Number.isFinite, "must be a finite number");
const range = z
  .tuple([finiteNumber, finiteNumber])
  .refine(([lo, hi]) => lo <= hi, "range must be [low, high] with low <= high");
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a snake_case identifier");
const topicName = z.string().regex(/^\/?[A-Za-z_~][A-Za-z0-9_/{}~]*$/, "must be a ROS 2 topic name");

export const JointSpecSchema = z.strictObject({
  /** Name on /joint_states and in the MJCF. */
  name: identifier,
  /** Actuated joints appear in `actuators`; passive ones (a pushed box, a free root) only here. */
  description: z.string().optional(),
});

export const ActuatorSpecSchema = z.strictObject({
  name: identifier,
  joint: identifier,
  /** Command range in actuator units (N·m, N): [-1, 1] policy actions are scaled to it. */
  range,
});

export const TaskTopicSchema = z.strictObject({
  name: identifier,
  topic: topicName,
  /** Task values travel as std_msgs/msg/Float64MultiArray, one entry per field. */
  type: z.literal("std_msgs/msg/Float64MultiArray").default("std_msgs/msg/Float64MultiArray"),
  fields: z.array(identifier).min(1),
});

export const ObservationItemSchema = z.strictObject({
  name: identifier,
  expr: z.string().min(1),
});

export const TerminationSchema = z.strictObject({
  name: identifier,
  /** Non-zero means the episode ended in a failure state (terminal, not a timeout). */
  expr: z.string().min(1),
});

export const JointSafetySchema = z.strictObject({
  position: range.optional(),
  velocity: finiteNumber.positive().optional(),
  effort: finiteNumber.positive().optional(),
});

export const RobotSpecSchema = z.strictObject({
  name: identifier,
  description: z.string(),
  /** MJCF file in the robot folder. */
  model: z.string().default("model.xml"),
  control: z.strictObject({
    rate_hz: finiteNumber.positive(),
    /** Physics steps per control tick: model timestep × frame_skip = 1 / rate_hz. */
    frame_skip: z.number().int().positive(),
    /** Episodes are truncated (timeout, not terminal) after this many control ticks. */
    max_episode_steps: z.number().int().positive(),
    /** A state older than this is stale for recorders and safety watchdogs. */
    max_state_age_ms: finiteNumber.positive().default(100),
  }),
  joints: z.array(JointSpecSchema).min(1),
  actuators: z.array(ActuatorSpecSchema).min(1),
  ros: z.strictObject({
    joint_states_topic: topicName.default("/joint_states"),
    /** ros2_control forward command controller name. */
    controller: identifier,
    /** Defaults to /<controller>/commands. */
    command_topic: topicName.optional(),
    task_topics: z.array(TaskTopicSchema).default([]),
    /** Optional std_msgs/msg/Int32 (or similar) topic whose changes mark episode boundaries in logs. */
    episode_topic: topicName.optional(),
  }),
  observation: z.array(ObservationItemSchema).min(1),
  reward: z.strictObject({ expr: z.string().min(1) }),
  termination: z.array(TerminationSchema).default([]),
  /** Simulation-only initial state distribution: uniform ranges per joint and task field. */
  reset: z
    .strictObject({
      position: z.record(z.string(), range).default({}),
      velocity: z.record(z.string(), range).default({}),
      task: z.record(z.string(), range).default({}),
      /** Task draws are repeated until this expression holds (e.g. a goal the arm can reach inside its limits). */
      task_valid: z.string().min(1).optional(),
    })
    .default({ position: {}, velocity: {}, task: {} }),
  safety: z.strictObject({
    /** Monitors trip at (1 - margin) of each limit; clamps use the limits themselves. */
    margin: finiteNumber.min(0).max(0.5).default(0.05),
    joints: z.record(identifier, JointSafetySchema),
  }),
  /**
   * Per-algorithm config overrides for this robot, on top of the paper defaults (`--config` still wins), e.g.
   * `iql: { beta: 0.1 }`. Keys are checked against the algorithms' configs when training starts.
   */
  training: z.record(identifier, z.record(z.string(), z.unknown())).default({}),
  /**
   * The scale at which `tether bench quality` measures this robot (its flags still win). D4RL's tasks differ
   * in dataset size too: a controller that does not fit in 100 episodes and 64×64 networks gets more here.
   */
  benchmark: z
    .strictObject({
      /** Episodes of each dataset bench quality collects (seed 0). */
      dataset_episodes: z.number().int().positive().default(100),
      /**
       * Hidden layer widths of every network. 64×64 by default: the papers' 2×256 trains 4–5× slower on wasm
       * and scored within a few points of it on pendulum medium-replay.
       */
      hidden: z.array(z.number().int().positive()).min(1).default([64, 64]),
      /** Gradient updates per training run. */
      steps: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  /** Returns for normalized scores (D4RL): 100 × (R − random) / (expert − random). Written by calibrate. */
  reference_returns: z.strictObject({ random: finiteNumber, expert: finiteNumber }).optional(),
});

export type RobotSpec = z.infer<typeof RobotSpecSchema>;
export type ActuatorSpec = z.infer<typeof ActuatorSpecSchema>;
export type TaskTopic = z.infer<typeof TaskTopicSchema>;

export function commandTopic(spec: RobotSpec): string {
  return spec.ros.command_topic ?? `/${spec.ros.controller}/commands`;
}
