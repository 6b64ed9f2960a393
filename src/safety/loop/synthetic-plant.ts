/**
 * A synthetic plant for the loop harness: a two-joint arm whose joints are damped double integrators driven
 * by torque. Cheap, deterministic and with a known robot spec, so fault injection needs no physics engine.
 */
import { RobotSpecSchema, type RobotSpec } from "../../robot/spec.js";
import { signalLayout, type SignalLayout } from "../../robot/signals.js";

/** An n-joint synthetic arm: observation = positions then velocities, torque actuators in [-2, 2]. */
export function syntheticArmSpec(joints: number): RobotSpec {
  const names = Array.from({ length: joints }, (_, i) => `j${i}`);
  return RobotSpecSchema.parse({
    name: joints === 2 ? "synthetic_arm" : `synthetic_arm${joints}`,
    description: "Damped double-integrator joints driven by torque (safety loop harness)",
    control: { rate_hz: 500, frame_skip: 1, max_episode_steps: 1000, max_state_age_ms: 20 },
    joints: names.map((name) => ({ name })),
    actuators: names.map((j, i) => ({ name: `m${i}`, joint: j, range: [-2, 2] })),
    ros: { controller: "effort_controller" },
    observation: [
      ...names.map((j, i) => ({ name: `q${i}`, expr: `position.${j}` })),
      ...names.map((j, i) => ({ name: `v${i}`, expr: `velocity.${j}` })),
    ],
    reward: { expr: names.map((j) => `-(position.${j} ^ 2)`).join(" + ") },
    safety: {
      margin: 0.1,
      joints: Object.fromEntries(names.map((j) => [j, { position: [-2, 2], velocity: 6, effort: 1.8 }])),
    },
  });
}

export const SYNTHETIC_ARM: RobotSpec = syntheticArmSpec(2);

export class SyntheticPlant {
  readonly layout: SignalLayout;
  readonly signals: Float64Array;
  private readonly inertia = 0.5;
  private readonly damping = 0.4;

  constructor(readonly spec: RobotSpec = SYNTHETIC_ARM) {
    this.layout = signalLayout(spec);
    this.signals = new Float64Array(this.layout.size);
  }

  reset(position: ArrayLike<number>): void {
    this.signals.fill(0);
    for (let j = 0; j < position.length; j++) this.signals[this.layout.position + j] = position[j];
  }

  /** Applies torques (actuator units, one per joint) for dt seconds (semi-implicit Euler). */
  step(command: ArrayLike<number>, dt: number): void {
    const L = this.layout;
    const n = this.spec.joints.length;
    for (let j = 0; j < n; j++) {
      const u = command[j];
      const v = this.signals[L.velocity + j];
      const acc = (u - this.damping * v) / this.inertia;
      const v2 = v + acc * dt;
      this.signals[L.velocity + j] = v2;
      this.signals[L.position + j] += v2 * dt;
      this.signals[L.effort + j] = u;
      this.signals[L.action + j] = u;
    }
  }
}

/** A PD controller toward `target` as a normalized action; the harness's "policy" and fallback. */
export function pdAction(
  signals: Float64Array,
  layout: SignalLayout,
  target: ArrayLike<number>,
  kp: number,
  kd: number,
  out: Float64Array,
): void {
  for (let j = 0; j < out.length; j++) {
    const q = signals[layout.position + j];
    const v = signals[layout.velocity + j];
    const u = kp * (target[j] - q) - kd * v;
    out[j] = u > 1 ? 1 : u < -1 ? -1 : u;
  }
}
