import { RobotSpecSchema, type RobotSpec } from "../../src/robot/spec.js";

/** A small two-joint torque arm with asymmetric ranges and an effort limit tighter than one range. */
export function twoJointSpec(): RobotSpec {
  return RobotSpecSchema.parse({
    name: "arm2",
    description: "test arm",
    control: { rate_hz: 500, frame_skip: 1, max_episode_steps: 100, max_state_age_ms: 20 },
    joints: [{ name: "shoulder" }, { name: "elbow" }],
    actuators: [
      { name: "shoulder_motor", joint: "shoulder", range: [-2, 2] },
      { name: "elbow_motor", joint: "elbow", range: [-1, 3] },
    ],
    ros: { controller: "effort_controller" },
    observation: [
      { name: "q0", expr: "position.shoulder" },
      { name: "q1", expr: "position.elbow" },
    ],
    reward: { expr: "0" },
    safety: {
      margin: 0.1,
      joints: {
        shoulder: { position: [-1.5, 1.5], velocity: 4, effort: 1.5 },
        elbow: { position: [-2, 2], velocity: 5 },
      },
    },
  });
}
