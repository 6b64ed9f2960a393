/**
 * How many JavaScript threads the trainer's learner runs on. IQL trains on the engine (ONNX Runtime),
 * which threads inside each run (`--threads`), so every learner uses 1 by default. `--workers 2` still
 * selects the tfjs two-thread IQL learner (algos/iql-parallel.ts) on wasm/cpu until tfjs leaves.
 */
import * as tf from "@tensorflow/tfjs-core";
import { TetherError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import { ParallelIqlLearner } from "./algos/iql-parallel.js";
import type { AlgoName, Learner, LearnerDims } from "./algos/learner.js";
import { createLearner } from "./algos/registry.js";

export type WorkerCount = 1 | 2;

export interface LearnerThreads {
  workers: WorkerCount;
  /** One line for the log, printed next to the backend line. */
  description: string;
}

const THREADABLE_BACKENDS = ["wasm", "cpu"] as const;
type ThreadableBackend = (typeof THREADABLE_BACKENDS)[number];

function threadable(backend: string): backend is ThreadableBackend {
  return (THREADABLE_BACKENDS as readonly string[]).includes(backend);
}

/** `backend` is the active backend's name (BackendName or tf.getBackend()); `requested` is `--workers`. */
export function learnerThreads(algo: AlgoName, backend: string, requested?: number): LearnerThreads {
  if (requested !== undefined && requested !== 1 && requested !== 2)
    throw new TetherError("CLI", `--workers must be 1 or 2, got ${requested}`);
  if (requested === 2) {
    if (algo !== "iql")
      throw new TetherError("CLI", `--workers 2 is implemented for --algo iql only, got --algo ${algo}`);
    if (!threadable(backend))
      throw new TetherError("CLI", `--workers 2 needs the wasm or cpu backend, the active one is ${backend}`);
  }
  let why: string;
  if (requested === 1) why = "--workers 1";
  else if (requested === 2) why = "--workers 2";
  else if (algo === "iql") why = "IQL on the engine threads inside ONNX Runtime";
  else why = `${algo} has no parallel learner`;
  const workers: WorkerCount = requested === 2 ? 2 : 1;
  const description =
    workers === 2
      ? `learner: tfjs IQL on 2 worker threads (twin Q | V + actor; ${why})`
      : `learner: 1 thread (${why})`;
  return { workers, description };
}

/** The trainer's learner on the thread count `learnerThreads` picks for the active tf backend. */
export async function createTrainingLearner(
  algo: AlgoName,
  config: Record<string, unknown>,
  dims: LearnerDims,
  rng: Rng,
  options: { workers?: number; batchSize: number },
): Promise<{ learner: Learner; threads: LearnerThreads }> {
  const backend = tf.getBackend();
  const threads = learnerThreads(algo, backend, options.workers);
  if (threads.workers === 1) return { learner: createLearner(algo, config, dims, rng), threads };
  const learner = await ParallelIqlLearner.start(config, dims, rng, {
    backend: backend as ThreadableBackend,
    batchCapacity: options.batchSize,
  });
  return { learner, threads };
}
