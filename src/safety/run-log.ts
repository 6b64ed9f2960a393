/** The run log the node edge records (MCAP writers, JSON files, tests): an append-only sink of entries. */
import type { SafetyEvent } from "./events.js";
import type { ControlSource } from "./fallback.js";

export type RunLogEntry =
  | { kind: "event"; tick: number; event: SafetyEvent }
  | { kind: "estop"; tick: number; engaged: boolean; by: string; cause?: SafetyEvent }
  | { kind: "source"; tick: number; from: ControlSource; to: ControlSource };

export interface RunLog {
  record(entry: RunLogEntry): void;
}

export class ArrayRunLog implements RunLog {
  readonly entries: RunLogEntry[] = [];
  record(entry: RunLogEntry): void {
    this.entries.push(entry);
  }
}
