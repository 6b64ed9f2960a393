/**
 * SafetyEvents as `diagnostic_msgs/msg/DiagnosticArray` for `/diagnostics`: pure functions producing the
 * plain message object; the node edge publishes it.
 */
import { DIAGNOSTIC_LEVEL, type DiagnosticArray, type DiagnosticStatus } from "../msgs/types.js";
import { timeFromSeconds } from "../msgs/time.js";
import type { EStopState } from "./estop.js";
import type { SafetyEvent, Severity } from "./events.js";

export const DIAGNOSTIC_PREFIX = "tether/safety";

export function diagnosticLevel(severity: Severity): number {
  switch (severity) {
    case "info":
      return DIAGNOSTIC_LEVEL.OK;
    case "warn":
      return DIAGNOSTIC_LEVEL.WARN;
    case "error":
    case "fatal":
      return DIAGNOSTIC_LEVEL.ERROR;
  }
}

export function eventToStatus(event: SafetyEvent, hardwareId: string): DiagnosticStatus {
  return {
    level: diagnosticLevel(event.severity),
    name: `${DIAGNOSTIC_PREFIX}/${event.monitor}`,
    message: event.message,
    hardware_id: hardwareId,
    values: [
      { key: "key", value: event.key },
      { key: "severity", value: event.severity },
      { key: "limit", value: String(event.limit) },
      { key: "observed", value: String(event.observed) },
      { key: "stamp_ms", value: String(event.stamp) },
    ],
  };
}

export function estopToStatus(state: EStopState, hardwareId: string): DiagnosticStatus {
  return {
    level: state.engaged ? DIAGNOSTIC_LEVEL.ERROR : DIAGNOSTIC_LEVEL.OK,
    name: `${DIAGNOSTIC_PREFIX}/estop`,
    message: state.engaged
      ? `e-stop engaged: ${state.cause ? state.cause.message : "unknown cause"}`
      : "e-stop clear",
    hardware_id: hardwareId,
    values: [
      { key: "engaged", value: String(state.engaged) },
      { key: "trips", value: String(state.trips) },
      { key: "cause_monitor", value: state.cause ? state.cause.monitor : "" },
    ],
  };
}

/** One DiagnosticArray for a batch of events (and optionally the e-stop state), stamped `seconds`. */
export function toDiagnosticArray(
  events: readonly SafetyEvent[],
  seconds: number,
  hardwareId: string,
  estop?: EStopState,
): DiagnosticArray {
  const status = events.map((e) => eventToStatus(e, hardwareId));
  if (estop) status.push(estopToStatus(estop, hardwareId));
  return { header: { stamp: timeFromSeconds(seconds), frame_id: "" }, status };
}
