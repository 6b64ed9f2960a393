/**
 * BC on tfjs with a hand-written gradient: what bc.ts (the engine learner) was checked against in
 * test/rl/algos/engine-match.test.ts. It leaves with tfjs.
 *
 * BC — behaviour cloning: a deterministic tanh actor regressed onto dataset actions (mean squared error).
 * The baseline every offline RL result is compared with (as d3rlpy's BC and CORL's any_percent_bc).
 *
 * Metrics: loss/actor (MSE per action dimension).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../core/rng.js";
import { DeterministicActor } from "../networks/actor.js";
import { ADAM_DEFAULTS } from "../networks/adam.js";
import type { ActorWeights } from "../networks/weights-format.js";
import {
  actWith,
  batchTensors,
  completeDims,
  loadModule,
  readMetrics,
  saveModule,
  type Batch,
  type Learner,
  type LearnerDims,
  type Metrics,
  type StateDict,
  exportActor,
} from "./learner.js";
import { BC_DEFAULTS, type BcConfig } from "./bc.js";

export class TfjsBcLearner implements Learner {
  readonly algo = "bc" as const;
  readonly dims: Required<LearnerDims>;
  readonly actor: DeterministicActor;
  step = 0;

  constructor(
    readonly config: BcConfig,
    dims: LearnerDims,
    rng: Rng,
  ) {
    this.dims = completeDims(dims);
    this.actor = new DeterministicActor(dims.obsDim, dims.actDim, config.hidden, rng.fork(), {
      ...ADAM_DEFAULTS,
      lr: config.lr,
    });
  }

  update(batch: Batch): Metrics {
    const metrics = tf.tidy(() => {
      const b = batchTensors(batch, this.dims, 0);
      const pi = this.actor.forward(b.obs);
      // L = mean((π(s) - a)²) over batch and dimensions; dL/dπ = 2(π - a)/(B·A).
      const err = tf.sub(pi.out, b.act);
      const loss = tf.mean(tf.square(err));
      this.actor.optimizer.apply(
        this.actor.backward(pi, tf.mul(err, 2 / (batch.size * this.dims.actDim)) as tf.Tensor2D),
      );
      return readMetrics({ "loss/actor": loss });
    });
    this.step += 1;
    return metrics;
  }

  act(observations: Float32Array): Float32Array {
    return actWith(this.dims, observations, (obs) => this.actor.act(obs));
  }

  stateDict(): StateDict {
    const state: StateDict = { algo: this.algo, step: this.step, arrays: {}, scalars: {} };
    saveModule(state, "actor", this.actor);
    return state;
  }

  loadStateDict(state: StateDict): void {
    loadModule(state, "actor", this.actor);
    this.step = state.step;
  }

  actorWeights(): ActorWeights {
    return exportActor(this.dims, this.actor);
  }

  dispose(): void {
    this.actor.dispose();
  }
}

export function createTfjs(config: Partial<BcConfig>, dims: LearnerDims, rng: Rng): TfjsBcLearner {
  return new TfjsBcLearner({ ...BC_DEFAULTS, ...config }, dims, rng);
}
