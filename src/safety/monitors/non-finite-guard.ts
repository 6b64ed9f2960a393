/** NaN/Inf guard: any non-finite value in a vector (state, observation, policy output) is an `error`. */
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from "rxjs";
import { ConfigError } from "../../core/errors.js";
import { safetyEvent, type SafetyEvent } from "../events.js";
import { monitorOperator } from "./monitor-operator.js";

export interface VectorSample {
  stamp: number;
  values: ArrayLike<number>;
}

export interface NonFiniteGuardConfig {
  /** What the vector is, for messages and the event key: "observation", "policy_output", "joint_states". */
  what: string;
  /** Names per index, for messages (optional). */
  names?: readonly string[];
  scheduler?: SchedulerLike;
}

export function nonFiniteGuard(config: NonFiniteGuardConfig): OperatorFunction<VectorSample, SafetyEvent> {
  if (!/^[a-z_][a-z0-9_]*$/.test(config.what)) {
    throw new ConfigError("non_finite_guard", "what", "must be a snake_case name", { actual: config.what });
  }
  const { what, names } = config;
  return monitorOperator<VectorSample>("non_finite", config.scheduler ?? asyncScheduler, (ctx) => ({
    onValue(s) {
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i];
        if (!Number.isFinite(v)) {
          const name = names && names[i] !== undefined ? names[i] : String(i);
          ctx.emit(safetyEvent("non_finite", what, "error", 0, v, s.stamp, `${what}[${name}] is ${v}`));
          return;
        }
      }
    },
  }));
}
