/**
 * SafetyEvent: what a monitor reports instead of throwing. Severity decides what the loop does:
 *   info   recovered / informational, nothing changes
 *   warn   reported only
 *   error  the fallback acts this tick (instead of the policy)
 *   fatal  the e-stop latch trips; only an explicit reset clears it
 */
export type Severity = "info" | "warn" | "error" | "fatal";

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warn: 1, error: 2, fatal: 3 };

export interface SafetyEvent {
  /** Monitor name, e.g. "joint_limits", "stale_state". */
  monitor: string;
  /** What tripped inside the monitor, e.g. "shoulder.velocity"; "" when the monitor has one check. */
  key: string;
  /** The limit that was crossed (same units as `observed`). */
  limit: number;
  observed: number;
  /** Milliseconds on the monitor's clock (its scheduler's now()). */
  stamp: number;
  severity: Severity;
  message: string;
}

export function safetyEvent(
  monitor: string,
  key: string,
  severity: Severity,
  limit: number,
  observed: number,
  stamp: number,
  message: string,
): SafetyEvent {
  return { monitor, key, limit, observed, stamp, severity, message };
}

/** The worse of two severities. */
export function worse(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/**
 * What an event is about:
 *   policy_output    the policy's own output: a crash, a late or non-finite action, actions off the dataset's
 *                    support. In shadow something else drives the robot, so only these are the policy's doing.
 *   untrusted_state  the state itself cannot be trusted (stale, non-finite): a fallback would act on it too.
 *   robot            the robot's state and returns: joint limits, states off support, return collapse.
 *   node             the node's own code: a callback threw (node_callback), so nothing it computes is trusted.
 */
export type EventSubject = "policy_output" | "untrusted_state" | "robot" | "node";

export function eventSubject(e: Pick<SafetyEvent, "monitor" | "key">): EventSubject {
  switch (e.monitor) {
    case "policy":
    case "control_deadline":
    case "support_gap":
      return "policy_output";
    case "stale_state":
      return "untrusted_state";
    case "node_callback":
      return "node";
    case "non_finite":
      return e.key === "policy_output"
        ? "policy_output"
        : e.key === "observation"
          ? "untrusted_state"
          : "robot";
    default:
      return "robot";
  }
}

export function judgesPolicyOutput(e: Pick<SafetyEvent, "monitor" | "key">): boolean {
  return eventSubject(e) === "policy_output";
}
