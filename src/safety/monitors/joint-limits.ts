/**
 * Joint position, velocity and effort limits (robot.yaml `safety.joints`, `safety.margin`).
 *   position, velocity  inside the margin band (beyond (1 - margin) of the limit): `warn` — the shield acts
 *                       before it (clamps/soft-limits.ts; with a model, sim/braking-filter.ts keeps joints
 *                       out of it); beyond the limit: `fatal`.
 *   effort              an actuator used anywhere within its hard range is not a fault (controllers use their
 *                       full range); beyond the limit: `fatal`.
 * Position limits are ranges: the margin band is margin × half-width inside each end.
 * Level-triggered: every violating sample reports (the node edge throttles diagnostics).
 */
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from "rxjs";
import { ConfigError } from "../../core/errors.js";
import type { RobotSpec } from "../../robot/spec.js";
import { safetyEvent, type SafetyEvent } from "../events.js";
import { monitorOperator } from "./monitor-operator.js";

export interface JointSample {
  /** Milliseconds (stamp of the state). */
  stamp: number;
  /** Per joint, in robot.yaml `joints` order; an empty array means "not reported". */
  position: ArrayLike<number>;
  velocity: ArrayLike<number>;
  effort: ArrayLike<number>;
}

export interface JointLimit {
  name: string;
  position?: readonly [number, number];
  velocity?: number;
  effort?: number;
}

export interface JointLimitsConfig {
  joints: JointLimit[];
  /** Fraction of each limit kept as a margin, in [0, 0.5]. */
  margin: number;
  scheduler?: SchedulerLike;
}

export function jointLimitsConfigFromSpec(spec: RobotSpec): JointLimitsConfig {
  return {
    margin: spec.safety.margin,
    joints: spec.joints.map((j) => {
      const s = spec.safety.joints[j.name] ?? {};
      return { name: j.name, position: s.position, velocity: s.velocity, effort: s.effort };
    }),
  };
}

export function jointLimits(config: JointLimitsConfig): OperatorFunction<JointSample, SafetyEvent> {
  const { margin } = config;
  if (!(margin >= 0 && margin <= 0.5)) {
    throw new ConfigError("joint_limits", "margin", "must be in [0, 0.5]", { actual: String(margin) });
  }
  config.joints.forEach((j, i) => {
    if (j.position && !(j.position[0] < j.position[1])) {
      throw new ConfigError("joint_limits", `joints.${i}.position`, "must be [low, high] with low < high", {
        actual: `[${j.position[0]}, ${j.position[1]}]`,
      });
    }
    for (const kind of ["velocity", "effort"] as const) {
      const v = j[kind];
      if (v !== undefined && !(v > 0 && Number.isFinite(v))) {
        throw new ConfigError("joint_limits", `joints.${i}.${kind}`, "must be a finite number > 0", {
          actual: String(v),
        });
      }
    }
  });
  const scheduler = config.scheduler ?? asyncScheduler;
  const joints = config.joints;
  return monitorOperator<JointSample>("joint_limits", scheduler, (ctx) => {
    const magnitude = (
      joint: string,
      kind: string,
      max: number | undefined,
      value: number,
      stamp: number,
      band: boolean,
    ): void => {
      if (max === undefined) return;
      const a = Math.abs(value);
      if (a > max) {
        ctx.emit(
          safetyEvent(
            "joint_limits",
            `${joint}.${kind}`,
            "fatal",
            max,
            value,
            stamp,
            `${joint} ${kind} ${fmt(value)} beyond limit ${max}`,
          ),
        );
      } else if (band && a > (1 - margin) * max) {
        const soft = (1 - margin) * max;
        ctx.emit(
          safetyEvent(
            "joint_limits",
            `${joint}.${kind}`,
            "warn",
            soft,
            value,
            stamp,
            `${joint} ${kind} ${fmt(value)} beyond ${fmt(soft)} (limit ${max} less ${margin * 100}% margin)`,
          ),
        );
      }
    };
    return {
      onValue(s) {
        for (let i = 0; i < joints.length; i++) {
          const j = joints[i];
          if (j.position && i < s.position.length) {
            const [lo, hi] = j.position;
            const p = s.position[i];
            const shrink = (margin * (hi - lo)) / 2;
            if (p < lo || p > hi) {
              const limit = p < lo ? lo : hi;
              ctx.emit(
                safetyEvent(
                  "joint_limits",
                  `${j.name}.position`,
                  "fatal",
                  limit,
                  p,
                  s.stamp,
                  `${j.name} position ${fmt(p)} outside limit [${lo}, ${hi}]`,
                ),
              );
            } else if (p < lo + shrink || p > hi - shrink) {
              const limit = p < lo + shrink ? lo + shrink : hi - shrink;
              ctx.emit(
                safetyEvent(
                  "joint_limits",
                  `${j.name}.position`,
                  "warn",
                  limit,
                  p,
                  s.stamp,
                  `${j.name} position ${fmt(p)} inside the ${margin * 100}% margin of [${lo}, ${hi}]`,
                ),
              );
            }
          }
          if (i < s.velocity.length) magnitude(j.name, "velocity", j.velocity, s.velocity[i], s.stamp, true);
          if (i < s.effort.length) magnitude(j.name, "effort", j.effort, s.effort[i], s.stamp, false);
        }
      },
    };
  });
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(4) : String(v);
}
