/**
 * AWAC's λ acts on Q in reward units. These pin the fix that made it more than BC on small-reward robots:
 * the trainer normalizes AWAC's rewards by the return range, and that scale is what makes the weights bite.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../../src/core/rng.js";
import type { TransitionColumns } from "../../../src/core/transitions.js";
import { loadRobot } from "../../../src/robot/load.js";
import { compileTask } from "../../../src/robot/task-functions.js";
import { create as createAwac } from "../../../src/rl/algos/awac.js";
import type { Batch } from "../../../src/rl/algos/learner.js";
import { trainOffline } from "../../../src/rl/trainer.js";

describe("AWAC reward normalization", () => {
  const robot = loadRobot("pendulum");
  const task = compileTask(robot.spec);
  /** Two 2-step episodes with returns 1 and 3: the scale is 1000 / (3 - 1) = 500. */
  function twoEpisodes(): TransitionColumns {
    const n = 4;
    return {
      size: n,
      obsDim: task.obsDim,
      actDim: task.actDim,
      observations: new Float32Array(n * task.obsDim).fill(0.5),
      actions: new Float32Array(n * task.actDim),
      rewards: Float32Array.from([0.5, 0.5, 1, 2]),
      nextObservations: new Float32Array(n * task.obsDim).fill(0.5),
      terminals: new Uint8Array(n),
      timeouts: Uint8Array.from([0, 1, 0, 1]),
      episodes: Uint32Array.from([0, 0, 1, 1]),
    };
  }
  const train = (algo: "awac" | "bc", config: Record<string, unknown>) =>
    trainOffline(
      robot,
      { cols: twoEpisodes(), source: "test", datasetHash: "test" },
      {
        algo,
        config: { hidden: [8], ...config },
        steps: 1,
        batchSize: 4,
        seed: 0,
        outDir: mkdtempSync(join(tmpdir(), "tether-awac-")),
        evalEvery: 0,
        evalEpisodes: 1,
        checkpointEvery: 1,
        logEvery: 1,
        resume: false,
      },
    );

  it("scales AWAC's rewards by 1000 / return range by default, and not when switched off", async () => {
    const on = await train("awac", {});
    expect(on.rewardScale).toBeCloseTo(500);
    on.learner.dispose();
    const off = await train("awac", { normalizeRewards: false });
    expect(off.rewardScale).toBe(1);
    off.learner.dispose();
    const bc = await train("bc", {});
    expect(bc.rewardScale).toBe(1);
    bc.learner.dispose();
  });

  /**
   * One state, one-step episodes: action -0.5 earns 0, action +0.5 earns 0.01. At λ = 1/3, in raw units
   * A ≈ ±0.005 and exp(A/λ) ≈ 1 ± 0.015, so the actor is plain BC (mean ≈ 0). Scaled by 100 (rewards 0
   * and 1), A ≈ ±0.5 and the weights are e^1.5 ≈ 4.5 vs e^-1.5 ≈ 0.22: the weighted mean is
   * (4.5 - 0.22)·0.5 / 4.72 ≈ 0.45.
   */
  function bandit(rng: Rng, n: number): Batch {
    const actions = Float32Array.from({ length: n }, () => (rng.uniform(0, 1) < 0.5 ? -0.5 : 0.5));
    return {
      size: n,
      observations: new Float32Array(n),
      actions,
      rewards: actions.map((a) => (a > 0 ? 0.01 : 0)),
      nextObservations: new Float32Array(n),
      terminals: new Float32Array(n).fill(1),
    };
  }
  const trainBandit = (rewardScale: number): { meanAction: number; ess: number } => {
    const rng = new Rng(3);
    const learner = createAwac(
      { hidden: [16, 16], lr: 1e-3, lambda: 1 / 3 },
      { obsDim: 1, actDim: 1, rewardScale },
      rng.fork(),
    );
    let ess = Number.NaN;
    for (let i = 0; i < 600; i++) ess = learner.update(bandit(rng, 64))["values/adv_ess"];
    const meanAction = learner.act(new Float32Array([0]))[0];
    learner.dispose();
    return { meanAction, ess };
  };

  it("prefers the better data action only when the rewards are on the normalized scale", () => {
    const raw = trainBandit(1);
    const scaled = trainBandit(100);
    expect(Math.abs(raw.meanAction)).toBeLessThan(0.1);
    expect(scaled.meanAction).toBeGreaterThan(0.3);
    // Weights ≈ 1 ± 0.015 keep the whole batch; weights that favour the better half of the rows keep about
    // half of it or less (0.5 if the worse half weighed nothing and the better half alike).
    expect(raw.ess).toBeGreaterThan(0.99);
    expect(scaled.ess).toBeLessThan(0.6);
  });
});
