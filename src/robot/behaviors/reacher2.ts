/**
 * Reacher2: analytic inverse kinematics for the goal (elbow branch closest to the current elbow angle), then
 * joint-space PD. Link lengths and torque limits match robots/reacher2/model.xml.
 * Lower quality: softer and less damped gains, a goal estimate with an error, noise, random ticks and lag.
 */
import type { RobotSpec } from "../spec.js";
import { Degrader, lerp } from "./degrade.js";
import type { BehaviorController } from "./index.js";
import { signalIndices } from "./signal-index.js";

const L1 = 0.12;
const L2 = 0.12;
const MAX_TORQUE = 0.5; // N·m, both actuators
const ELBOW_LIMIT = 2.95;

function wrapAngle(x: number): number {
  return x - 2 * Math.PI * Math.floor((x + Math.PI) / (2 * Math.PI));
}

export function makeReacher2Behavior(spec: RobotSpec, quality: number, seed: number): BehaviorController {
  const ix = signalIndices(spec, {
    q1: "position.shoulder_joint",
    q2: "position.elbow_joint",
    w1: "velocity.shoulder_joint",
    w2: "velocity.elbow_joint",
    gx: "task.goal.x",
    gy: "task.goal.y",
  });
  const q = quality;
  // Gains for ~10 rad/s closed-loop bandwidth at 50 Hz (shoulder inertia ~0.02, elbow ~0.0064 kg·m²).
  const kp1 = lerp(0.5, 1.5, q);
  const kd1 = lerp(0.08, 0.3, q);
  const kp2 = lerp(0.2, 0.6, q);
  const kd2 = lerp(0.03, 0.1, q);
  const goalError = lerp(0.2, 0, q); // metres of aim error, drawn per episode
  const degrader = new Degrader(
    { randomProb: lerp(1, 0, q) ** 1.5, noiseStd: lerp(0.6, 0, q), lagProb: lerp(0.3, 0, q) },
    2,
    seed,
  );
  let aimX = 0;
  let aimY = 0;
  const pickAim = (): void => {
    const angle = degrader.random.uniform(-Math.PI, Math.PI);
    aimX = goalError * Math.cos(angle);
    aimY = goalError * Math.sin(angle);
  };
  pickAim();
  return {
    reset(s) {
      degrader.reset(s);
      pickAim();
    },
    act(signals, out) {
      const gx = signals[ix.gx] + aimX;
      const gy = signals[ix.gy] + aimY;
      const q1 = signals[ix.q1];
      const q2 = signals[ix.q2];
      const r = Math.min(L1 + L2 - 1e-6, Math.max(1e-3, Math.hypot(gx, gy)));
      const c2 = Math.min(1, Math.max(-1, (r * r - L1 * L1 - L2 * L2) / (2 * L1 * L2)));
      const magnitude = Math.min(Math.acos(c2), ELBOW_LIMIT);
      const q2Target = q2 >= 0 ? magnitude : -magnitude;
      const q1Target = Math.atan2(gy, gx) - Math.atan2(L2 * Math.sin(q2Target), L1 + L2 * Math.cos(q2Target));
      const t1 = kp1 * wrapAngle(q1Target - q1) - kd1 * signals[ix.w1];
      const t2 = kp2 * (q2Target - q2) - kd2 * signals[ix.w2];
      out[0] = Math.min(1, Math.max(-1, t1 / MAX_TORQUE));
      out[1] = Math.min(1, Math.max(-1, t2 / MAX_TORQUE));
      if (q < 1) degrader.apply(out);
    },
  };
}
