import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { selectBackend } from "../../../src/rl/backend.js";
import { ADAM_DEFAULTS } from "../../../src/rl/networks/adam.js";
import {
  createWeightedActor,
  weightsEss,
  type WeightedActorConfig,
} from "../../../src/rl/networks/weighted-actor.js";

const OBS = 3;
const ACT = 2;
const N = 6;
const adam = { ...ADAM_DEFAULTS, lr: 1e-2 };
const form: WeightedActorConfig = { actor: "deterministic", logStd: "state", hidden: [8] };

beforeAll(async () => {
  await selectBackend("wasm");
});

function rows(seed: number, n: number, d: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * d }, () => rng.uniform(-1, 1));
}

/** Params after one step of the deterministic form with these per-row weights, on rows `keep` only. */
function stepOn(weights: number[], keep: number[]): { params: Float32Array; loss: number } {
  const actor = createWeightedActor(form, OBS, ACT, new Rng(5), adam);
  const obs = rows(1, N, OBS);
  const act = rows(2, N, ACT);
  const pick = (a: Float32Array, d: number) =>
    Float32Array.from(keep.flatMap((i) => [...a.subarray(i * d, (i + 1) * d)]));
  const loss = tf.tidy(() => {
    const o = tf.tensor2d(pick(obs, OBS), [keep.length, OBS]);
    const w = tf.tensor2d(
      keep.map((i) => weights[i]),
      [keep.length, 1],
    );
    return actor.step(actor.forward(o), tf.tensor2d(pick(act, ACT), [keep.length, ACT]), w).dataSync()[0];
  });
  const params = actor.net.params.read();
  actor.net.dispose();
  return { params, loss };
}

describe("deterministic weighted actor", () => {
  it("with unit weights takes BC's step: loss = mean((π(s) - a)²)", () => {
    const actor = createWeightedActor(form, OBS, ACT, new Rng(5), adam);
    const obs = rows(1, N, OBS);
    const act = rows(2, N, ACT);
    const [pi] = tf.tidy(() => [actor.act(tf.tensor2d(obs, [N, OBS])).dataSync()]);
    let mse = 0;
    for (let i = 0; i < N * ACT; i++) mse += (pi[i] - act[i]) ** 2 / (N * ACT);
    const { loss } = stepOn([1, 1, 1, 1, 1, 1], [0, 1, 2, 3, 4, 5]);
    expect(loss).toBeCloseTo(mse, 6);
    actor.net.dispose();
  });

  it("ignores rows of weight 0: the step equals the step on the other rows alone", () => {
    // Adam normalizes the gradient's scale, so rows [0, 2, 4] with weight 1 among zero-weight rows take the
    // same first step as those rows alone only if the zero-weight rows contribute nothing.
    const mixed = stepOn([1, 0, 1, 0, 1, 0], [0, 1, 2, 3, 4, 5]);
    const alone = stepOn([1, 0, 1, 0, 1, 0], [0, 2, 4]);
    const fresh = createWeightedActor(form, OBS, ACT, new Rng(5), adam);
    const untouched = fresh.net.params.read();
    fresh.net.dispose();
    expect(Array.from(mixed.params)).not.toEqual(Array.from(untouched));
    for (let i = 0; i < mixed.params.length; i++) expect(mixed.params[i]).toBeCloseTo(alone.params[i], 6);
  });
});

describe("weightsEss", () => {
  const ess = (w: number[]) => tf.tidy(() => weightsEss(tf.tensor2d(w, [w.length, 1])).dataSync()[0]);

  it("is 1 for equal weights, 1/n when one sample carries the batch, and k/n for k equal carriers", () => {
    expect(ess([2, 2, 2, 2])).toBeCloseTo(1, 6);
    expect(ess([100, 0, 0, 0])).toBeCloseTo(1 / 4, 6);
    expect(ess([3, 0, 3, 0, 0, 0])).toBeCloseTo(2 / 6, 6);
  });

  it("matches (Σw)² / (n Σw²) on uneven weights", () => {
    // (1 + 2 + 7)² / (3 · (1 + 4 + 49)) = 100 / 162
    expect(ess([1, 2, 7])).toBeCloseTo(100 / 162, 6);
  });
});
