/**
 * What every algorithm file exports and what the trainer drives: a config, `create(config, dims, rng)`
 * returning a Learner with `update(batch) -> metrics`, `act`, `stateDict` / `loadStateDict`, `actorWeights`.
 */
import { ShapeMismatchError, TetherError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import type { ActorWeights } from "../networks/weights-format.js";

export const ALGO_NAMES = ["iql", "awac", "td3bc", "bc", "cql", "calql", "rebrac", "dt"] as const;
export type AlgoName = (typeof ALGO_NAMES)[number];

/** Config fields of every learner's networks; one place for the defaults the papers share. */
export interface NetworkConfig {
  /** Hidden layer widths of every network the learner owns. */
  hidden: number[];
  /** Adam learning rate of every network the learner owns. */
  lr: number;
}

/** Config fields of every learner with a critic. */
export interface CriticConfig {
  /** Discount γ. */
  discount: number;
  /** Polyak rate of the target networks. */
  tau: number;
  /**
   * LayerNorm after each hidden ReLU of the critics (ReBRAC's, on by default there; an option for the others,
   * off by default so their checkpoints keep their shape). Set when training offline: it changes the weights.
   */
  criticLayerNorm: boolean;
}

export const NETWORK_DEFAULTS: NetworkConfig = { hidden: [256, 256], lr: 3e-4 };
export const CRITIC_DEFAULTS: CriticConfig = { discount: 0.99, tau: 0.005, criticLayerNorm: false };

/** Dimensions and dataset statistics a learner is built for. */
export interface LearnerDims {
  obsDim: number;
  actDim: number;
  /** Observation normalization (dataset mean and std, std floored). Identity when omitted. */
  obsMean?: Float32Array;
  obsStd?: Float32Array;
  /** Multiplies rewards before learning (e.g. IQL's 1000 / (max return - min return)). Default 1. */
  rewardScale?: number;
}

/** A mini-batch of raw transitions (observations unnormalized, actions in [-1, 1]). */
export interface Batch {
  size: number;
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  /** 1 where the next state is terminal (no bootstrap). */
  terminals: Float32Array;
  /** The dataset's action at the next state (ReBRAC's critic penalty); sampled when the algorithm asks. */
  nextActions?: Float32Array;
  /** The discounted return-to-go from this state (Cal-QL's lower bound); sampled when the algorithm asks. */
  mcReturns?: Float32Array;
}

export type Metrics = Record<string, number>;

export interface StateDict {
  algo: AlgoName;
  step: number;
  /** Named flat arrays: network parameters and optimizer moments. */
  arrays: Record<string, Float32Array>;
  /** Named scalars (optimizer step counts, temperatures). */
  scalars: Record<string, number>;
}

export interface Learner {
  readonly algo: AlgoName;
  readonly dims: Required<LearnerDims>;
  /** Number of updates done so far. */
  readonly step: number;
  update(batch: Batch): Metrics;
  /** Deterministic actions in [-1, 1] for `n` raw observations laid out row by row. */
  act(observations: Float32Array): Float32Array;
  stateDict(): StateDict;
  loadStateDict(state: StateDict): void;
  /**
   * Called by the fine-tune loop before its online updates: ReBRAC decays its BC penalties over `updates`
   * updates from its offline weights; 0 keeps the offline weights for the whole run.
   */
  beginFinetune?(plan: { updates: number }): void;
  actorWeights(): ActorWeights;
  dispose(): void;
}

export function completeDims(dims: LearnerDims): Required<LearnerDims> {
  const obsMean = dims.obsMean ?? new Float32Array(dims.obsDim);
  const obsStd = dims.obsStd ?? new Float32Array(dims.obsDim).fill(1);
  if (obsMean.length !== dims.obsDim)
    throw new ShapeMismatchError("observation mean", dims.obsDim, obsMean.length);
  if (obsStd.length !== dims.obsDim)
    throw new ShapeMismatchError("observation std", dims.obsDim, obsStd.length);
  return { obsDim: dims.obsDim, actDim: dims.actDim, obsMean, obsStd, rewardScale: dims.rewardScale ?? 1 };
}

/** A learner was handed a state dict from another algorithm or with missing/misshaped arrays. */
export function checkStateArray(state: StateDict, name: string, size: number): Float32Array {
  const a = state.arrays[name];
  if (!a)
    throw new TetherError("STATE_DICT", `state dict for ${state.algo} has no array "${name}"`, { name });
  if (a.length !== size) throw new ShapeMismatchError(`state dict array ${name}`, size, a.length);
  return a;
}

/**
 * Stores a generator's exact position as scalars `<name>/word0..3` (+ `<name>/spare_normal`), so a resumed
 * run draws the same noise as one that never stopped.
 */
export function saveRng(state: StateDict, name: string, rng: Rng): void {
  const { words, spareNormal } = rng.state();
  words.forEach((w, i) => (state.scalars[`${name}/word${i}`] = w));
  if (spareNormal !== undefined) state.scalars[`${name}/spare_normal`] = spareNormal;
}

/** The generator saved by `saveRng`, or `fallback` for checkpoints written before it was saved. */
export function loadRng(state: StateDict, name: string, fallback: Rng): Rng {
  const words = [0, 1, 2, 3].map((i) => state.scalars[`${name}/word${i}`]);
  if (words.every((w) => w === undefined)) return fallback;
  try {
    return Rng.fromState({
      words: words as [number, number, number, number],
      spareNormal: state.scalars[`${name}/spare_normal`],
    });
  } catch (err) {
    throw new TetherError("STATE_DICT", `state dict for ${state.algo}: ${name}: ${(err as Error).message}`, {
      name,
    });
  }
}
