/**
 * sim_robot: a MujocoEnv behind ROS 2 topics, like a ros2_control robot with a forward command controller.
 *   publishes  <ros.joint_states_topic>   sensor_msgs/msg/JointState (names from robot.yaml), stamped in sim time
 *              <task topic> per task      std_msgs/msg/Float64MultiArray (one entry per field), latched, on reset
 *              <ros.episode_topic|/episode> std_msgs/msg/Int32 episode index, latched, on reset
 *              /clock                     rosgraph_msgs/msg/Clock, sim time (monotonic across episodes)
 *   subscribes <controller command topic> std_msgs/msg/Float64MultiArray in actuator units (clipped to ranges)
 * Parameters: robot (name or folder), seed, mode ("lockstep" | "realtime"), episodes (0 = no limit),
 *   wait_for_subscribers (lockstep: state subscribers to wait for, default 1 = the controller),
 *   wait_timeout_s (how long to wait for them before starting with fewer, with a warning).
 *   lockstep: one control tick per command received (deterministic; waits until a controller and
 *             wait_for_subscribers state subscribers are connected before publishing the first state).
 *             realtime: one tick per control period of wall time, holding the last command (zero before
 *             the first).
 */
import { commandTopic } from "../../robot/spec.js";
import type { Float64MultiArray } from "../../msgs/types.js";
import { timeFromSeconds } from "../../msgs/time.js";
import { LATCHED_QOS, type Node, type NodeHandle } from "../../ros/node.js";
import { ConfigError } from "../../core/errors.js";

export const SIM_ROBOT_MODES = ["lockstep", "realtime"] as const;
export type SimRobotMode = (typeof SIM_ROBOT_MODES)[number];

/** Realtime mode: ticks run late by more than this are skipped (the sim falls behind the wall clock). */
const MAX_CATCH_UP = 5;

/** The episode topic when robot.yaml names none. */
export const DEFAULT_EPISODE_TOPIC = "/episode";

