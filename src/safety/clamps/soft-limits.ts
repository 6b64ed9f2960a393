/**
 * Soft position limits: a state-dependent bound on each effort command whose joint has position limits in
 * robot.yaml (`safety.joints.<joint>.position`), like ros2_control's soft joint limits. The joint-limit
 * monitor only reports a joint inside its margin; this keeps the command from driving it further:
 *
 *   approach zone  (heading within 2 bands of a limit): no effort toward the limit;
 *   margin band    (heading within 1 band, the monitor's error zone): brake at BRAKE of the range.
 *
 * "Heading" looks LOOKAHEAD_S ahead at the current velocity (p + v·t), so a fast joint brakes early enough
 * to stop: the command is rate-limited and the joint has inertia.
 *
 * band = margin × (high − low) / 2, the same band the joint-limit monitor warns in. A positive command is
 * taken to accelerate its joint positively (motor gear > 0, as in every robot Tether ships).
 * Bounds are normalized [-1, 1] actions, written into caller-owned arrays: nothing is allocated per tick.
 */
import type { RobotSpec } from "../../robot/spec.js";
import { signalLayout } from "../../robot/signals.js";
import type { HardLimits } from "./hard-limits.js";

/** Braking command inside the margin band, as a fraction of the normalized range (toward the safe side). */
const BRAKE = 0.5;
/** How far ahead (s) the position is extrapolated at the current velocity. */
const LOOKAHEAD_S = 0.25;

interface LimitedActuator {
  action: number;
  positionIndex: number;
  velocityIndex: number;
  low: number;
  high: number;
  band: number;
  zeroNorm: number;
}

export class SoftPositionLimits {
  private readonly limited: LimitedActuator[];

  constructor(spec: RobotSpec, limits: HardLimits) {
    const layout = signalLayout(spec);
    const jointIndex = new Map(spec.joints.map((j, i) => [j.name, i]));
    this.limited = [];
    spec.actuators.forEach((a, i) => {
      const position = spec.safety.joints[a.joint]?.position;
      const j = jointIndex.get(a.joint);
      if (position === undefined || j === undefined) return;
      const [low, high] = position;
      const zeroNorm =
        (2 * (limits.zero[i] - limits.rangeLo[i])) / (limits.rangeHi[i] - limits.rangeLo[i]) - 1;
      this.limited.push({
        action: i,
        positionIndex: layout.position + j,
        velocityIndex: layout.velocity + j,
        low,
        high,
        band: (spec.safety.margin * (high - low)) / 2,
        zeroNorm,
      });
    });
  }

  /** True when the robot has any joint with position limits. */
  get active(): boolean {
    return this.limited.length > 0;
  }

  /**
   * Writes this state's bounds into `lo`/`hi` (normalized; ±Infinity where unconstrained). Returns whether
   * any bound is finite. Non-finite state values constrain nothing here: the state monitors handle them.
   */
  bounds(signals: ArrayLike<number>, lo: Float64Array, hi: Float64Array): boolean {
    lo.fill(-Infinity);
    hi.fill(Infinity);
    let any = false;
    for (const l of this.limited) {
      const p = signals[l.positionIndex];
      const v = signals[l.velocityIndex];
      if (!Number.isFinite(p) || !Number.isFinite(v)) continue;
      const heading = p + v * LOOKAHEAD_S;
      if (v > 0 && heading > l.high - 2 * l.band) {
        hi[l.action] = heading > l.high - l.band ? l.zeroNorm - BRAKE : l.zeroNorm;
        any = true;
      } else if (v < 0 && heading < l.low + 2 * l.band) {
        lo[l.action] = heading < l.low + l.band ? l.zeroNorm + BRAKE : l.zeroNorm;
        any = true;
      }
    }
    return any;
  }
}
