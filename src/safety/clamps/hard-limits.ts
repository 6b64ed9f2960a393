/**
 * The robot's hard actuator limits, applied last: robot.yaml `actuators[].range` intersected with
 * `safety.joints.<joint>.effort` (|command| <= effort for the actuator driving that joint).
 */
import { ConfigError } from "../../core/errors.js";
import type { RobotSpec } from "../../robot/spec.js";

export interface HardLimits {
  /** Bounds in actuator units (N·m, N). */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** The same bounds mapped to the policy's normalized [-1, 1] space. */
  readonly loNorm: Float64Array;
  readonly hiNorm: Float64Array;
  /** The actuator range used to scale normalized actions to units. */
  readonly rangeLo: Float64Array;
  readonly rangeHi: Float64Array;
  /** A command that applies no effort, clamped into the limits (0 when the range allows it). */
  readonly zero: Float64Array;
}

export function hardLimitsFromSpec(spec: RobotSpec, file = `robots/${spec.name}/robot.yaml`): HardLimits {
  const n = spec.actuators.length;
  const lim: HardLimits = {
    lo: new Float64Array(n),
    hi: new Float64Array(n),
    loNorm: new Float64Array(n),
    hiNorm: new Float64Array(n),
    rangeLo: new Float64Array(n),
    rangeHi: new Float64Array(n),
    zero: new Float64Array(n),
  };
  spec.actuators.forEach((a, i) => {
    const [rlo, rhi] = a.range;
    if (!(rhi > rlo)) {
      throw new ConfigError(file, `actuators.${i}.range`, "must have low < high for a commanded actuator", {
        actual: `[${rlo}, ${rhi}]`,
      });
    }
    let lo = rlo;
    let hi = rhi;
    const effort = spec.safety.joints[a.joint]?.effort;
    if (effort !== undefined) {
      lo = Math.max(lo, -effort);
      hi = Math.min(hi, effort);
    }
    if (lo > hi) {
      throw new ConfigError(
        file,
        `safety.joints.${a.joint}.effort`,
        `leaves no allowed command for actuator ${a.name}`,
        {
          actual: `range [${rlo}, ${rhi}] ∩ [${-(effort ?? 0)}, ${effort}]`,
        },
      );
    }
    lim.lo[i] = lo;
    lim.hi[i] = hi;
    lim.rangeLo[i] = rlo;
    lim.rangeHi[i] = rhi;
    lim.loNorm[i] = toNormalized(lo, rlo, rhi);
    lim.hiNorm[i] = toNormalized(hi, rlo, rhi);
    lim.zero[i] = Math.min(hi, Math.max(lo, 0));
  });
  return lim;
}

export function toNormalized(units: number, lo: number, hi: number): number {
  return (2 * (units - lo)) / (hi - lo) - 1;
}

export function toUnits(normalized: number, lo: number, hi: number): number {
  return lo + ((normalized + 1) / 2) * (hi - lo);
}
