/**
 * logs/<run>/run-state.json: which demo steps completed and what they produced. Written atomically after
 * every step, so an interrupted run (Ctrl-C) is consistent and `tether demo --resume <run-dir>` skips the
 * completed steps.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatasetFormatError } from "../../core/errors.js";

export const RUN_STATE_FILE = "run-state.json";

export type StepStatus = "completed" | "skipped";

export interface StepRecord {
  status: StepStatus;
  /** Why a step was skipped (feature not available, an earlier stage held). */
  reason?: string;
  started_s: number;
  ended_s: number;
  /** What the step produced (paths, metrics, the stage's ledger entry and evidence). */
  output: Record<string, unknown>;
}

export interface RunState {
  run_id: string;
  robot: string;
  preset: string;
  started: string;
  /** Seconds of work before this process (resumed runs). */
  elapsed_before_s: number;
  steps: Record<string, StepRecord>;
  finished: boolean;
}

export function readRunState(dir: string): RunState {
  const file = join(dir, RUN_STATE_FILE);
  if (!existsSync(file))
    throw new DatasetFormatError(
      file,
      undefined,
      "no run-state.json: not a demo run folder (or it never started)",
    );
  try {
    return JSON.parse(readFileSync(file, "utf8")) as RunState;
  } catch (err) {
    throw new DatasetFormatError(file, undefined, `run state is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export function writeRunState(dir: string, state: RunState): void {
  const file = join(dir, RUN_STATE_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + "\n");
  renameSync(`${file}.tmp`, file);
}
