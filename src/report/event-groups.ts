/**
 * Repeated safety events as groups: a level-triggered monitor reports every tick it sees the same condition,
 * and a list of 200 near-identical rows hides the one that matters. A group is one (stage, monitor, key,
 * severity) with its count, its first and last time and its first message.
 */
import { stampSeconds, type SafetyEventRecord } from "./run-summary.js";

export interface EventGroup {
  stage: string;
  monitor: string;
  key: string;
  severity: string;
  count: number;
  /** Seconds, as stampSeconds gives them. */
  first: number;
  last: number;
  /** The first event's message. */
  message: string;
}

/** Groups in order of first appearance in time. */
export function groupEvents(events: readonly SafetyEventRecord[]): EventGroup[] {
  const groups = new Map<string, EventGroup>();
  const sorted = [...events].sort((a, b) => stampSeconds(a.stamp) - stampSeconds(b.stamp));
  for (const e of sorted) {
    const stage = e.stage ?? "";
    const key = e.key ?? "";
    const id = JSON.stringify([stage, e.monitor, key, e.severity]);
    const t = stampSeconds(e.stamp);
    const g = groups.get(id);
    if (g === undefined) {
      groups.set(id, {
        stage,
        monitor: e.monitor,
        key,
        severity: e.severity,
        count: 1,
        first: t,
        last: t,
        message: e.message,
      });
    } else {
      g.count++;
      g.last = t;
    }
  }
  return [...groups.values()];
}

/** Per stage, "shadow: 12 warn; full: 1 error" (empty when there were no events). */
export function severitiesByStage(events: readonly SafetyEventRecord[]): string {
  const byStage = new Map<string, Map<string, number>>();
  for (const e of events) {
    const stage = e.stage ?? "(no stage)";
    const m = byStage.get(stage) ?? new Map<string, number>();
    m.set(e.severity, (m.get(e.severity) ?? 0) + 1);
    byStage.set(stage, m);
  }
  return [...byStage]
    .map(([stage, m]) => `${stage}: ${[...m].map(([sev, n]) => `${n} ${sev}`).join(", ")}`)
    .join("; ");
}
