import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../src/core/rng.js";
import type { DatasetWriterOptions } from "../../src/data/dataset-writer.js";

export function tempDir(prefix = "tether-data-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const LAYOUT: DatasetWriterOptions = {
  robot: "toy",
  obsNames: ["x", "y", "vx"],
  actNames: ["fx", "fy"],
  actionRanges: [
    [-2, 2],
    [0, 10],
  ],
  source: "test",
  behavior: "random",
  flushIntervalMs: 0,
};

/** A random episode of `steps` transitions with values that are easy to check (finite, varied). */
export interface TestEpisode {
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  terminals: Uint8Array;
  timeouts: Uint8Array;
  timestamps: Float64Array;
}

export function randomEpisode(rng: Rng, steps: number, obsDim = 3, actDim = 2): TestEpisode {
  const observations = Float32Array.from({ length: (steps + 1) * obsDim }, () => rng.normal(0, 2));
  const actions = Float32Array.from({ length: steps * actDim }, (_, i) =>
    i % actDim === 0 ? rng.uniform(-2, 2) : rng.uniform(0, 10),
  );
  const rewards = Float32Array.from({ length: steps }, () => rng.normal(-1, 1));
  const terminals = new Uint8Array(steps);
  const timeouts = new Uint8Array(steps);
  if (steps > 0) (rng.next() < 0.5 ? terminals : timeouts)[steps - 1] = 1;
  const timestamps = Float64Array.from({ length: steps + 1 }, (_, i) => 1000 + i * 0.02);
  return { observations, actions, rewards, terminals, timeouts, timestamps };
}

/** Step t of the long episode the crash tests record with appendStep (LAYOUT dims; finite, varied). */
export function longEpisodeStep(t: number): {
  observation: number[];
  action: number[];
  reward: number;
  timestamp: number;
} {
  return {
    observation: [Math.sin(0.01 * t), Math.cos(0.003 * t) * 2, t / 1000],
    action: [1.5 * Math.sin(0.07 * t), 5 + 4 * Math.cos(0.05 * t)],
    reward: -Math.abs(Math.sin(0.002 * t)),
    timestamp: 1000 + 0.002 * t,
  };
}
