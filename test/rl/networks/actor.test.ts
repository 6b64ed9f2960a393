/** GaussianActor's log-std modes: "state" (a function of the state) and "free" (one learned vector). */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { selectBackend } from "../../../src/rl/backend.js";
import { createTfjs as createAwac } from "../../../src/rl/algos/awac-tfjs.js";
import { createTfjs as createIql } from "../../../src/rl/algos/iql-tfjs.js";
import { randomBatch } from "../../../src/rl/random-batch.js";
import { GaussianActor, weightedLikelihood, type LogStdMode } from "../../../src/rl/networks/actor.js";

const ADAM = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const OBS = 3;
const ACT = 2;
const N = 6;

beforeAll(async () => {
  await selectBackend("wasm");
});

function data(seed: number) {
  const rng = new Rng(seed);
  return {
    obs: Float32Array.from({ length: N * OBS }, () => rng.normal()),
    act: Float32Array.from({ length: N * ACT }, () => rng.uniform(-0.9, 0.9)),
    w: Float32Array.from({ length: N }, () => rng.uniform(0.2, 2)),
  };
}

function logStdRows(actor: GaussianActor, obs: Float32Array): number[][] {
  return tf.tidy(() => actor.forward(tf.tensor2d(obs, [obs.length / OBS, OBS])).logStd.arraySync());
}

/** The weighted negative log-likelihood at the actor's current parameters, and its hand-written gradient. */
function lossAndGrad(actor: GaussianActor, d: ReturnType<typeof data>): { loss: number; grad: Float32Array } {
  return tf.tidy(() => {
    const fwd = actor.forward(tf.tensor2d(d.obs, [N, OBS]));
    const r = weightedLikelihood(fwd, tf.tensor2d(d.act, [N, ACT]), tf.tensor2d(d.w, [N, 1]));
    return {
      loss: r.loss.dataSync()[0],
      grad: actor.backward(fwd, r.dMean, r.dLogStd).dataSync() as Float32Array,
    };
  });
}

function train(actor: GaussianActor, d: ReturnType<typeof data>, steps: number): void {
  for (let i = 0; i < steps; i++) {
    const g = lossAndGrad(actor, d).grad;
    tf.tidy(() => actor.optimizer.apply(tf.tensor1d(g)));
  }
}

describe("GaussianActor log-std", () => {
  it('"state" gives a different log-std per state, "free" the same on every state, also after training', () => {
    const d = data(1);
    const spread = (mode: LogStdMode) => {
      const actor = new GaussianActor(OBS, ACT, [8], new Rng(3), ADAM, "soft", mode);
      train(actor, d, 20);
      const rows = logStdRows(actor, d.obs);
      const weights = actor.params.read();
      const frozen = actor.logStdWeightIndices().every((i) => weights[i] === 0);
      actor.dispose();
      return { rows, frozen };
    };
    const state = spread("state");
    expect(state.rows[1][0]).not.toBeCloseTo(state.rows[0][0], 3);
    expect(state.frozen).toBe(false);
    const free = spread("free");
    for (const row of free.rows) expect(row).toEqual(free.rows[0]);
    expect(free.frozen).toBe(true);
    // Training moved the free vector away from its initial value (it is learned, not constant).
    const fresh = new GaussianActor(OBS, ACT, [8], new Rng(3), ADAM, "soft", "free");
    expect(logStdRows(fresh, d.obs)[0][0]).not.toBeCloseTo(free.rows[0][0], 3);
    fresh.dispose();
  });

  it('"free": the gradient matches finite differences, and the log-std weights get none', () => {
    const d = data(2);
    const actor = new GaussianActor(OBS, ACT, [8], new Rng(5), ADAM, "soft", "free");
    train(actor, d, 5); // away from the initialization
    const { grad } = lossAndGrad(actor, d);
    for (const i of actor.logStdWeightIndices()) expect(grad[i]).toBe(0);
    const size = actor.params.size;
    // The free vector: the last ACT biases. Plus mean parameters as a control: a mean bias, first-layer
    // weights, and the last layer's weights into mean 0 and mean 1 (row 0 of its [8, 2·ACT] matrix).
    const lastW = size - 2 * ACT - 8 * 2 * ACT;
    const probe = [size - 2, size - 1, size - ACT - 1, 0, 7, lastW, lastW + 1];
    expect(actor.logStdWeightIndices()[0]).toBe(lastW + ACT);
    const base = actor.params.read();
    const h = 1e-2;
    for (const i of probe) {
      const at = (x: number) => {
        const v = base.slice();
        v[i] += x;
        actor.params.write(v);
        return lossAndGrad(actor, d).loss;
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      // Central differences in float32: relative tolerance.
      expect(Math.abs(grad[i] - numeric), `param ${i}: ${grad[i]} vs ${numeric}`).toBeLessThan(
        5e-3 * Math.max(1, Math.abs(numeric)),
      );
    }
    // The free bias gradient is the batch sum of dL/d raw log-std: non-trivial here.
    expect(Math.abs(grad[size - 1])).toBeGreaterThan(1e-3);
    actor.params.write(base);
    actor.dispose();
  });
});

describe.each([
  ["iql", createIql],
  ["awac", createAwac],
] as const)('%s with logStd: "free"', (_name, create) => {
  const dims = { obsDim: OBS, actDim: ACT };
  it('round-trips its state dict, exports the same format as "state", and refuses a "state" checkpoint', () => {
    const cfg = { hidden: [16, 16], lr: 1e-3, actor: "gaussian" as const };
    const a = create({ ...cfg, logStd: "free" }, dims, new Rng(1));
    for (let i = 0; i < 3; i++) a.update(randomBatch(new Rng(10 + i), 32, OBS, ACT, 0.2));
    const b = create({ ...cfg, logStd: "free" }, dims, new Rng(2));
    b.loadStateDict(a.stateDict());
    const probe = randomBatch(new Rng(20), 8, OBS, ACT, 0.2).observations;
    expect(Array.from(b.act(probe))).toEqual(Array.from(a.act(probe)));
    const gaussian = (l: typeof a) => l.actor.net as GaussianActor;
    expect(logStdRows(gaussian(b), probe)).toEqual(logStdRows(gaussian(a), probe));
    const stateful = create({ ...cfg, logStd: "state" }, dims, new Rng(1));
    const shape = (w: ReturnType<typeof a.actorWeights>) =>
      w.network.layers.map((l) => [l.inDim, l.outDim, l.activation]);
    expect(a.actorWeights().kind).toBe(stateful.actorWeights().kind);
    expect(shape(a.actorWeights())).toEqual(shape(stateful.actorWeights()));
    stateful.update(randomBatch(new Rng(30), 32, OBS, ACT, 0.2));
    expect(() => b.loadStateDict(stateful.stateDict())).toThrow(/logStd: "free"/);
    // Refused before anything was written.
    expect(Array.from(b.act(probe))).toEqual(Array.from(a.act(probe)));
    a.dispose();
    b.dispose();
    stateful.dispose();
  });
});
