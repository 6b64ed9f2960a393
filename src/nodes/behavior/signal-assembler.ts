/**
 * Builds the robot's signal vector (src/robot/signals.ts) from ROS messages, matching joints by NAME:
 * /joint_states may list joints in any order, and may carry joints the robot spec does not know.
 */
import type { JointState } from "../../msgs/types.js";
import { signalLayout, type SignalLayout } from "../../robot/signals.js";
import type { RobotSpec } from "../../robot/spec.js";
import { LATCHED_QOS, type Node } from "../../ros/node.js";

export class SignalAssembler {
  readonly layout: SignalLayout;
  readonly signals: Float64Array;
  private readonly jointNames: string[];
  private lastNames: string[] | undefined;
  /** For each spec joint, its index in the last message's name list (-1 if absent). */
  private readonly map: Int32Array;
  private warnedMissing = false;

  constructor(private readonly spec: RobotSpec) {
    this.layout = signalLayout(spec);
    this.signals = new Float64Array(this.layout.size);
    this.jointNames = spec.joints.map((j) => j.name);
    this.map = new Int32Array(this.jointNames.length).fill(-1);
  }

  /** Fills position/velocity/effort; returns the spec joints missing from the message (empty when complete). */
  setJointState(msg: JointState): string[] {
    if (msg.name !== this.lastNames) {
      this.jointNames.forEach((n, i) => (this.map[i] = msg.name.indexOf(n)));
      this.lastNames = msg.name;
    }
    const missing: string[] = [];
    const { position, velocity, effort } = this.layout;
    for (let i = 0; i < this.jointNames.length; i++) {
      const k = this.map[i];
      if (k < 0) {
        missing.push(this.jointNames[i]);
        continue;
      }
      this.signals[position + i] = msg.position[k] ?? 0;
      this.signals[velocity + i] = msg.velocity[k] ?? 0;
      this.signals[effort + i] = msg.effort[k] ?? 0;
    }
    return missing;
  }

  /**
   * setJointState for a node's callback: true when every spec joint was in the message; otherwise warns once
   * (naming the topic and the joints) and returns false, and the node must not act on this state.
   */
  acceptJointState(msg: JointState, topic: string, warn: (text: string) => void): boolean {
    const missing = this.setJointState(msg);
    if (missing.length === 0) return true;
    if (!this.warnedMissing) warn(`${topic} lacks joint(s) ${missing.join(", ")}: not acting`);
    this.warnedMissing = true;
    return false;
  }

  /** The command last sent, in actuator units. */
  setAction(units: ArrayLike<number>): void {
    for (let i = 0; i < this.spec.actuators.length; i++) this.signals[this.layout.action + i] = units[i];
  }

  /** Task topic values (one per field); returns false if the count does not match the spec. */
  setTask(taskName: string, values: ArrayLike<number>): boolean {
    const t = this.spec.ros.task_topics.find((x) => x.name === taskName);
    if (!t || values.length !== t.fields.length) return false;
    const offset = this.layout.index.get(`task.${t.name}.${t.fields[0]}`) ?? -1;
    for (let i = 0; i < values.length; i++) this.signals[offset + i] = values[i];
    return true;
  }
}

/**
 * Subscribes to the robot's task topics (latched) and feeds them to `assembler`. Returns the names of the
 * tasks not heard yet: a controller must not act before every task value arrived.
 */
export function subscribeTaskTopics(node: Node, spec: RobotSpec, assembler: SignalAssembler): Set<string> {
  const pending = new Set(spec.ros.task_topics.map((t) => t.name));
  const log = node.getLogger();
  for (const t of spec.ros.task_topics) {
    node.createSubscription("std_msgs/msg/Float64MultiArray", t.topic, { qos: LATCHED_QOS }, (m) => {
      if (assembler.setTask(t.name, m.data)) pending.delete(t.name);
      else
        log.warn(
          `${t.topic}: expected ${t.fields.length} values (${t.fields.join(", ")}), got ${m.data.length}`,
        );
    });
  }
  return pending;
}
