/** A run log on disk: one JSON object per line (events, e-stop changes, source changes). */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { RunLog, RunLogEntry } from "../../safety/run-log.js";

export class JsonlRunLog implements RunLog {
  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  record(entry: RunLogEntry): void {
    appendFileSync(this.file, JSON.stringify({ t: new Date().toISOString(), ...entry }) + "\n");
  }
}

/** Sends each entry to several logs. */
export function teeRunLog(...logs: RunLog[]): RunLog {
  return { record: (entry) => logs.forEach((l) => l.record(entry)) };
}
