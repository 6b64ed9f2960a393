/**
 * Level-triggered monitors report every violating tick; /diagnostics gets each (monitor, key, severity) at
 * most once per `periodMs`, and at once when it is new or worse than what was last sent.
 */
import { SEVERITY_RANK, type SafetyEvent } from "../../safety/events.js";

export class DiagnosticsThrottle {
  private readonly last = new Map<string, { at: number; rank: number }>();

  constructor(private readonly periodMs: number) {}

  /** The events to send now (a subset of `events`, in order). */
  select(events: readonly SafetyEvent[], nowMs: number): SafetyEvent[] {
    const out: SafetyEvent[] = [];
    for (const e of events) {
      const id = `${e.monitor}/${e.key}`;
      const rank = SEVERITY_RANK[e.severity];
      const prev = this.last.get(id);
      if (prev === undefined || rank > prev.rank || nowMs - prev.at >= this.periodMs) {
        this.last.set(id, { at: nowMs, rank });
        out.push(e);
      }
    }
    return out;
  }
}
