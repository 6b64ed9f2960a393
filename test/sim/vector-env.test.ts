import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NonFiniteError, ShapeMismatchError, TetherError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/rng.js";
import { MujocoEnv } from "../../src/sim/mujoco-env.js";
import { VectorEnv, collectEpisodes, episodeJobs, type BatchStep } from "../../src/sim/vector-env.js";
import { robotVariant, sameBits } from "./helpers.js";

describe("VectorEnv (worker threads)", () => {
  let vec: VectorEnv;
  let single: MujocoEnv;
  beforeAll(async () => {
    vec = await VectorEnv.create({ robot: "reacher2", numEnvs: 3, workers: 2 });
    single = await MujocoEnv.create("reacher2");
  });
  afterAll(async () => {
    await vec.close();
    single.close();
  });

  it("equals single MujocoEnvs for the same seeds and actions", async () => {
    const seeds = [11, 22, 33];
    const { obsDim, actDim, signalDim } = vec;
    const rng = new Rng(5);
    const actions = Array.from({ length: 15 }, () =>
      Float64Array.from({ length: 3 * actDim }, () => rng.uniform(-1, 1)),
    );
    const reset = await vec.reset(seeds);
    const steps: BatchStep[] = [];
    for (const a of actions) steps.push(await vec.step(a));
    for (let i = 0; i < 3; i++) {
      const obs0 = single.reset(seeds[i]);
      expect(sameBits(reset.observations.subarray(i * obsDim, (i + 1) * obsDim), obs0)).toBe(true);
      actions.forEach((a, t) => {
        const r = single.step(a.subarray(i * actDim, (i + 1) * actDim));
        expect(sameBits(steps[t].observations.subarray(i * obsDim, (i + 1) * obsDim), r.observation)).toBe(
          true,
        );
        expect(sameBits(steps[t].signals.subarray(i * signalDim, (i + 1) * signalDim), r.info.signals)).toBe(
          true,
        );
        expect(steps[t].rewards[i]).toBe(r.reward);
      });
    }
  });

  it("auto-resets finished envs and keeps the final observation", async () => {
    vec.autoReset = true;
    try {
      await vec.reset([7, 8, 9]);
      single.reset(8);
      let last: BatchStep | undefined;
      let expected;
      for (let t = 0; t < single.maxEpisodeSteps; t++) {
        last = await vec.step(new Float64Array(3 * vec.actDim));
        expected = single.step([0, 0]);
      }
      expect([...last!.truncated]).toEqual([1, 1, 1]);
      const row = (a: Float32Array): Float32Array => a.subarray(vec.obsDim, 2 * vec.obsDim);
      expect(sameBits(row(last!.finalObservations), expected!.observation)).toBe(true);
      expect(sameBits(row(last!.observations), expected!.observation)).toBe(false);
      const next = await vec.step(new Float64Array(3 * vec.actDim));
      expect([...next.truncated]).toEqual([0, 0, 0]);
    } finally {
      vec.autoReset = false;
    }
  });

  it("rejects a batch of the wrong size or with NaN before stepping any env", async () => {
    const state = await vec.reset([1, 2, 3]);
    await expect(vec.step(new Float64Array(5))).rejects.toThrow(ShapeMismatchError);
    const bad = new Float64Array(6);
    bad[4] = NaN;
    await expect(vec.step(bad)).rejects.toThrow(NonFiniteError);
    const r = await vec.step(new Float64Array(6));
    // Stepping from the reset state once, as if the bad batches never happened:
    single.reset(2);
    const expected = single.step([0, 0]);
    expect(sameBits(r.observations.subarray(vec.obsDim, 2 * vec.obsDim), expected.observation)).toBe(true);
    expect(state.observations).toHaveLength(3 * vec.obsDim);
  });
});

