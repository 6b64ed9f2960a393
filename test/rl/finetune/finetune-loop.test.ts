import { describe, expect, it } from "vitest";
import type { Env, StepResult } from "../../../src/core/env.js";
import type { TransitionColumns } from "../../../src/core/transitions.js";
import type { Batch, Learner, StateDict } from "../../../src/rl/algos/learner.js";
import { runFinetuneLoop, type ActionFilter } from "../../../src/rl/finetune/finetune-loop.js";

/** 1-D env: reward = action; truncates after `horizon` steps; records every action it receives. */
class RecordingEnv implements Env {
  readonly obsDim = 1;
  readonly actDim = 1;
  readonly received: number[] = [];
  private t = 0;
  constructor(private readonly horizon: number) {}
  reset(): Float32Array {
    this.t = 0;
    return Float32Array.of(0);
  }
  step(action: ArrayLike<number>): StepResult {
    this.t++;
    this.received.push(action[0]);
    return {
      observation: Float32Array.of(this.t),
      reward: action[0],
      terminated: false,
      truncated: this.t >= this.horizon,
      info: { time: this.t, signals: new Float64Array(0) },
    };
  }
  close(): void {}
}

/** A learner whose action is scripted; counts updates and the batches it saw. */
function scriptedLearner(action: (call: number) => number): Learner & { batches: number[] } {
  let calls = 0;
  let step = 0;
  const batches: number[] = [];
  const dims = {
    obsDim: 1,
    actDim: 1,
    obsMean: Float32Array.of(0),
    obsStd: Float32Array.of(1),
    rewardScale: 1,
  };
  return {
    algo: "iql",
    dims,
    get step() {
      return step;
    },
    batches,
    update(batch: Batch) {
      step++;
      batches.push(batch.size);
      return { "loss/critic": 0 };
    },
    act: () => Float32Array.of(action(calls++)),
    stateDict: (): StateDict => ({ algo: "iql", step, arrays: {}, scalars: {} }),
    loadStateDict: () => undefined,
    actorWeights: () => {
      throw new Error("not used");
    },
    dispose: () => undefined,
  };
}

const offline: TransitionColumns = {
  size: 4,
  obsDim: 1,
  actDim: 1,
  observations: Float32Array.of(0, 1, 2, 3),
  actions: Float32Array.of(0, 0.1, 0.2, 0.3),
  rewards: Float32Array.of(0, 0, 0, 0),
  nextObservations: Float32Array.of(1, 2, 3, 4),
  terminals: new Uint8Array(4),
  timeouts: new Uint8Array(4),
  episodes: new Uint32Array(4),
};

/** Clamps into [-0.5, 0.5]; NaN and huge values become 0. Counts interventions. */
function clampFilter(): ActionFilter & { interventions: number; resets: number } {
  const f = {
    interventions: 0,
    resets: 0,
    apply(_obs: Float32Array, a: Float32Array): Float64Array {
      const out = new Float64Array(a.length);
      for (let i = 0; i < a.length; i++) {
        const v = Number.isFinite(a[i]) ? Math.max(-0.5, Math.min(0.5, a[i])) : 0;
        if (v !== a[i]) f.interventions++;
        out[i] = v;
      }
      return out;
    },
    reset() {
      f.resets++;
    },
  };
  return f;
}

const base = {
  ratio: 0.5,
  evalEpisodes: 2,
  batchSize: 4,
  seed: 1,
  explorationStd: 0.3,
};

