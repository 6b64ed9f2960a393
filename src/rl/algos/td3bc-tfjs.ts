/**
 * TD3+BC on tfjs with hand-written gradients: what td3bc.ts (the engine learner) was checked against in
 * test/rl/algos/engine-match.test.ts. It leaves with tfjs; config and defaults live in td3bc.ts.
 *
 * TD3+BC (Fujimoto & Gu 2021), https://arxiv.org/abs/2106.06860
 * Reference implementation read: CORL algorithms/offline/td3_bc.py.
 *
 * TD3 with one change to the actor: maximize λ·Q(s, π(s)) - (π(s) - a)², λ = α / mean|Q(s, π(s))|, so the
 * Q term's scale does not depend on the reward scale. Observations are normalized (as the paper does).
 *
 * Metrics: loss/critic (sum of both Q MSEs), loss/actor (-λQ + BC, logged on actor steps), loss/bc
 * (the BC part), values/q (mean Q1 on data), values/lambda.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../core/rng.js";
import { DeterministicActor } from "../networks/actor.js";
import { ADAM_DEFAULTS } from "../networks/adam.js";
import { TwinQ } from "../networks/critic.js";
import type { ParamSet } from "../networks/param-set.js";
import type { ActorWeights } from "../networks/weights-format.js";
import { mlpForward } from "../networks/mlp.js";
import {
  actWith,
  batchTensors,
  completeDims,
  loadModule,
  readMetrics,
  saveModule,
  loadRng,
  saveRng,
  type Batch,
  type Learner,
  type LearnerDims,
  type Metrics,
  type StateDict,
  exportActor,
} from "./learner.js";
import { TD3BC_DEFAULTS, type Td3BcConfig } from "./td3bc.js";

export class TfjsTd3BcLearner implements Learner {
  readonly algo = "td3bc" as const;
  readonly dims: Required<LearnerDims>;
  readonly q: TwinQ;
  readonly actor: DeterministicActor;
  readonly actorTarget: ParamSet;
  step = 0;
  private noiseRng: Rng;

  constructor(
    readonly config: Td3BcConfig,
    dims: LearnerDims,
    rng: Rng,
  ) {
    this.dims = completeDims(dims);
    const adam = { ...ADAM_DEFAULTS, lr: config.lr };
    this.q = new TwinQ(dims.obsDim, dims.actDim, config.hidden, rng.fork(), adam);
    this.actor = new DeterministicActor(dims.obsDim, dims.actDim, config.hidden, rng.fork(), adam);
    this.actorTarget = this.actor.params.clone("actor_target");
    this.noiseRng = rng.fork();
  }

  update(batch: Batch): Metrics {
    const { alpha, tau, policyNoise, noiseClip } = this.config;
    const n = batch.size;
    const noise = new Float32Array(n * this.dims.actDim);
    for (let i = 0; i < noise.length; i++)
      noise[i] = Math.min(noiseClip, Math.max(-noiseClip, this.noiseRng.normal(0, policyNoise)));
    const actorStep = (this.step + 1) % this.config.policyFreq === 0;
    const metrics = tf.tidy(() => {
      const b = batchTensors(batch, this.dims, this.config.discount);
      // Critic: y = r + γ(1-d) min Q'(s', clip(π'(s') + clip(ε), -1, 1)).
      const nextAct = tf.clipByValue(
        tf.add(
          mlpForward(this.actor.spec, this.actorTarget.layers(0), b.nextObs),
          tf.tensor2d(noise, [n, this.dims.actDim]),
        ),
        -1,
        1,
      ) as tf.Tensor2D;
      const y = tf.add(b.rew, tf.mul(b.discount, this.q.targetMin(b.nextObs, nextAct)));
      const qf = this.q.forward(b.obs, b.act);
      const e1 = tf.sub(qf.q1, y);
      const e2 = tf.sub(qf.q2, y);
      const criticLoss = tf.add(tf.mean(tf.square(e1)), tf.mean(tf.square(e2)));
      this.q.optimizer.apply(
        this.q.backward(qf, tf.mul(e1, 2 / n) as tf.Tensor2D, tf.mul(e2, 2 / n) as tf.Tensor2D).grad,
      );
      const named: Record<string, tf.Tensor> = { "loss/critic": criticLoss, "values/q": tf.mean(qf.q1) };
      if (actorStep) {
        // Actor: L = -λ mean Q1(s, π(s)) + mean((π(s) - a)²), λ = α / mean|Q1| (treated as a constant).
        const pi = this.actor.forward(b.obs);
        const qPi = this.q.forwardQ1(b.obs, pi.out);
        const lambda = tf.div(alpha, tf.add(tf.mean(tf.abs(qPi.q1)), 1e-8));
        const err = tf.sub(pi.out, b.act);
        const bcLoss = tf.mean(tf.square(err));
        const actorLoss = tf.add(tf.neg(tf.mul(lambda, tf.mean(qPi.q1))), bcLoss);
        const dq = tf.mul(tf.ones([n, 1]), tf.div(tf.neg(lambda), n)) as tf.Tensor2D;
        const dAct = tf.add(
          this.q.actionGradient(qPi, dq),
          tf.mul(err, 2 / (n * this.dims.actDim)),
        ) as tf.Tensor2D;
        this.actor.optimizer.apply(this.actor.backward(pi, dAct));
        this.q.softUpdate(tau);
        this.actorTarget.softUpdate(this.actor.params, tau);
        Object.assign(named, { "loss/actor": actorLoss, "loss/bc": bcLoss, "values/lambda": lambda });
      }
      return readMetrics(named);
    });
    this.step += 1;
    return metrics;
  }

  act(observations: Float32Array): Float32Array {
    return actWith(this.dims, observations, (obs) => this.actor.act(obs));
  }

  stateDict(): StateDict {
    const state: StateDict = { algo: this.algo, step: this.step, arrays: {}, scalars: {} };
    saveModule(state, "q", this.q, { target: this.q.target });
    saveModule(state, "actor", this.actor, { target: this.actorTarget });
    saveRng(state, "noise_rng", this.noiseRng);
    return state;
  }

  loadStateDict(state: StateDict): void {
    loadModule(state, "q", this.q, { target: this.q.target });
    loadModule(state, "actor", this.actor, { target: this.actorTarget });
    this.noiseRng = loadRng(state, "noise_rng", this.noiseRng);
    this.step = state.step;
  }

  actorWeights(): ActorWeights {
    return exportActor(this.dims, this.actor);
  }

  dispose(): void {
    this.q.dispose();
    this.actor.dispose();
    this.actorTarget.dispose();
  }
}

export function createTfjs(config: Partial<Td3BcConfig>, dims: LearnerDims, rng: Rng): TfjsTd3BcLearner {
  return new TfjsTd3BcLearner({ ...TD3BC_DEFAULTS, ...config }, dims, rng);
}
