/**
 * How many JavaScript threads the trainer's learner runs on: one. Every learner trains on the engine
 * (ONNX Runtime), which threads inside each run (`--threads`); `--workers` is kept for scripts that pass
 * `--workers 1`.
 */
import { TetherError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import type { AlgoName, Learner, LearnerDims } from "./algos/learner.js";
import { createLearner } from "./algos/registry.js";

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

/** The trainer's learner. */
export function createTrainingLearner(
  algo: AlgoName,
  config: Record<string, unknown>,
  dims: LearnerDims,
  rng: Rng,
  options: { workers?: number },
): { learner: Learner; threads: LearnerThreads } {
  const threads = learnerThreads(options.workers);
  return { learner: createLearner(algo, config, dims, rng), threads };
}
