/**
 * Decision Transformer: the causal mask (later tokens never change earlier predictions), padding (masked
 * steps change nothing real), the forward pass and loss against a numpy re-implementation of CORL's dt.py,
 * segment sampling, save/load, and learning a tiny problem whose answer depends on the return-to-go.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import type { TransitionColumns } from "../../../src/core/transitions.js";
import { DtLearner, DT_DEFAULTS, type DtConfig, type DtWindow } from "../../../src/rl/algos/dt.js";
import * as ort from "onnxruntime-node";
import { DtContext } from "../../../src/rl/algos/dt-context.js";
import { DT_ONNX_OUTPUT, exportDtPackageOnnx } from "../../../src/rl/algos/dt-onnx.js";
import { dtActorWeights } from "../../../src/rl/package.js";
import { writePolicyPackage } from "../../../src/policy/package.js";
import { computeActionQuantiles } from "../../../src/policy/support.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { episodesOf, returnsToGo, SegmentSampler } from "../../../src/rl/algos/dt-segments.js";

const OBS = 3;
const ACT = 2;
const TINY: DtConfig = {
  ...DT_DEFAULTS,
  embedDim: 8,
  layers: 2,
  heads: 2,
  contextLength: 4,
  maxEpisodeLength: 12,
  lr: 1e-3,
  warmupSteps: 0,
  returnScale: 0.1,
};
const DIMS = {
  obsDim: OBS,
  actDim: ACT,
  obsMean: new Float32Array([0.1, -0.2, 0.3]),
  obsStd: new Float32Array([2, 1, 0.5]),
};

/** A learner whose every parameter (biases, layer norm gains too) is random, so no term is trivially 0/1. */
function randomLearner(seed: number, config = TINY): DtLearner {
  const learner = new DtLearner(config, DIMS, new Rng(seed));
  const state = learner.stateDict();
  const rng = new Rng(seed + 100);
  state.arrays["dt/params"] = state.arrays["dt/params"].map(() => rng.normal(0, 0.4));
  learner.loadStateDict(state);
  return learner;
}

function randomWindow(rng: Rng, b: number, k: number, real: number[]): DtWindow {
  const mask = new Float32Array(b * k);
  real.forEach((n, row) => mask.fill(1, row * k, row * k + n));
  return {
    observations: Float32Array.from({ length: b * k * OBS }, () => rng.normal()),
    actions: Float32Array.from({ length: b * k * ACT }, () => rng.uniform(-1, 1)),
    returnsToGo: Float32Array.from({ length: b * k }, () => rng.uniform(-5, 20)),
    timesteps: Int32Array.from({ length: b * k }, (_, i) => 3 + (i % k)),
    mask,
  };
}

function copy(w: DtWindow): DtWindow {
  return {
    observations: w.observations.slice(),
    actions: w.actions.slice(),
    returnsToGo: w.returnsToGo.slice(),
    timesteps: w.timesteps.slice(),
    mask: w.mask.slice(),
  };
}

const K = TINY.contextLength;
const rowsOf = (p: Float32Array, from: number, to: number) => Array.from(p.subarray(from * ACT, to * ACT));

