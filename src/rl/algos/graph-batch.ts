/** A Batch as engine feeds: the learners' shared input names, checked with the messages the earlier tfjs learners gave. */
import { ShapeMismatchError } from "../../core/errors.js";
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
