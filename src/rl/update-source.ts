/**
 * What one training update consumes: a uniform batch of transitions for most learners, a batch of episode
 * segments for the Decision Transformer (which also takes its target return from the dataset here).
 */
import type { Rng } from "../core/rng.js";
import type { TransitionColumns } from "../core/transitions.js";
import { DtLearner } from "./algos/dt.js";
import { SegmentSampler } from "./algos/dt-segments.js";
import type { Learner, Metrics } from "./algos/learner.js";
import { TransitionSampler, type SamplerExtras } from "./replay.js";

export interface UpdateSource {
  /** Samples a batch with `rng` and runs one update on it. */
  update(rng: Rng): Metrics;
  /** DT only: the return evaluation conditions on (`--target-return`, else the dataset's best episode). */
  targetReturn?: number;
}

export function updateSource(
  learner: Learner,
  cols: TransitionColumns,
  batchSize: number,
  source: string,
  options: { extras?: SamplerExtras; targetReturn?: number } = {},
): UpdateSource {
  const { extras, targetReturn } = options;
  if (learner instanceof DtLearner) {
    const sampler = new SegmentSampler(cols, batchSize, learner.contextLength, source);
    learner.targetReturn = targetReturn ?? sampler.bestReturn();
    return {
      update: (rng) => learner.updateSegments(sampler.sample(rng)),
      targetReturn: learner.targetReturn,
    };
  }
  const sampler = new TransitionSampler(cols, batchSize, extras);
  return { update: (rng) => learner.update(sampler.sample(rng)) };
}
