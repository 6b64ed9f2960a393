/** A Batch as engine feeds: the learners' shared input names, checked with the messages the earlier tfjs learners gave. */
import { ShapeMismatchError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { normalizedObs } from "./graph-nets.js";
import type { Batch, LearnerDims } from "./learner.js";

export function checkBatch(batch: Batch, dims: Required<LearnerDims>): void {
  const n = batch.size;
  if (batch.observations.length !== n * dims.obsDim)
    throw new ShapeMismatchError("batch observations", n * dims.obsDim, batch.observations.length);
  if (batch.actions.length !== n * dims.actDim)
    throw new ShapeMismatchError("batch actions", n * dims.actDim, batch.actions.length);
  if (batch.nextObservations.length !== n * dims.obsDim)
    throw new ShapeMismatchError("batch next observations", n * dims.obsDim, batch.nextObservations.length);
  if (batch.rewards.length !== n) throw new ShapeMismatchError("batch rewards", n, batch.rewards.length);
  if (batch.terminals.length !== n)
    throw new ShapeMismatchError("batch terminals", n, batch.terminals.length);
}

/** The batch arrays themselves (ONNX Runtime reads them in place; nothing is copied). */
export function batchFeeds(batch: Batch): Record<string, Float32Array> {
  return {
    observations: batch.observations,
    actions: batch.actions,
    rewards: batch.rewards,
    next_observations: batch.nextObservations,
    terminals: batch.terminals,
  };
}

/** An update graph's transition inputs (the names batchFeeds fills), as the losses use them. */
export interface BatchInputs {
  /** Normalized observations and next observations. */
  obs: Value;
  nextObs: Value;
  act: Value;
  /** Rewards times dims.rewardScale, [n, 1]. */
  rew: Value;
  /** 1 - terminals, [n, 1]. */
  notDone: Value;
}

/**
 * Declares the standard batch inputs of an update graph. The declaration order is the one every learner
 * used before this was shared, so the programs (and their ONNX input lists) are unchanged.
 */
export function batchInputs(g: Graph, n: number, dims: Required<LearnerDims>): BatchInputs {
  const obs = normalizedObs(g, g.input("observations", [n, dims.obsDim]), dims);
  const nextObs = normalizedObs(g, g.input("next_observations", [n, dims.obsDim]), dims);
  const act = g.input("actions", [n, dims.actDim]);
  const rew = g.mul(g.input("rewards", [n, 1]), dims.rewardScale);
  const notDone = g.sub(1, g.input("terminals", [n, 1]));
  return { obs, nextObs, act, rew, notDone };
}

/** TD3's target policy smoothing noise: `size` draws of N(0, std) clipped to ±clip, in draw order. */
export function clippedNoise(rng: Rng, size: number, std: number, clip: number): Float32Array {
  const noise = new Float32Array(size);
  for (let i = 0; i < size; i++) noise[i] = Math.min(clip, Math.max(-clip, rng.normal(0, std)));
  return noise;
}
