/**
 * The two-thread IQL learner is the same computation as IqlLearner: same seed and batches give bit-identical
 * metrics, parameters, optimizer moments and actions; its checkpoints load into the other and back; worker
 * errors come back as the same errors; no tensor leaks inside the workers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { TetherError } from "../../../src/core/errors.js";
import { selectBackend } from "../../../src/rl/backend.js";
import {
  createTfjs as createIql,
  type TfjsIqlLearner as IqlLearner,
} from "../../../src/rl/algos/iql-tfjs.js";
import { ParallelIqlLearner } from "../../../src/rl/algos/iql-parallel.js";
import { randomBatch as randomTransitions } from "../../../src/rl/random-batch.js";
import type { Batch, StateDict } from "../../../src/rl/algos/learner.js";
import type { GaussianActor } from "../../../src/rl/networks/actor.js";

const OBS = 5;
const ACT = 2;
const CONFIG = { hidden: [16, 16], lr: 1e-3 };
const dims = {
  obsDim: OBS,
  actDim: ACT,
  obsMean: new Float32Array([0.1, 0, -0.2, 0.3, 0]),
  obsStd: new Float32Array([1, 2, 0.5, 1, 1.5]),
  rewardScale: 3,
};

function expectSameState(a: StateDict, b: StateDict): void {
  expect(Object.keys(b.arrays).sort()).toEqual(Object.keys(a.arrays).sort());
  expect(b.scalars).toEqual(a.scalars);
  expect(b.step).toBe(a.step);
  for (const [name, values] of Object.entries(a.arrays))
    expect(Array.from(b.arrays[name]), name).toEqual(Array.from(values));
}

let parallel: ParallelIqlLearner;
let single: IqlLearner;

beforeAll(async () => {
  await selectBackend("wasm");
  parallel = await ParallelIqlLearner.start(CONFIG, dims, new Rng(7), { backend: "wasm", batchCapacity: 16 });
  single = createIql(CONFIG, dims, new Rng(7));
});

afterAll(() => {
  single.dispose();
  parallel.dispose();
});

/** Random transitions at this test's shape, one in five terminal. */
const randomBatch = (rng: Rng, n: number): Batch => randomTransitions(rng, n, OBS, ACT, 0.2);

describe("ParallelIqlLearner", () => {
  it("starts from the same parameters and matches IqlLearner bit for bit over 8 updates", () => {
    expectSameState(single.stateDict(), parallel.stateDict());
    const rng = new Rng(8);
    for (let i = 0; i < 8; i++) {
      // Batch sizes vary, one beyond the initial shared-memory capacity.
      const batch = randomBatch(rng, i === 5 ? 40 : 24);
      expect(parallel.update(batch)).toEqual(single.update(batch));
    }
    expect(parallel.step).toBe(8);
    expectSameState(single.stateDict(), parallel.stateDict());
    const probe = randomBatch(new Rng(9), 10).observations;
    expect(Array.from(parallel.act(probe))).toEqual(Array.from(single.act(probe)));
    expect(parallel.actorWeights()).toEqual(single.actorWeights());
  });

  it("keeps the live tensor count inside its workers constant across updates", () => {
    const rng = new Rng(10);
    parallel.update(randomBatch(rng, 16));
    const live = parallel.liveTensors();
    expect(live).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      parallel.update(randomBatch(rng, 16));
      parallel.act(randomBatch(rng, 4).observations);
      parallel.stateDict();
      expect(parallel.liveTensors()).toBe(live);
    }
  });

  it('matches IqlLearner bit for bit with logStd: "free" too (the worker builds the same actor)', async () => {
    const config = { ...CONFIG, actor: "gaussian" as const, logStd: "free" as const };
    const free = await ParallelIqlLearner.start(config, dims, new Rng(13), { backend: "wasm" });
    const freeSingle = createIql(config, dims, new Rng(13));
    try {
      const rng = new Rng(14);
      for (let i = 0; i < 4; i++) {
        const batch = randomBatch(rng, 24);
        expect(free.update(batch)).toEqual(freeSingle.update(batch));
      }
      expectSameState(freeSingle.stateDict(), free.stateDict());
      // Not the "state" actor: its log-std weights are zero and stayed zero.
      const params = free.stateDict().arrays["actor/params"];
      const net = freeSingle.actor.net as GaussianActor;
      expect(net.logStdWeightIndices().every((j) => params[j] === 0)).toBe(true);
      const stateLogStd = createIql({ ...config, logStd: "state" }, dims, new Rng(13));
      expect(() => free.loadStateDict(stateLogStd.stateDict())).toThrow(/logStd: "free"/);
      stateLogStd.dispose();
    } finally {
      freeSingle.dispose();
      free.dispose();
    }
  });

  it("loads IqlLearner's state dict and vice versa, continuing identically", async () => {
    const rng = new Rng(11);
    const other = createIql(CONFIG, dims, new Rng(99));
    const otherParallel = await ParallelIqlLearner.start(CONFIG, dims, new Rng(98), { backend: "wasm" });
    try {
      // parallel -> single
      other.loadStateDict(parallel.stateDict());
      // single -> parallel
      otherParallel.loadStateDict(single.stateDict());
      expect(other.step).toBe(parallel.step);
      const batch = randomBatch(rng, 16);
      expect(other.update(batch)).toEqual(parallel.update(batch));
      expect(otherParallel.update(batch)).toEqual(single.update(batch));
      expectSameState(parallel.stateDict(), other.stateDict());
      expectSameState(single.stateDict(), otherParallel.stateDict());
      expect(otherParallel.dispose()).toBe(0);
    } finally {
      other.dispose();
      otherParallel.dispose();
    }
  });

  it("rejects misshaped state dicts and batches with the single-thread learner's errors", () => {
    const state = parallel.stateDict();
    state.arrays["actor/params"] = new Float32Array(5);
    expect(() => parallel.loadStateDict(state)).toThrow(
      /state dict array actor\/params: expected \d+, got 5/,
    );
    const qState = parallel.stateDict();
    delete qState.arrays["q/target"];
    let err: unknown;
    try {
      parallel.loadStateDict(qState);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TetherError);
    expect((err as TetherError).code).toBe("STATE_DICT");
    expect((err as TetherError).message).toBe('state dict for iql has no array "q/target"');
    const batch = randomBatch(new Rng(12), 8);
    batch.actions = new Float32Array(3);
    expect(() => parallel.update(batch)).toThrow("batch actions: expected 16, got 3");
    // Still usable after rejected input.
    expect(Number.isFinite(parallel.update(randomBatch(new Rng(13), 8))["loss/critic"])).toBe(true);
  });

  it("refuses calls after dispose", async () => {
    const l = await ParallelIqlLearner.start(CONFIG, dims, new Rng(1), { backend: "wasm" });
    expect(l.dispose()).toBe(0);
    expect(() => l.update(randomBatch(new Rng(1), 4))).toThrow(/disposed/);
  });
});
