/**
 * A straightforward CQL(H) update to pin the optimized CqlLearner against: the algorithm as first written
 * (one pass per source, concatenated critic inputs, tiled actor forwards), with its own plain MLP
 * forward/backward (transposed matMuls, no tricks), so changes to src/rl/networks cannot move both sides.
 * It steps the learner's own parameter sets and Adam optimizers and draws from a given noise stream in the
 * learner's order: n normals (actor loss), n normals (TD target), k·n·A uniforms, k·n and k·n normals.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../../src/core/rng.js";
import { batchTensors, readMetrics, type Batch, type Metrics } from "../../../src/rl/algos/learner.js";
import type { TfjsCqlLearner as CqlLearner } from "../../../src/rl/algos/cql-tfjs.js";
import { LOG_STD_MAX, LOG_STD_MIN } from "../../../src/rl/networks/actor.js";
import type { ParamSet } from "../../../src/rl/networks/param-set.js";

interface Layer {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

interface Pass {
  out: tf.Tensor2D;
  inputs: tf.Tensor2D[];
  outputs: tf.Tensor2D[];
  layers: Layer[];
}

function layers(params: ParamSet, net: number): Layer[] {
  const sizes = params.specs[net].sizes;
  const out: Layer[] = [];
  let o = params.offsets[net];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [i, j] = [sizes[l], sizes[l + 1]];
    const w = tf.reshape(tf.slice(params.variable, [o], [i * j]), [i, j]) as tf.Tensor2D;
    const b = tf.slice(params.variable, [o + i * j], [j]) as tf.Tensor1D;
    out.push({ w, b });
    o += i * j + j;
  }
  return out;
}

/** ReLU hidden layers, linear output. */
function forward(params: ParamSet, net: number, x: tf.Tensor2D): Pass {
  const ls = layers(params, net);
  const inputs: tf.Tensor2D[] = [];
  const outputs: tf.Tensor2D[] = [];
  let h = x;
  ls.forEach(({ w, b }, l) => {
    inputs.push(h);
    const z = tf.add(tf.matMul(h, w), b) as tf.Tensor2D;
    h = l === ls.length - 1 ? z : tf.relu(z);
    outputs.push(h);
  });
  return { out: h, inputs, outputs, layers: ls };
}

function backward(pass: Pass, dOut: tf.Tensor2D): { grads: tf.Tensor[]; dx: tf.Tensor2D } {
  const grads: tf.Tensor[] = [];
  let dh = dOut;
  for (let l = pass.layers.length - 1; l >= 0; l--) {
    const dz = l === pass.layers.length - 1 ? dh : (tf.mul(dh, tf.step(pass.outputs[l])) as tf.Tensor2D);
    grads.unshift(tf.matMul(pass.inputs[l], dz, true, false), tf.sum(dz, 0));
    dh = tf.matMul(dz, pass.layers[l].w, false, true);
  }
  return { grads, dx: dh };
}

const flatten = (grads: tf.Tensor[]): tf.Tensor1D =>
  tf.concat(grads.map((g) => tf.reshape(g, [-1]))) as tf.Tensor1D;

export class ReferenceCql {
  logTemperature: number;
  private tempAdam = { m: 0, v: 0, t: 0 };

  constructor(
    private readonly learner: CqlLearner,
    readonly rng: Rng,
  ) {
    this.logTemperature = learner.logTemperature;
  }

  private normals(rows: number): tf.Tensor2D {
    const a = this.learner.dims.actDim;
    return tf.tensor2d(
      Float32Array.from({ length: rows * a }, () => this.rng.normal()),
      [rows, a],
    );
  }

  /** Tanh-Gaussian sample of the learner's actor (soft log-std clamp) with its reparameterization terms. */
  private sample(obs: tf.Tensor2D) {
    const a = this.learner.dims.actDim;
    const pass = forward(this.learner.actor.params, 0, obs);
    const mean = tf.slice(pass.out, [0, 0], [-1, a]);
    const squashedRaw = tf.tanh(tf.slice(pass.out, [0, a], [-1, a]));
    const half = 0.5 * (LOG_STD_MAX - LOG_STD_MIN);
    const logStd = tf.add(LOG_STD_MIN + half, tf.mul(squashedRaw, half));
    const noise = this.normals(obs.shape[0]);
    const scaledNoise = tf.mul(tf.exp(logStd), noise) as tf.Tensor2D;
    const action = tf.tanh(tf.add(mean, scaledNoise)) as tf.Tensor2D;
    const logProb = tf.sum(
      tf.sub(
        tf.sub(tf.mul(tf.square(noise), -0.5), tf.add(logStd, 0.5 * Math.log(2 * Math.PI))),
        tf.log(tf.add(tf.sub(1, tf.square(action)), 1e-6)),
      ),
      1,
      true,
    ) as tf.Tensor2D;
    return { pass, squashedRaw, scaledNoise, action, logProb };
  }

  private q(params: ParamSet, obs: tf.Tensor2D, act: tf.Tensor2D): [Pass, Pass] {
    const x = tf.concat([obs, act], 1) as tf.Tensor2D;
    return [forward(params, 0, x), forward(params, 1, x)];
  }

