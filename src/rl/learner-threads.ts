/**
 * How many JavaScript threads the trainer's learner runs on: one. Every learner trains on the engine
 * (ONNX Runtime), which threads inside each run (`--threads`); `--workers` is kept for scripts that pass
 * `--workers 1`.
 */
import { TetherError } from "../core/errors.js";

export type WorkerCount = 1;

export interface LearnerThreads {
  workers: WorkerCount;
  /** One line for the log, printed next to the engine line. */
  description: string;
}

/** `requested` is `--workers`: 1 or absent. */
export function learnerThreads(requested?: number): LearnerThreads {
  if (requested !== undefined && requested !== 1)
    throw new TetherError(
      "CLI",
      `--workers must be 1, got ${requested} (the engine threads inside ONNX Runtime: use --threads)`,
    );
  const why = requested === 1 ? "--workers 1" : "the engine threads inside ONNX Runtime";
  return { workers: 1, description: `learner: 1 thread (${why})` };
}