describe("Decision Transformer", () => {
  it("causal mask: changing step t's action or a later step changes no prediction at or before t", () => {
    const learner = randomLearner(1);
    const w = randomWindow(new Rng(2), 1, K, [K]);
    const base = learner.predict(w, 1);
    for (let t = 0; t < K; t++) {
      const changed = copy(w);
      for (let j = 0; j < ACT; j++) changed.actions[t * ACT + j] += 0.7;
      if (t + 1 < K) {
        changed.observations[(t + 1) * OBS] += 1.3;
        changed.returnsToGo[t + 1] += 4;
      }
      const after = learner.predict(changed, 1);
      // Prediction at step t reads states and returns up to t and actions before t only.
      for (let s = 0; s <= t; s++) expect(rowsOf(after, s, s + 1)).toEqual(rowsOf(base, s, s + 1));
      // ...and the changed action does reach the next step's prediction (the mask does not cut too much).
      if (t + 1 < K) expect(rowsOf(after, t + 1, t + 2)).not.toEqual(rowsOf(base, t + 1, t + 2));
    }
    learner.dispose();
  });

  it("padding: masked steps change no real prediction, and a left-padded window predicts as a short one", () => {
    const learner = randomLearner(3);
    const w = randomWindow(new Rng(4), 1, K, [2]);
    const base = learner.predict(w, 1);
    const junk = copy(w);
    for (let i = 2 * OBS; i < K * OBS; i++) junk.observations[i] = 9;
    junk.returnsToGo.fill(50, 2);
    expect(rowsOf(learner.predict(junk, 1), 0, 2)).toEqual(rowsOf(base, 0, 2));
    // The same two steps at the end of the window, the front masked out (how DtContext fills it).
    const left = copy(w);
    left.mask.fill(0).fill(1, K - 2);
    left.observations.copyWithin((K - 2) * OBS, 0, 2 * OBS).fill(-3, 0, (K - 2) * OBS);
    left.actions.copyWithin((K - 2) * ACT, 0, 2 * ACT);
    left.returnsToGo.copyWithin(K - 2, 0, 2);
    left.timesteps.copyWithin(K - 2, 0, 2);
    const shifted = rowsOf(learner.predict(left, 1), K - 2, K);
    rowsOf(base, 0, 2).forEach((v, i) => expect(shifted[i]).toBeCloseTo(v, 5));
    learner.dispose();
  });

  it("matches a numpy re-implementation of CORL's forward pass and masked MSE on a tiny batch", () => {
    const learner = randomLearner(5);
    const b = 3;
    const w = randomWindow(new Rng(6), b, K, [K, 2, 1]);
    w.timesteps[5] = 40; // beyond the table: the last row
    const predicted = learner.predict(w, b);
    const flat = learner.stateDict().arrays["dt/params"];
    const { group } = learner.model;
    const params = group.specs.map((spec, i) => {
      const [inDim, outDim] = spec.sizes;
      const o = group.offsets[i];
      return {
        in: inDim,
        out: outDim,
        w: Array.from(flat.subarray(o, o + inDim * outDim)),
        b: Array.from(flat.subarray(o + inDim * outDim, o + inDim * outDim + outDim)),
      };
    });
    const input = {
      batch: b,
      context: K,
      embed: TINY.embedDim,
      heads: TINY.heads,
      layers: TINY.layers,
      params,
      observations: Array.from(w.observations),
      actions: Array.from(w.actions),
      returns_to_go: Array.from(w.returnsToGo),
      timesteps: Array.from(w.timesteps),
      mask: Array.from(w.mask),
      obs_mean: Array.from(DIMS.obsMean),
      obs_std: Array.from(DIMS.obsStd),
      return_scale: TINY.returnScale,
    };
    const r = spawnSync("/usr/bin/python3", [join(import.meta.dirname, "fixtures", "dt_reference.py")], {
      input: JSON.stringify(input),
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const ref = JSON.parse(r.stdout) as { loss: number; predictions: number[] };
    // Real steps only: CORL's padded tokens attend to nothing real and are never scored.
    for (let row = 0; row < b; row++)
      for (let t = 0; t < K; t++)
        if (w.mask[row * K + t] === 1)
          for (let j = 0; j < ACT; j++) {
            const i = (row * K + t) * ACT + j;
            expect(predicted[i], `row ${row} step ${t} dim ${j}`).toBeCloseTo(ref.predictions[i], 4);
          }
    // The loss of an update is computed on the parameters before the step.
    const metrics = learner.updateSegments({ ...w, size: b, contextLength: K });
    expect(metrics["loss/actor"]).toBeCloseTo(ref.loss, 5);
    expect(ref.loss).toBeGreaterThan(0.01);
    learner.dispose();
  });

  it("samples segments with undiscounted returns-to-go, timesteps within the episode and end padding", () => {
    // Two episodes: lengths 3 and 5, reward = 1 + index in the dataset.
    const n = 8;
    const cols: TransitionColumns = {
      size: n,
      obsDim: OBS,
      actDim: ACT,
      observations: Float32Array.from({ length: n * OBS }, (_, i) => Math.floor(i / OBS)),
      actions: new Float32Array(n * ACT),
      rewards: Float32Array.from({ length: n }, (_, i) => 1 + i),
      nextObservations: new Float32Array(n * OBS),
      terminals: new Uint8Array(n),
      timeouts: new Uint8Array(n),
      episodes: Uint32Array.from([0, 0, 0, 7, 7, 7, 7, 7]),
    };
    const episodes = episodesOf(cols);
    expect(episodes).toEqual([
      { start: 0, length: 3, return: 6 },
      { start: 3, length: 5, return: 30 },
    ]);
    expect(Array.from(returnsToGo(cols, episodes))).toEqual([6, 5, 3, 30, 26, 21, 15, 8]);
    const sampler = new SegmentSampler(cols, 64, 4);
    expect(sampler.bestReturn()).toBe(30);
    const batch = sampler.sample(new Rng(7));
    let padded = 0;
    for (let s = 0; s < 64 * 4; s++) {
      if (batch.mask[s] === 0) {
        padded++;
        expect(batch.returnsToGo[s]).toBe(0);
        continue;
      }
      const i = batch.observations[s * OBS]; // the transition index
      const e = i < 3 ? episodes[0] : episodes[1];
      expect(batch.timesteps[s]).toBe(i - e.start);
      expect(batch.returnsToGo[s]).toBe(returnsToGo(cols, episodes)[i]);
      // Consecutive real steps are consecutive transitions; padding only follows the episode's end.
      if (s % 4 > 0) expect(batch.mask[s - 1]).toBe(1);
      if (s % 4 > 0) expect(batch.observations[(s - 1) * OBS]).toBe(i - 1);
    }
    expect(padded).toBeGreaterThan(0);
  });

  it("save -> load gives identical predictions; a misshaped state dict is refused", () => {
    const a = randomLearner(8);
    const w = randomWindow(new Rng(9), 2, K, [K, 3]);
    a.updateSegments({ ...w, size: 2, contextLength: K });
    const b = new DtLearner(TINY, DIMS, new Rng(10));
    expect(Array.from(b.predict(w, 2))).not.toEqual(Array.from(a.predict(w, 2)));
    b.loadStateDict(a.stateDict());
    expect(b.step).toBe(1);
    expect(Array.from(b.predict(w, 2))).toEqual(Array.from(a.predict(w, 2)));
    const bad = a.stateDict();
    bad.arrays["dt/params"] = new Float32Array(5);
    expect(() => b.loadStateDict(bad)).toThrow(/state dict array dt\/params: expected \d+, got 5/);
    a.dispose();
    b.dispose();
  });

  it("learns to act on the return-to-go: action = +0.8 when the return asked is high, -0.8 when low", () => {
    const learner = new DtLearner({ ...TINY, embedDim: 16, layers: 1, heads: 1 }, DIMS, new Rng(11));
    const rng = new Rng(12);
    const b = 32;
    const w = randomWindow(rng, b, K, new Array<number>(b).fill(K));
    const fill = (): void => {
      for (let row = 0; row < b; row++) {
        const high = rng.next() < 0.5;
        for (let t = 0; t < K; t++) {
          const s = row * K + t;
          w.returnsToGo[s] = high ? 10 : -10;
          for (let j = 0; j < OBS; j++) w.observations[s * OBS + j] = rng.normal();
          for (let j = 0; j < ACT; j++) w.actions[s * ACT + j] = high ? 0.8 : -0.8;
        }
      }
    };
    let first = 0;
    let last = 0;
    for (let i = 0; i < 150; i++) {
      fill();
      const m = learner.updateSegments({ ...w, size: b, contextLength: K })["loss/actor"];
      expect(Number.isFinite(m)).toBe(true);
      if (i === 0) first = m;
      last = m;
    }
    expect(last).toBeLessThan(first / 10);
    fill();
    const p = learner.predict(w, b);
    for (let row = 0; row < b; row++) {
      const want = w.returnsToGo[row * K] > 0 ? 0.8 : -0.8;
      expect(p[row * K * ACT]).toBeCloseTo(want, 1);
    }
    learner.dispose();
  });

  it("batch-1 context: the ring buffer predicts as the window of the last K steps, past wrap-around", () => {
    const learner = randomLearner(13);
    const target = 12;
    const context = new DtContext(learner, target);
    const rng = new Rng(14);
    const steps = K + 3;
    const obs = Array.from({ length: steps }, () => Float32Array.from({ length: OBS }, () => rng.normal()));
    const rewards = Array.from({ length: steps }, () => rng.uniform(0, 2));
    for (let episode = 0; episode < 2; episode++) {
      context.reset();
      const acts: Float32Array[] = [];
      let rtg = target;
      const rtgs: number[] = [];
      for (let t = 0; t < steps; t++) {
        rtgs.push(rtg);
        const a = context.act(obs[t]).slice();
        // The same context built by hand: steps max(0, t-K+1)..t at the window's end, the front masked.
        const w = randomWindow(new Rng(15 + t), 1, K, [0]);
        const from = Math.max(0, t - K + 1);
        for (let s = from; s <= t; s++) {
          const to = K - 1 - (t - s);
          w.observations.set(obs[s], to * OBS);
          w.actions.set(s < t ? acts[s] : new Float32Array(ACT), to * ACT);
          w.returnsToGo[to] = rtgs[s];
          w.timesteps[to] = s;
          w.mask[to] = 1;
        }
        expect(Array.from(a)).toEqual(rowsOf(learner.predict(w, 1), K - 1, K));
        acts.push(a);
        context.reward(rewards[t]);
        rtg -= rewards[t];
      }
    }
    learner.dispose();
  });

  it("exported ONNX model: ONNX Runtime gives the next action the learner predicts for the window", async () => {
    const learner = randomLearner(16);
    // Through a real package with actuator bounds [-1, 1], so actuator units are the learner's actions.
    const dir = mkdtempSync(join(tmpdir(), "tether-dt-onnx-"));
    const pkg = writePolicyPackage(dir, {
      robot: "test",
      obsNames: ["a", "b", "c"],
      actNames: ["u", "v"],
      actionLow: [-1, -1],
      actionHigh: [1, 1],
      actor: dtActorWeights(learner),
      support: { quantiles: computeActionQuantiles(new Float32Array([-1, 1, 1, -1]), ACT) },
      provenance: { algorithm: "dt", datasetHash: "0", config: {}, metrics: {} },
    });
    const session = await ort.InferenceSession.create(exportDtPackageOnnx(pkg).bytes);
    for (const real of [K, 2]) {
      const w = randomWindow(new Rng(17 + real), 1, K, [0]);
      w.mask.fill(1, K - real);
      const out = await session.run({
        observations: new ort.Tensor("float32", w.observations, [1, K, OBS]),
        actions: new ort.Tensor("float32", w.actions, [1, K, ACT]),
        returns_to_go: new ort.Tensor("float32", w.returnsToGo, [1, K]),
        timesteps: new ort.Tensor(
          "int64",
          BigInt64Array.from(w.timesteps, (t) => BigInt(t)),
          [1, K],
        ),
        mask: new ort.Tensor("float32", w.mask, [1, K]),
      });
      const want = rowsOf(learner.predict(w, 1), K - 1, K);
      const got = Array.from(out[DT_ONNX_OUTPUT].data as Float32Array);
      expect(got).toHaveLength(ACT);
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    }
    await session.release();
    learner.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("warmup: the first update moves the parameters 1/warmupSteps as far as without it", () => {
    const w = randomWindow(new Rng(20), 2, K, [K, 3]);
    const delta = (warmupSteps: number): number => {
      const learner = new DtLearner({ ...TINY, warmupSteps }, DIMS, new Rng(21));
      const before = learner.parameters();
      learner.updateSegments({ ...w, size: 2, contextLength: K });
      const after = learner.parameters();
      learner.dispose();
      return after.reduce((acc, v, i) => acc + Math.abs(v - before[i]), 0);
    };
    expect(delta(4) / delta(0)).toBeCloseTo(0.25, 3);
  });
});