describe("runFinetuneLoop", () => {
  it("sends only filtered actions: NaN, ±Inf and huge policy outputs never reach the env", async () => {
    const wild = [NaN, Infinity, -Infinity, 1e30, -7, 0.2];
    const env = new RecordingEnv(10);
    const filter = clampFilter();
    const learner = scriptedLearner((k) => wild[k % wild.length]);
    const r = await runFinetuneLoop(env, learner, filter, offline, {
      ...base,
      envSteps: 60,
      updatesPerStep: 0.25,
      evalEvery: 20,
    });
    expect(env.received.length).toBe(60 + 4 * 2 * 10); // training + 4 evaluations of 2 episodes
    for (const a of env.received) {
      expect(Number.isFinite(a)).toBe(true);
      expect(Math.abs(a)).toBeLessThanOrEqual(0.5);
    }
    expect(filter.interventions).toBeGreaterThan(0);
    expect(r.filtered).toBeGreaterThan(0);
    expect(r.violations).toBe(0);
    expect(r.actionsSent).toBe(env.received.length);
    expect(filter.resets).toBe(6 + 8); // one per training episode and per evaluation episode
  });

  it("counts and withholds filtered actions that still break the limits", async () => {
    const env = new RecordingEnv(5);
    const identity: ActionFilter = { apply: (_o, a) => a };
    const learner = scriptedLearner((k) => (k % 2 === 0 ? NaN : 0.25));
    const r = await runFinetuneLoop(env, learner, identity, offline, {
      ...base,
      explorationStd: 0,
      envSteps: 10,
      updatesPerStep: 0,
      evalEvery: 0,
    });
    expect(r.violations).toBeGreaterThan(0);
    expect(env.received.every((a) => Number.isFinite(a) && Math.abs(a) <= 1)).toBe(true);
    expect(r.actionsSent + r.violations).toBe(env.received.length);
  });

  it("runs updatesPerStep updates per env step on mixed batches and evaluates on schedule", async () => {
    const env = new RecordingEnv(10);
    const learner = scriptedLearner(() => 0.4);
    const seen: number[] = [];
    const r = await runFinetuneLoop(
      env,
      learner,
      clampFilter(),
      offline,
      {
        ...base,
        explorationStd: 0,
        envSteps: 50,
        updatesPerStep: 0.3,
        evalEvery: 20,
        normalizedScore: (ret) => ret * 10,
        onEval: (p) => {
          seen.push(p.env_step);
        },
      },
      new RecordingEnv(10),
    );
    expect(r.updates).toBe(Math.floor(50 * 0.3 + 1e-9));
    expect(learner.batches.every((b) => b === 4)).toBe(true);
    expect(seen).toEqual([0, 20, 40, 50]);
    expect(r.curve.map((p) => p.env_step)).toEqual([0, 20, 40, 50]);
    // Deterministic policy 0.4 for 10 steps: return 4, normalized 40; identical episodes give a zero-width CI.
    for (const p of r.curve) {
      expect(p.mean_return).toBeCloseTo(4, 5);
      expect(p.score).toBeCloseTo(40, 4);
      expect(p.ci_low).toBeCloseTo(40, 4);
      expect(p.ci_high).toBeCloseTo(40, 4);
      expect(p.scores.length).toBe(2);
      for (const v of p.scores) expect(v).toBeCloseTo(40, 4);
    }
    expect(r.trainEpisodes).toBe(5);
  });

  it("ends the run at the action after which the filter halts: no further action, update or evaluation", async () => {
    const env = new RecordingEnv(10);
    const learner = scriptedLearner(() => 0.1);
    let applied = 0;
    const latching: ActionFilter = {
      apply: (_o, a) => {
        applied++;
        return a;
      },
      halted: () => (applied >= 2 * 10 + 25 ? "e-stop: test" : undefined),
    };
    const r = await runFinetuneLoop(env, learner, latching, offline, {
      ...base,
      explorationStd: 0,
      envSteps: 100,
      updatesPerStep: 1,
      evalEvery: 50,
    });
    // 20 evaluation actions at step 0, then the 25th training action trips the latch.
    expect(r.halted).toBe("e-stop: test");
    expect(env.received.length).toBe(45);
    expect(r.envSteps).toBe(25);
    expect(r.updates).toBe(24);
    expect(r.curve.map((p) => p.env_step)).toEqual([0]);
  });

  it("drops the evaluation a halt interrupts", async () => {
    const env = new RecordingEnv(10);
    let applied = 0;
    const latching: ActionFilter = {
      apply: (_o, a) => {
        applied++;
        return a;
      },
      halted: () => (applied >= 2 * 10 + 20 + 5 ? "e-stop: in evaluation" : undefined),
    };
    const r = await runFinetuneLoop(
      env,
      scriptedLearner(() => 0.1),
      latching,
      offline,
      {
        ...base,
        explorationStd: 0,
        envSteps: 100,
        updatesPerStep: 0,
        evalEvery: 20,
      },
    );
    expect(r.halted).toBe("e-stop: in evaluation");
    expect(r.envSteps).toBe(20);
    expect(env.received.length).toBe(45);
    expect(r.curve.map((p) => p.env_step)).toEqual([0]);
  });

  it("rejects bad budgets with the flag name", async () => {
    const env = new RecordingEnv(5);
    const learner = scriptedLearner(() => 0);
    await expect(
      runFinetuneLoop(env, learner, clampFilter(), offline, {
        ...base,
        envSteps: 0,
        updatesPerStep: 1,
        evalEvery: 0,
      }),
    ).rejects.toThrow(/--env-steps/);
  });
});
