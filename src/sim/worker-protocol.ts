/** Messages between VectorEnv / collectEpisodes (parent) and src/sim/vector-worker.ts. */
import type { CollectedEpisode, ControllerModuleSpec, EpisodeJob } from "./episode-runner.js";

export type WorkerRequest =
  | { id: number; type: "init"; robotDir: string; envSeeds: number[] }
  | { id: number; type: "reset"; seeds: (number | null)[] }
  | { id: number; type: "step"; actions: Float64Array; autoReset: boolean }
  | {
      id: number;
      type: "episodes";
      robotDir: string;
      jobs: EpisodeJob[];
      includeSignals: boolean;
      controller?: ControllerModuleSpec;
    }
  | { id: number; type: "close" };

export interface BatchState {
  observations: Float32Array;
  signals: Float64Array;
}

export interface BatchStep extends BatchState {
  rewards: Float64Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** Observation that ended an episode (rows where terminated or truncated) before auto-reset. */
  finalObservations: Float32Array;
}

export type WorkerResponse =
  | { id: number; type: "ready"; obsDim: number; actDim: number; sigDim: number }
  | ({ id: number; type: "state" } & BatchState)
  | ({ id: number; type: "stepped" } & BatchStep)
  | { id: number; type: "episode"; episode: CollectedEpisode }
  | { id: number; type: "done" }
  | { id: number; type: "error"; error: { name: string; code?: string; message: string } };
