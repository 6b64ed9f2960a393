/**
 * The networks and loss pieces the engine learners share, as graph nodes: observation normalization, twin
 * Q, V, advantage weights, and the weighted actor (deterministic or tanh-Gaussian) with its act/export.
 */
import { ShapeMismatchError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { ADAM_DEFAULTS } from "../../tensor/optim.js";
import {
  assertFreeLogStd,
  deterministicActorSpec,
  gaussianActorSpec,
  LOG_STD_MAX,
  LOG_STD_MIN,
  logStdWeightIndices,
} from "../networks/actor-spec.js";
import type { LogStdMode } from "../networks/actor-spec.js";
import { mlpGraph, ParamGroup } from "../networks/graph-mlp.js";
import { initParams, type MlpSpec } from "../networks/mlp-spec.js";
import { EXP_ADV_MAX, type ActorForm } from "../networks/actor-spec.js";
import type { ActorWeights } from "../networks/weights-format.js";
import type { GraphTrainer, GroupConfig, GroupValues } from "./graph-trainer.js";
import type { LearnerDims } from "./learner.js";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The twin critics' specs; with `layerNorm`, followed by one [1, width] "layer" per critic and hidden layer
 * that holds that layer norm's gain (as weights) and bias, so the norms live in the same parameter group.
 */
export function twinQSpecs(obsDim: number, actDim: number, hidden: number[], layerNorm = false): MlpSpec[] {
  const spec: MlpSpec = { sizes: [obsDim + actDim, ...hidden, 1], hidden: "relu", output: "linear" };
  const norms = layerNorm ? layerNormSpecs(hidden) : [];
  return [spec, spec, ...norms, ...norms];
}

/** One [1, width] "layer" per hidden layer, holding that layer norm's gain (as weights) and bias. */
export function layerNormSpecs(hidden: number[]): MlpSpec[] {
  return hidden.map((h) => ({ sizes: [1, h], hidden: "relu", output: "linear" }));
}

/** Sets the layer norms of `group` (its specs from index `first` on) to gain 1 and bias 0 in `values`. */
export function resetLayerNorms(group: ParamGroup, values: Float32Array, first: number): void {
  for (let i = first; i < group.specs.length; i++) {
    const [o, h] = [group.offsets[i], group.specs[i].sizes[1]];
    values.fill(1, o, o + h);
    values.fill(0, o + h, o + 2 * h);
  }
}

/** Initial twin-Q parameters: the MLPs as every learner's, layer-norm gains 1 and biases 0. */
export function twinQInit(group: ParamGroup, rng: Rng): Float32Array {
  const values = initParams(group.specs, rng);
  resetLayerNorms(group, values, 2);
  return values;
}

/** The trainer's twin-Q group "q": twin critics with a target copy and Adam at `lr`, drawn from one fork of `rng`. */
export function twinQGroup(
  dims: { obsDim: number; actDim: number },
  critic: { hidden: number[]; criticLayerNorm: boolean },
  lr: number,
  rng: Rng,
): GroupConfig {
  const group = new ParamGroup(
    "q",
    twinQSpecs(dims.obsDim, dims.actDim, critic.hidden, critic.criticLayerNorm),
  );
  return { group, init: twinQInit(group, rng.fork()), adam: { ...ADAM_DEFAULTS, lr }, target: true };
}

export function valueSpec(obsDim: number, hidden: number[]): MlpSpec {
  return { sizes: [obsDim, ...hidden, 1], hidden: "relu", output: "linear" };
}

/** (obs - mean) / std with the dataset statistics as constants. */
export function normalizedObs(g: Graph, obs: Value, dims: Required<LearnerDims>): Value {
  return g.div(g.sub(obs, g.constant(dims.obsMean, [dims.obsDim])), g.constant(dims.obsStd, [dims.obsDim]));
}

/** Q1(s, a), Q2(s, a) of the online or target networks (`layerNorm`: a group built with it). */
export function twinQ(
  g: Graph,
  q: GroupValues,
  obs: Value,
  act: Value,
  which: "params" | "target" = "params",
  layerNorm = false,
): [Value, Value] {
  const x = g.concat([obs, act], 1);
  const net = (i: number): Value => {
    const layers = q.layers(i, which);
    const sizes = [x.shape[1], ...layers.map((l) => l.w.shape[1])];
    const hidden = layers.length - 1;
    const norms = layerNorm
      ? Array.from({ length: hidden }, (_, l) => q.layers(2 + i * hidden + l, which)[0])
      : undefined;
    return mlpGraph(g, { sizes, hidden: "relu", output: "linear" }, layers, x, norms);
  };
  return [net(0), net(1)];
}

/** IQL's and AWAC's sample weights: min(exp(scaled advantage), EXP_ADV_MAX). */
export function advantageWeights(g: Graph, scaled: Value): Value {
  return g.min(g.exp(scaled), EXP_ADV_MAX);
}

/** (Σw)² / (n Σw²): 1 when all weights are equal, 1/n when one sample carries the batch. */
export function effectiveSampleSize(g: Graph, w: Value): Value {
  const n = w.shape[0];
  return g.div(g.square(g.sum(w)), g.mul(g.sum(g.square(w)), n));
}

/** A Gaussian actor's outputs: pre-tanh mean and soft-clamped log-std, [B, A] each. */
export function gaussianHead(g: Graph, out: Value, actDim: number): { mean: Value; logStd: Value } {
  const mean = g.slice(out, 1, 0, actDim);
  const raw = g.slice(out, 1, actDim, 2 * actDim);
  const half = 0.5 * (LOG_STD_MAX - LOG_STD_MIN);
  return { mean, logStd: g.add(LOG_STD_MIN + half, g.mul(g.tanh(raw), half)) };
}

/** log N(a; tanh(mean), exp(logStd)) summed over action dimensions, [B, 1]. */
export function gaussianLogProb(g: Graph, head: { mean: Value; logStd: Value }, actions: Value): Value {
  const mu = g.tanh(head.mean);
  const invVar = g.exp(g.mul(head.logStd, -2));
  const z2 = g.mul(g.square(g.sub(actions, mu)), invVar);
  return g.sum(g.sub(g.mul(z2, -0.5), g.add(head.logStd, HALF_LOG_2PI)), [1], true);
}

export interface ActorConfig {
  actor: ActorForm;
  logStd: LogStdMode;
  hidden: number[];
}

/** The weighted actor of IQL and AWAC (and BC, weights 1) on the engine. */
export class GraphActor {
  readonly kind: ActorWeights["kind"];
  readonly spec: MlpSpec;
  readonly group: ParamGroup;

  constructor(
    readonly config: ActorConfig,
    readonly obsDim: number,
    readonly actDim: number,
  ) {
    const gaussian = config.actor === "gaussian";
    this.kind = gaussian ? "tanh-gaussian" : "deterministic";
    this.spec = gaussian
      ? gaussianActorSpec(obsDim, actDim, config.hidden)
      : deterministicActorSpec(obsDim, actDim, config.hidden);
    this.group = new ParamGroup("actor", [this.spec]);
  }

  private get free(): boolean {
    return this.kind === "tanh-gaussian" && this.config.logStd === "free";
  }

  /** The earlier tfjs actors' initialization (free log-std: its incoming weights zero). */
  init(rng: Rng): Float32Array {
    const values = initParams([this.spec], rng);
    if (this.free) for (const i of logStdWeightIndices(this.spec, this.actDim)) values[i] = 0;
    return values;
  }

  /** The network's output; with a free log-std its incoming weights are masked, so they stay zero. */
  forward(g: Graph, net: GroupValues, obs: Value): Value {
    const layers = net.layers(0);
    if (this.free) {
      const last = layers[layers.length - 1];
      const [inDim, outDim] = last.w.shape;
      const mask = new Array<number>(inDim * outDim).fill(1);
      for (let i = 0; i < inDim; i++) for (let j = this.actDim; j < outDim; j++) mask[i * outDim + j] = 0;
      layers[layers.length - 1] = { w: g.mul(last.w, g.constant(mask, [inDim, outDim])), b: last.b };
    }
    return mlpGraph(g, this.spec, layers, obs);
  }

  /** Deterministic action in [-1, 1]. */
  action(g: Graph, net: GroupValues, obs: Value): Value {
    const out = this.forward(g, net, obs);
    return this.kind === "deterministic" ? out : g.tanh(g.slice(out, 1, 0, this.actDim));
  }

  /**
   * Weighted regression onto dataset actions: mean(w · (π(s) - a)²) for the deterministic actor (BC's MSE
   * when w = 1), -mean(w · log π(a|s)) for the Gaussian.
   */
  weightedLoss(g: Graph, net: GroupValues, obs: Value, actions: Value, weights: Value): Value {
    const out = this.forward(g, net, obs);
    if (this.kind === "deterministic") return g.mean(g.mul(weights, g.square(g.sub(out, actions))));
    const logProb = gaussianLogProb(g, gaussianHead(g, out, this.actDim), actions);
    return g.neg(g.mean(g.mul(weights, logProb)));
  }

  act(trainer: GraphTrainer, observations: Float32Array, dims: Required<LearnerDims>): Float32Array {
    const n = observations.length / dims.obsDim;
    if (!Number.isInteger(n))
      throw new ShapeMismatchError(
        "observations length (multiple of obsDim)",
        `k*${dims.obsDim}`,
        observations.length,
      );
    return trainer.forward(
      "act",
      n,
      (g, nets) =>
        this.action(
          g,
          nets[this.group.name],
          normalizedObs(g, g.input("observations", [n, dims.obsDim]), dims),
        ),
      { observations },
    );
  }

  export(trainer: GraphTrainer, dims: Required<LearnerDims>): ActorWeights {
    return {
      kind: this.kind,
      obsDim: dims.obsDim,
      actDim: dims.actDim,
      network: this.group.exportNetwork(0, trainer.read(this.group.name)),
      obsMean: dims.obsMean,
      obsStd: dims.obsStd,
    };
  }

  checkLoadable(values?: Float32Array): void {
    if (this.free) assertFreeLogStd(this.spec, this.actDim, this.group.size, values);
  }
}

export interface TwinQActorOptions {
  /** Hidden sizes of the critics and of the actor. */
  hidden: number[];
  criticLayerNorm: boolean;
  actor: ActorForm;
  logStd: LogStdMode;
  criticLr: number;
  actorLr: number;
  /** The actor keeps a Polyak target copy (TD3+BC's and ReBRAC's target policy). */
  actorTarget: boolean;
}

/**
 * The twin critics and the actor of TD3+BC, ReBRAC, CQL/Cal-QL and AWAC, as the trainer's groups "q" then
 * "actor". Draw order: twin Q from the first fork of `rng`, the actor from the second, the order of the
 * earlier tfjs learners, so seeds and checkpoints carry over; the caller forks its own streams (noise) after.
 * IQL draws its V between the two, so it builds them itself (twinQGroup, V, GraphActor).
 */
export function twinQActor(
  dims: { obsDim: number; actDim: number },
  options: TwinQActorOptions,
  rng: Rng,
): { actor: GraphActor; groups: GroupConfig[] } {
  const q = twinQGroup(dims, options, options.criticLr, rng);
  const actor = new GraphActor(
    { actor: options.actor, logStd: options.logStd, hidden: options.hidden },
    dims.obsDim,
    dims.actDim,
  );
  const init = actor.init(rng.fork());
  const adam = { ...ADAM_DEFAULTS, lr: options.actorLr };
  return { actor, groups: [q, { group: actor.group, init, adam, target: options.actorTarget }] };
}
