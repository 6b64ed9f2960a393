/** Each algorithm's loss on tiny cases worked out by hand. */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../../src/rl/backend.js";
import { advantageWeights } from "../../../src/rl/algos/awac-tfjs.js";
import { conservativePenalty } from "../../../src/rl/algos/cql-tfjs.js";
import { expectileLoss } from "../../../src/rl/algos/iql-tfjs.js";
import { GaussianActor, weightedLikelihood } from "../../../src/rl/networks/actor.js";
import { Adam } from "../../../src/rl/networks/adam.js";
import { ParamSet } from "../../../src/rl/networks/param-set.js";
import { Rng } from "../../../src/core/rng.js";
import { EXP_ADV_MAX } from "../../../src/rl/networks/weighted-actor.js";

beforeAll(async () => {
  await selectBackend("wasm");
});

const col = (xs: number[]) => tf.tensor2d(xs, [xs.length, 1]);

describe("IQL expectile loss", () => {
  it("weights positive residuals by τ and negative ones by 1-τ", () => {
    // u = [2, -1], τ = 0.7: L = (0.7·4 + 0.3·1)/2 = 1.55; dL/du = 2·[0.7·2, 0.3·(-1)]/2 = [1.4, -0.3].
    const { loss, grad } = tf.tidy(() => {
      const r = expectileLoss(col([2, -1]), 0.7);
      return { loss: r.loss.dataSync()[0], grad: Array.from(r.dAdv.dataSync()) };
    });
    expect(loss).toBeCloseTo(1.55, 6);
    expect(grad[0]).toBeCloseTo(1.4, 6);
    expect(grad[1]).toBeCloseTo(-0.3, 6);
  });

  it("is half the mean squared error at τ = 0.5", () => {
    const loss = tf.tidy(() => expectileLoss(col([1, -3, 2]), 0.5).loss.dataSync()[0]);
    expect(loss).toBeCloseTo((0.5 * (1 + 9 + 4)) / 3, 6);
  });
});

describe("AWAC advantage weights", () => {
  it("are exp(A/λ) and clipped at EXP_ADV_MAX", () => {
    const w = tf.tidy(() => Array.from(advantageWeights(col([0, 1, -2, 50]), 2).dataSync()));
    expect(w[0]).toBeCloseTo(1, 6);
    expect(w[1]).toBeCloseTo(Math.exp(0.5), 5);
    expect(w[2]).toBeCloseTo(Math.exp(-1), 6);
    expect(w[3]).toBe(EXP_ADV_MAX);
  });
});

describe("CQL conservative penalty", () => {
  it("equals c + log(K) - mean Q(data) when all K sampled Q values are c, with uniform softmax gradient", () => {
    // K = 4 samples, batch n = 2, Q = 1.5 everywhere, log density 0; data Q = [0.5, 1.5].
    const { value, grad } = tf.tidy(() => {
      const r = conservativePenalty(
        tf.fill([4, 2], 1.5) as tf.Tensor2D,
        tf.zeros([4, 2]) as tf.Tensor2D,
        col([0.5, 1.5]),
        2,
      );
      return { value: r.value.dataSync()[0], grad: Array.from(r.dSampled.dataSync()) };
    });
    expect(value).toBeCloseTo(1.5 + Math.log(4) - 1, 5);
    expect(grad).toHaveLength(8);
    for (const g of grad) expect(g).toBeCloseTo((2 * 0.25) / 2, 6);
  });

  it("subtracts the sampling log-density (importance weights) and puts the gradient on the largest logit", () => {
    // One state, two samples: Q = [0, 3], log μ = [0, 1] -> logits [0, 2]; lse = log(1 + e²).
    const { value, grad } = tf.tidy(() => {
      const r = conservativePenalty(tf.tensor2d([[0], [3]]), tf.tensor2d([[0], [1]]), col([0]), 1);
      return { value: r.value.dataSync()[0], grad: Array.from(r.dSampled.dataSync()) };
    });
    expect(value).toBeCloseTo(Math.log(1 + Math.exp(2)), 5);
    expect(grad[1]).toBeCloseTo(Math.exp(2) / (1 + Math.exp(2)), 5);
    expect(grad[0] + grad[1]).toBeCloseTo(1, 6);
  });

  it("for two heads side by side is the sum of the per-head penalties, with each head's own gradient", () => {
    // Head 1: one state, Q = [0, 3], log μ = [0, 1] (the case above); head 2: Q = [1, 1], log μ = [0, 0].
    const { value, grad } = tf.tidy(() => {
      const r = conservativePenalty(
        tf.tensor2d([
          [0, 1],
          [3, 1],
        ]),
        tf.tensor2d([
          [0, 0],
          [1, 0],
        ]),
        tf.tensor2d([[0.5, 2]]),
        2,
        2,
      );
      return { value: r.value.dataSync()[0], grad: Array.from(r.dSampled.dataSync()) };
    });
    expect(value).toBeCloseTo(Math.log(1 + Math.exp(2)) - 0.5 + (1 + Math.log(2) - 2), 5);
    // Layout [samples, heads·batch]: [g1(a0), g2(a0), g1(a1), g2(a1)], each head's softmax times α / batch.
    expect(grad[2]).toBeCloseTo((2 * Math.exp(2)) / (1 + Math.exp(2)), 5);
    expect(grad[0] + grad[2]).toBeCloseTo(2, 6);
    expect(grad[1]).toBeCloseTo(1, 6);
    expect(grad[3]).toBeCloseTo(1, 6);
  });
});

describe("weighted likelihood (IQL/AWAC actor, behaviour model)", () => {
  it("is the Gaussian negative log-likelihood around tanh(mean), weighted", () => {
    const actor = new GaussianActor(1, 1, [4], new Rng(0), { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const { loss, logProb } = tf.tidy(() => {
      const fwd = actor.forward(tf.tensor2d([[0.3]]));
      const mu = Math.tanh(fwd.mean.dataSync()[0]);
      const logStd = fwd.logStd.dataSync()[0];
      const a = 0.25;
      const expected = -0.5 * ((a - mu) / Math.exp(logStd)) ** 2 - logStd - 0.5 * Math.log(2 * Math.PI);
      const r = weightedLikelihood(fwd, tf.tensor2d([[a]]), tf.tensor2d([[2]]));
      return { loss: [r.loss.dataSync()[0], -2 * expected], logProb: [r.logProb.dataSync()[0], expected] };
    });
    expect(logProb[0]).toBeCloseTo(logProb[1], 5);
    expect(loss[0]).toBeCloseTo(loss[1], 5);
    actor.dispose();
  });
});

describe("Adam", () => {
  it("moves every parameter by -lr·sign(g) on the first step (bias correction)", () => {
    const params = new ParamSet(
      "t",
      [{ sizes: [1, 2], hidden: "relu", output: "linear" }],
      new Float32Array([1, 2, 3, 4]),
    );
    const adam = new Adam(params, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    tf.tidy(() => adam.apply(tf.tensor1d([0.5, -2, 0, 1e-3])));
    const v = Array.from(params.read());
    expect(v[0]).toBeCloseTo(0.9, 5);
    expect(v[1]).toBeCloseTo(2.1, 5);
    expect(v[2]).toBeCloseTo(3, 6);
    expect(v[3]).toBeCloseTo(3.9, 4);
    params.dispose();
    adam.dispose();
  });
});