export async function simRobotNode(node: Node): Promise<NodeHandle> {
  const robotName = node.declareParameter("robot", "reacher2", {
    description: "robot name under robots/ or a robot folder",
  });
  const seed = node.declareParameter("seed", 0);
  const mode = node.declareParameter("mode", "lockstep") as SimRobotMode;
  const episodes = node.declareParameter("episodes", 0);
  const waitForSubscribers = node.declareParameter("wait_for_subscribers", 1, {
    description:
      "lockstep: subscribers of the joint states to wait for before the first state (controller + recorders)",
  });
  const waitTimeoutS = node.declareParameter("wait_timeout_s", 30, {
    description:
      "lockstep: seconds to wait for wait_for_subscribers before starting with fewer (with a warning)",
    double: true,
  });
  if (!SIM_ROBOT_MODES.includes(mode)) {
    throw new ConfigError(`node ${node.fullyQualifiedName()}`, "mode", `unknown mode "${mode}"`, {
      expected: SIM_ROBOT_MODES.join(" or "),
    });
  }
  const { MujocoEnv } = await import("../../sim/mujoco-env.js");
  const env = await MujocoEnv.create(robotName, { seed });
  const spec = env.robot.spec;
  const layout = env.task.layout;
  const log = node.getLogger();
  const nJ = spec.joints.length;
  const names = spec.joints.map((j) => j.name);

  const statePub = node.createPublisher("sensor_msgs/msg/JointState", spec.ros.joint_states_topic);
  const clockPub = node.createPublisher("rosgraph_msgs/msg/Clock", "/clock");
  const episodePub = node.createPublisher(
    "std_msgs/msg/Int32",
    spec.ros.episode_topic ?? DEFAULT_EPISODE_TOPIC,
    { qos: LATCHED_QOS },
  );
  const taskPubs = spec.ros.task_topics.map((t) => ({
    pub: node.createPublisher("std_msgs/msg/Float64MultiArray", t.topic, { qos: LATCHED_QOS }),
    offset: layout.index.get(`task.${t.name}.${t.fields[0]}`) ?? layout.task,
    size: t.fields.length,
  }));

  const command = new Float64Array(env.actDim);
  let episode = 0;
  /** Sim time of the episodes before this one: /clock never goes backwards across resets. */
  let timeOffset = 0;
  let finished = false;
  let waitingForCommand = false;
  let warnedShape = false;

  const now = () => timeFromSeconds(timeOffset + env.time);

  const publishState = (): void => {
    const sig = env.signals();
    const stamp = now();
    statePub.publish({
      header: { stamp, frame_id: "" },
      name: names,
      position: sig.slice(layout.position, layout.position + nJ),
      velocity: sig.slice(layout.velocity, layout.velocity + nJ),
      effort: sig.slice(layout.effort, layout.effort + nJ),
    });
    clockPub.publish({ clock: stamp });
  };

  const startEpisode = (): void => {
    env.reset(seed + episode);
    command.fill(0);
    const sig = env.signals();
    episodePub.publish({ data: episode });
    for (const t of taskPubs) t.pub.publish({ data: Array.from(sig.subarray(t.offset, t.offset + t.size)) });
  };

  // The state after an episode's last step is published before the reset (recorders need it to close the
  // last transition and to see failure states); the next tick then resets instead of stepping, so the
  // command answering that final state is never applied to the new episode.
  let resetPending = false;
  const tick = (): void => {
    if (finished) return;
    if (resetPending) {
      resetPending = false;
      // The reset takes one control period of sim time, so stamps stay evenly spaced and strictly increasing.
      timeOffset += env.time + 1 / spec.control.rate_hz;
      episode++;
      if (episodes > 0 && episode >= episodes) {
        finished = true;
        log.info(`finished ${episodes} episode(s) at sim time ${timeOffset.toFixed(3)} s`);
        return;
      }
      startEpisode();
      publishState();
      return;
    }
    const r = env.stepActuators(command);
    if (r.terminated || r.truncated) resetPending = true;
    publishState();
  };

  const onCommand = (msg: Float64MultiArray): void => {
    const data = msg.data;
    let ok = data.length === env.actDim;
    for (let i = 0; ok && i < data.length; i++) ok = Number.isFinite(data[i]);
    if (!ok) {
      if (!warnedShape)
        log.warn(
          `ignoring a command of ${data.length} value(s) (need ${env.actDim} finite values: ${env.task.actNames.join(", ")})`,
        );
      warnedShape = true;
      return;
    }
    for (let i = 0; i < env.actDim; i++) command[i] = data[i];
    if (mode === "lockstep" && waitingForCommand) tick();
  };
  const cmdSub = node.createSubscription("std_msgs/msg/Float64MultiArray", commandTopic(spec), {}, onCommand);

  startEpisode();
  const timers: { cancel(): void }[] = [];
  if (mode === "realtime") {
    // Ticks follow the wall clock, not the timer count: a late timer catches up (at most MAX_CATCH_UP ticks).
    publishState();
    const periodMs = 1000 / spec.control.rate_hz;
    const start = performance.now();
    let ticks = 0;
    timers.push(
      node.createTimer(periodMs / 2, () => {
        const due = Math.floor((performance.now() - start) / periodMs);
        if (due - ticks > MAX_CATCH_UP) ticks = due - MAX_CATCH_UP;
        while (ticks < due) {
          ticks++;
          tick();
        }
      }),
    );
  } else {
    // Lock-step starts once a controller and the expected state subscribers (a recorder besides the
    // controller) are matched: under ros2 launch the nodes start in parallel and discovery takes a while,
    // so a recorder matched late would miss the first states. After the timeout it starts with fewer.
    const waitStart = performance.now();
    const wait = node.createTimer(10, () => {
      const subs = statePub.subscriptionCount();
      if (cmdSub.publisherCount() === 0 || subs === 0) return;
      if (subs < waitForSubscribers) {
        if (performance.now() - waitStart < waitTimeoutS * 1000) return;
        log.warn(
          `starting with ${subs} of ${waitForSubscribers} subscriber(s) on ${statePub.topic} after ` +
            `${waitTimeoutS} s (wait_for_subscribers): a subscriber matched later misses the first states`,
        );
      }
      wait.cancel();
      waitingForCommand = true;
      publishState();
    });
    timers.push(wait);
  }
  log.info(
    `${spec.name} in ${mode} mode: ${spec.ros.joint_states_topic} <- sim -> ${commandTopic(spec)}, ${spec.control.rate_hz} Hz`,
  );

  return {
    close() {
      for (const t of timers) t.cancel();
      env.close();
    },
  };
}
