/**
 * DT — Decision Transformer (Chen et al. 2021, https://arxiv.org/abs/2106.01345): reinforcement learning as
 * sequence modeling. A causal transformer (dt-model.ts) reads the last K steps of (return-to-go, state,
 * action) and regresses the action at each state token (mean squared error over real steps, CORL's
 * `(loss * mask).mean()`); at evaluation it is conditioned on a target return, which falls by each reward
 * received (dt-context.ts).
 *
 * CORL's defaults (dt.py) scaled down for a two-core CPU: embedding 64 (CORL 128), 2 layers (CORL 3),
 * 1 head, K = 20, returns-to-go × 0.001, lr 1e-4 with a linear warmup over 1000 updates (CORL 10k of 100k),
 * timestep table 1000 steps. Not done here: dropout (CORL 0.1), AdamW's weight decay (1e-4) and gradient
 * clipping (0.25).
 *
 * Metrics: loss/actor (masked MSE per action dimension).
 */
import { TetherError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import type { Graph } from "../../tensor/graph.js";
import { ADAM_DEFAULTS } from "../../tensor/optim.js";
import type { ActorWeights } from "../networks/weights-format.js";
import { DtModel, type DtInputs } from "./dt-model.js";
import type { SegmentBatch } from "./dt-segments.js";
import { GraphTrainer, type GroupValues, type Optimize, type UpdateGraph } from "./graph-trainer.js";
import {
  completeDims,
  type Batch,
  type Learner,
  type LearnerDims,
  type Metrics,
  type StateDict,
} from "./learner.js";

export interface DtConfig {
  /** Token embedding width. */
  embedDim: number;
  /** Transformer blocks. */
  layers: number;
  /** Attention heads per block. */
  heads: number;
  /** K: steps of context (3K tokens). */
  contextLength: number;
  /** Rows of the timestep embedding table; later timesteps share the last row. */
  maxEpisodeLength: number;
  /** Adam learning rate. */
  lr: number;
  /** The learning rate rises linearly from lr/warmupSteps to lr over the first updates (0: none). */
  warmupSteps: number;
  /** Returns-to-go are multiplied by this before embedding (CORL's reward_scale). */
  returnScale: number;
}

export const DT_DEFAULTS: DtConfig = {
  embedDim: 64,
  layers: 2,
  heads: 1,
  contextLength: 20,
  maxEpisodeLength: 1000,
  lr: 1e-4,
  warmupSteps: 1000,
  returnScale: 0.001,
};

/** The raw arrays of B rows of K steps (a SegmentBatch, or one context window at inference). */
export type DtWindow = Pick<SegmentBatch, "observations" | "actions" | "returnsToGo" | "timesteps" | "mask">;

export class DtLearner implements Learner {
  readonly algo = "dt" as const;
  readonly dims: Required<LearnerDims>;
  readonly model: DtModel;
  private readonly trainer: GraphTrainer;
  /** The timesteps as int64 Gather indices, one buffer per batch size. */
  private readonly indexBuffers = new Map<number, BigInt64Array>();
  step = 0;
  /** The return evaluation conditions on (raw, unscaled): the trainer sets the dataset's best by default. */
  targetReturn = 0;

  constructor(
    readonly config: DtConfig,
    dims: LearnerDims,
    rng: Rng,
  ) {
    this.dims = completeDims(dims);
    this.model = new DtModel({
      obsDim: this.dims.obsDim,
      actDim: this.dims.actDim,
      embedDim: config.embedDim,
      layers: config.layers,
      heads: config.heads,
      contextLength: config.contextLength,
      timesteps: config.maxEpisodeLength,
    });
    this.trainer = new GraphTrainer(
      "dt",
      [
        {
          group: this.model.group,
          init: this.model.init(rng.fork()),
          adam: { ...ADAM_DEFAULTS, lr: config.lr },
          // CORL's LambdaLR: min((step + 1) / warmup_steps, 1), its step counted from 0.
          lrScale: (t) => (config.warmupSteps > 0 ? Math.min(t / config.warmupSteps, 1) : 1),
        },
      ],
      (g, nets, n, optimize) => this.buildUpdate(g, nets, n, optimize),
    );
  }

  get contextLength(): number {
    return this.config.contextLength;
  }

  /** The model's inputs for `b` rows: raw observations normalized and returns scaled in the graph. */
  private inputs(g: Graph, b: number): DtInputs {
    const { obsDim, actDim, obsMean, obsStd } = this.dims;
    const k = this.config.contextLength;
    const obs = g.input("observations", [b, k, obsDim]);
    return {
      observations: g.div(g.sub(obs, g.constant(obsMean, [obsDim])), g.constant(obsStd, [obsDim])),
      actions: g.input("actions", [b, k, actDim]),
      returnsToGo: g.mul(g.input("returns_to_go", [b, k, 1]), this.config.returnScale),
      timesteps: g.inputInt64("timesteps", [b, k]),
      mask: g.input("mask", [b, k]),
    };
  }

  /** L = mean(mask · (π(τ) - a)²) over rows, steps and action dimensions (padding counts as 0). */
  private buildUpdate(
    g: Graph,
    nets: Record<string, GroupValues>,
    b: number,
    optimize: Optimize,
  ): UpdateGraph {
    const x = this.inputs(g, b);
    const rows = b * this.config.contextLength;
    const predicted = this.model.forward(g, nets[this.model.group.name], x);
    const target = g.reshape(x.actions, [rows, this.dims.actDim]);
    const mask = g.reshape(x.mask, [rows, 1]);
    const loss = g.mean(g.mul(mask, g.square(g.sub(predicted, target))));
    optimize(this.model.group.name, loss);
    return { metrics: { "loss/actor": loss } };
  }

  private feeds(w: DtWindow, b: number): Record<string, Float32Array | BigInt64Array> {
    let indices = this.indexBuffers.get(b);
    if (!indices) {
      indices = new BigInt64Array(b * this.config.contextLength);
      this.indexBuffers.set(b, indices);
    }
    return {
      observations: w.observations,
      actions: w.actions,
      returns_to_go: w.returnsToGo,
      timesteps: this.model.indices(w.timesteps, indices),
      mask: w.mask,
    };
  }

  /** One update on a batch of episode segments. */
  updateSegments(batch: SegmentBatch): Metrics {
    if (batch.contextLength !== this.config.contextLength)
      throw new TetherError(
        "LEARNER",
        `dt: segments of ${batch.contextLength} steps, the model's context is ${this.config.contextLength}`,
      );
    const metrics = this.trainer.update(this.feeds(batch, batch.size), batch.size);
    this.step += 1;
    return metrics;
  }

  /** Predicted actions [B·K, actDim] for `b` context windows (row b·K + t: the action at step t). */
  predict(w: DtWindow, b: number): Float32Array {
    return this.trainer.forward(
      "predict",
      b,
      (g, nets) => this.model.forward(g, nets[this.model.group.name], this.inputs(g, b)),
      this.feeds(w, b),
    );
  }

  /** DT learns from episode segments, not transitions: the trainer calls updateSegments. */
  update(_batch: Batch): Metrics {
    throw new TetherError(
      "LEARNER",
      "dt trains on episode segments (updateSegments with a SegmentSampler), not on transition batches",
    );
  }

  /**
   * Each observation as the first step of an episode conditioned on `targetReturn` (a one-step context);
   * evaluation uses DtContext, which keeps the last K steps and lowers the return by each reward.
   */
  act(observations: Float32Array): Float32Array {
    const { obsDim, actDim } = this.dims;
    const n = observations.length / obsDim;
    const k = this.config.contextLength;
    const out = new Float32Array(n * actDim);
    for (let i = 0; i < n; i++) {
      const w: DtWindow = {
        observations: new Float32Array(k * obsDim),
        actions: new Float32Array(k * actDim),
        returnsToGo: new Float32Array(k),
        timesteps: new Int32Array(k),
        mask: new Float32Array(k),
      };
      w.observations.set(observations.subarray(i * obsDim, (i + 1) * obsDim), (k - 1) * obsDim);
      w.returnsToGo[k - 1] = this.targetReturn;
      w.mask[k - 1] = 1;
      out.set(this.predict(w, 1).subarray((k - 1) * actDim, k * actDim), i * actDim);
    }
    return out;
  }

  /** The flat parameters (ParamGroup layout). */
  parameters(): Float32Array {
    return this.trainer.read(this.model.group.name);
  }

  stateDict(): StateDict {
    const state: StateDict = { algo: this.algo, step: this.step, arrays: {}, scalars: {} };
    this.trainer.save(state);
    return state;
  }

  loadStateDict(state: StateDict): void {
    this.trainer.load(state);
    this.step = state.step;
  }

  actorWeights(): ActorWeights {
    throw new TetherError(
      "LEARNER",
      "dt has no MLP actor to export: its policy is the transformer over a context window",
    );
  }

  dispose(): void {
    this.trainer.dispose();
  }
}

export function create(config: Partial<DtConfig>, dims: LearnerDims, rng: Rng): DtLearner {
  return new DtLearner({ ...DT_DEFAULTS, ...config }, dims, rng);
}
