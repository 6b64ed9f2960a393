/**
 * Pendulum: energy-based swing-up (Åström & Furuta 2000) plus a PD/LQR-like balance controller near upright.
 * Physical constants match robots/pendulum/model.xml (1 kg bob at 0.5 m, 50 g rod, 2 N·m motor).
 * Lower quality: weaker pumping, softer balance gains, action noise, random ticks and lag.
 */
import type { RobotSpec } from "../spec.js";
import { Degrader, lerp } from "./degrade.js";
import type { BehaviorController } from "./index.js";
import { signalIndices } from "./signal-index.js";

const MGL = 1 * 9.81 * 0.5 + 0.05 * 9.81 * 0.25; // gravity torque at horizontal, N·m
const INERTIA = 1 * 0.5 ** 2 + (0.05 * 0.5 ** 2) / 3 + 0.001; // about the hinge, kg·m²
const MAX_TORQUE = 2; // N·m, the actuator range
const BALANCE_ANGLE = 0.5; // rad from upright where balancing takes over

function wrapAngle(x: number): number {
  return x - 2 * Math.PI * Math.floor((x + Math.PI) / (2 * Math.PI));
}

export function makePendulumBehavior(spec: RobotSpec, quality: number, seed: number): BehaviorController {
  const ix = signalIndices(spec, { q: "position.pendulum_joint", w: "velocity.pendulum_joint" });
  const q = quality;
  const pumpGain = lerp(0.3, 1, q); // fraction of the torque used for pumping
  const kp = lerp(6, 14, q);
  const kd = lerp(1, 2.5, q);
  const degrader = new Degrader(
    { randomProb: lerp(1, 0, q) ** 1.5, noiseStd: lerp(0.6, 0, q), lagProb: lerp(0.3, 0, q) },
    1,
    seed,
  );
  return {
    reset(s) {
      degrader.reset(s);
    },
    act(signals, out) {
      const theta = wrapAngle(signals[ix.q]);
      const omega = signals[ix.w];
      let torque: number;
      if (Math.abs(theta) < BALANCE_ANGLE) {
        torque = -kp * theta - kd * omega;
      } else {
        // Energy with 0 at upright rest; pump towards it in the direction of motion.
        const energy = 0.5 * INERTIA * omega * omega + MGL * (Math.cos(theta) - 1);
        const direction = omega === 0 ? 1 : Math.sign(omega);
        torque = energy < 0 ? pumpGain * MAX_TORQUE * direction : -0.5 * MAX_TORQUE * direction;
      }
      out[0] = Math.min(1, Math.max(-1, torque / MAX_TORQUE));
      if (q < 1) degrader.apply(out);
    },
  };
}