  update(batch: Batch): Metrics {
    const { learner } = this;
    const { config, dims } = learner;
    const [n, obsDim, k, alpha] = [batch.size, dims.obsDim, config.sampledActions, config.alpha];
    const temperature = Math.exp(this.logTemperature);
    const metrics = tf.tidy(() => {
      const b = batchTensors(batch, dims, config.discount);

      const s = this.sample(b.obs);
      const [pq1, pq2] = this.q(learner.q.params, b.obs, s.action);
      const q1Smaller = tf.cast(tf.lessEqual(pq1.out, pq2.out), "float32");
      const actorLoss = tf.mean(tf.sub(tf.mul(s.logProb, temperature), tf.minimum(pq1.out, pq2.out)));
      const dx = tf.add(
        backward(pq1, tf.div(q1Smaller, -n) as tf.Tensor2D).dx,
        backward(pq2, tf.div(tf.sub(1, q1Smaller), -n) as tf.Tensor2D).dx,
      );
      const dA = tf.slice(dx, [0, obsDim], [-1, dims.actDim]);
      const du = tf.add(
        tf.mul(dA, tf.sub(1, tf.square(s.action))),
        tf.mul(s.action, (2 * temperature) / n),
      ) as tf.Tensor2D;
      const dLogStd = tf.sub(tf.mul(du, s.scaledNoise), temperature / n);
      const half = 0.5 * (LOG_STD_MAX - LOG_STD_MIN);
      const dRaw = tf.mul(dLogStd, tf.mul(tf.sub(1, tf.square(s.squashedRaw)), half));
      const dOut = tf.concat([du, dRaw], 1) as tf.Tensor2D;
      learner.actor.optimizer.apply(flatten(backward(s.pass, dOut).grads));
      const logProbMean = tf.mean(s.logProb);

      const next = this.sample(b.nextObs);
      const [t1, t2] = this.q(learner.q.target, b.nextObs, next.action);
      const y = tf.add(b.rew, tf.mul(b.discount, tf.minimum(t1.out, t2.out)));
      const [f1, f2] = this.q(learner.q.params, b.obs, b.act);
      const e1 = tf.sub(f1.out, y);
      const e2 = tf.sub(f2.out, y);
      const tdLoss = tf.add(tf.mean(tf.square(e1)), tf.mean(tf.square(e2)));

      const obsK = tf.tile(b.obs, [k, 1]) as tf.Tensor2D;
      const uniform = tf.tensor2d(
        Float32Array.from({ length: k * n * dims.actDim }, () => this.rng.uniform(-1, 1)),
        [k * n, dims.actDim],
      );
      const cur = this.sample(obsK);
      const nxt = this.sample(tf.tile(b.nextObs, [k, 1]) as tf.Tensor2D);
      const [s1, s2] = this.q(
        learner.q.params,
        tf.concat([obsK, obsK, obsK]) as tf.Tensor2D,
        tf.concat([uniform, cur.action, nxt.action]) as tf.Tensor2D,
      );
      const logDensity = tf.reshape(
        tf.concat([tf.fill([k * n, 1], -dims.actDim * Math.log(2)), cur.logProb, nxt.logProb]),
        [3 * k, n],
      );
      const penalty = (sampled: Pass, data: Pass) => {
        const logits = tf.sub(tf.reshape(sampled.out, [3 * k, n]), logDensity);
        const lse = tf.logSumExp(logits, 0, true);
        const dSampled = tf.reshape(tf.mul(tf.exp(tf.sub(logits, lse)), alpha / n), [3 * k * n, 1]);
        return { value: tf.sub(tf.mean(lse), tf.mean(data.out)), dSampled: dSampled as tf.Tensor2D };
      };
      const p1 = penalty(s1, f1);
      const p2 = penalty(s2, f2);
      const cqlLoss = tf.add(p1.value, p2.value);
      const headGrads = (data: Pass, dData: tf.Tensor2D, sampled: Pass, dSampled: tf.Tensor2D) => {
        const fromSampled = backward(sampled, dSampled).grads;
        return backward(data, dData).grads.map((g, i) => tf.add(g, fromSampled[i]));
      };
      const dData = (e: tf.Tensor) => tf.sub(tf.mul(e, 2 / n), alpha / n) as tf.Tensor2D;
      learner.q.optimizer.apply(
        flatten([...headGrads(f1, dData(e1), s1, p1.dSampled), ...headGrads(f2, dData(e2), s2, p2.dSampled)]),
      );
      learner.q.target.softUpdate(learner.q.params, config.tau);

      return readMetrics({
        "loss/critic": tf.add(tdLoss, tf.mul(cqlLoss, alpha)),
        "loss/cql": cqlLoss,
        "loss/actor": actorLoss,
        "values/q": tf.mean(f1.out),
        "values/log_prob": logProbMean,
      });
    });
    const meanLogProb = metrics["values/log_prob"];
    const targetEntropy = config.targetEntropy ?? -dims.actDim;
    const g = -(meanLogProb + targetEntropy);
    const st = this.tempAdam;
    st.t += 1;
    st.m = 0.9 * st.m + 0.1 * g;
    st.v = 0.999 * st.v + 0.001 * g * g;
    this.logTemperature -=
      (config.temperatureLr * (st.m / (1 - 0.9 ** st.t))) / (Math.sqrt(st.v / (1 - 0.999 ** st.t)) + 1e-8);
    metrics["loss/temperature"] = -this.logTemperature * (meanLogProb + targetEntropy);
    metrics["values/temperature"] = Math.exp(this.logTemperature);
    return metrics;
  }
}