describe("VectorEnv errors", () => {
  it("reports a worker-side MJCF error with the file and MuJoCo's message", async () => {
    const dir = robotVariant("pendulum", { model: (xml) => xml.replace('type="hinge"', 'type="hinj"') });
    const err = await VectorEnv.create({ robot: dir, numEnvs: 1, workers: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TetherError);
    expect((err as TetherError).code).toBe("CONFIG");
    expect((err as Error).message).toMatch(/model\.xml: \(mjcf\): .*invalid keyword: 'hinj'/);
  });
});

describe("collectEpisodes", () => {
  it("gives the same episodes on 2 workers as in-process", async () => {
    const a = await collectEpisodes({
      robot: "pendulum",
      behavior: "medium",
      episodes: 3,
      seed: 4,
      workers: 2,
      includeSignals: true,
    });
    const b = await collectEpisodes({
      robot: "pendulum",
      behavior: "medium",
      episodes: 3,
      seed: 4,
      workers: 0,
      includeSignals: true,
    });
    expect(a.map((e) => e.index)).toEqual([0, 1, 2]);
    a.forEach((e, i) => {
      expect(e.returns).toBe(b[i].returns);
      expect(sameBits(e.actions, b[i].actions)).toBe(true);
      expect(sameBits(e.observations, b[i].observations)).toBe(true);
      expect(sameBits(e.signals!, b[i].signals!)).toBe(true);
    });
  });

  it("returns consistent columns: next observations chain, one timeout at the end", async () => {
    const [e] = await collectEpisodes({
      robot: "reacher2",
      behavior: "expert",
      episodes: 1,
      seed: 2,
      workers: 0,
      includeSignals: true,
    });
    const T = e.length;
    const obsDim = e.observations.length / T;
    expect(T).toBe(200);
    expect(e.timeouts[T - 1]).toBe(1);
    expect(e.timeouts.reduce((s, x) => s + x, 0)).toBe(1);
    expect(e.terminals.every((x) => x === 0)).toBe(true);
    expect(
      sameBits(e.observations.subarray(obsDim, 2 * obsDim), e.nextObservations.subarray(0, obsDim)),
    ).toBe(true);
    expect(e.returns).toBeCloseTo(
      e.rewards.reduce((s, r) => s + r, 0),
      3,
    );
    // Signals: 2 joints × (position, velocity, effort) + 2 actions + goal x, y; row t+1 holds a_t in N·m.
    expect(e.signals!.length).toBe((T + 1) * 10);
    expect(e.signals![10 + 6]).toBeCloseTo(e.actions[0] * 0.5, 6);
    expect(e.signals![10 + 7]).toBeCloseTo(e.actions[1] * 0.5, 6);
    expect(e.actions.every((a) => a >= -1 && a <= 1)).toBe(true);
  });

  it("ends an episode at the failure state and marks it terminal", async () => {
    const eps = await collectEpisodes({
      robot: "pusher",
      behavior: "random",
      episodes: 2,
      seed: 1,
      workers: 0,
    });
    for (const e of eps) {
      const ends = e.terminals[e.length - 1] + e.timeouts[e.length - 1];
      expect(ends).toBe(1);
      expect(e.termination === undefined).toBe(e.terminals[e.length - 1] === 0);
    }
  });

  it("runs a controller from a user module", async () => {
    const module = new URL("./fixtures/constant-controller.ts", import.meta.url).href;
    const [e] = await collectEpisodes({
      robot: "pendulum",
      controller: { module, options: { value: 0.25 } },
      episodes: 1,
      workers: 0,
    });
    expect(e.actions.every((a) => a === 0.25)).toBe(true);
    await expect(
      collectEpisodes({
        robot: "pendulum",
        controller: { module, exportName: "nope" },
        episodes: 1,
        workers: 0,
      }),
    ).rejects.toThrow(/does not export that function/);
  });

  it("draws seeds up front and ramps quality for medium-replay-like data", () => {
    const jobs = episodeJobs({ qualityRamp: [0.1, 0.9] }, 5, 3);
    [0.1, 0.3, 0.5, 0.7, 0.9].forEach((q, i) => expect(jobs[i].quality).toBeCloseTo(q, 12));
    expect(new Set(jobs.map((j) => j.envSeed)).size).toBe(5);
    expect(episodeJobs("expert", 5, 3)).toEqual(jobs.map((j) => ({ ...j, quality: 1 })));
  });
});
