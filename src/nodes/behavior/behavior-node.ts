/**
 * behavior: a behavior controller (src/robot/behaviors) as a ROS 2 node. On every /joint_states message it
 * assembles the signal vector by joint name (plus the latched task topics and the last command), asks the
 * controller for a normalized action and publishes it in actuator units on the robot's command topic.
 * Parameters: robot, level ("random" | "medium" | "expert", or a quality in [0, 1]), seed.
 * The episode topic (Int32, latched) reseeds the controller at each episode start.
 */
import { ConfigError } from "../../core/errors.js";
import type { JointState } from "../../msgs/types.js";
import { scaleAction } from "../../robot/task-functions.js";
import { commandTopic } from "../../robot/spec.js";
import { LATCHED_QOS, type Node, type NodeHandle } from "../../ros/node.js";
import { DEFAULT_EPISODE_TOPIC } from "../sim-robot/sim-robot-node.js";
import { SignalAssembler, subscribeTaskTopics } from "./signal-assembler.js";

export async function behaviorNode(node: Node): Promise<NodeHandle> {
  const robotName = node.declareParameter("robot", "reacher2");
  const levelText = String(node.declareParameter("level", "expert"));
  const seed = node.declareParameter("seed", 0);
  const { loadRobot } = await import("../../robot/load.js");
  const { makeBehavior, BEHAVIOR_LEVELS } = await import("../../robot/behaviors/index.js");
  const spec = loadRobot(robotName).spec;
  const quality = Number(levelText);
  let level: (typeof BEHAVIOR_LEVELS)[number] | { quality: number };
  if ((BEHAVIOR_LEVELS as readonly string[]).includes(levelText))
    level = levelText as (typeof BEHAVIOR_LEVELS)[number];
  else if (levelText.trim() !== "" && Number.isFinite(quality) && quality >= 0 && quality <= 1)
    level = { quality };
  else {
    throw new ConfigError(`node ${node.fullyQualifiedName()}`, "level", `unknown level "${levelText}"`, {
      expected: `${BEHAVIOR_LEVELS.join(", ")} or a number in [0, 1]`,
    });
  }
  const controller = makeBehavior(spec, level, seed);
  const log = node.getLogger();
  const assembler = new SignalAssembler(spec);
  const normalized = new Float64Array(spec.actuators.length);
  const units = new Float64Array(spec.actuators.length);
  const pendingTasks = subscribeTaskTopics(node, spec, assembler);
  let warnedTask = false;

  const cmdPub = node.createPublisher("std_msgs/msg/Float64MultiArray", commandTopic(spec));
  node.createSubscription(
    "std_msgs/msg/Int32",
    spec.ros.episode_topic ?? DEFAULT_EPISODE_TOPIC,
    { qos: LATCHED_QOS },
    (m) => {
      controller.reset(seed + m.data);
    },
  );
  node.createSubscription(
    "sensor_msgs/msg/JointState",
    spec.ros.joint_states_topic,
    {},
    (msg: JointState) => {
      if (!assembler.acceptJointState(msg, spec.ros.joint_states_topic, (t) => log.warn(t))) return;
      if (pendingTasks.size > 0) {
        if (!warnedTask) log.warn(`waiting for task topic(s) ${[...pendingTasks].join(", ")} before acting`);
        warnedTask = true;
        return;
      }
      controller.act(assembler.signals, normalized);
      scaleAction(spec, normalized, units);
      assembler.setAction(units);
      cmdPub.publish({ data: Array.from(units) });
    },
  );
  log.info(`${spec.name} behavior at level ${levelText} -> ${commandTopic(spec)}`);
  return {};
}
