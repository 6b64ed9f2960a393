import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Env, StepResult } from "../../../src/core/env.js";
import type { TransitionColumns } from "../../../src/core/transitions.js";
import { writePolicyPackage, type PolicyPackage } from "../../../src/policy/package.js";
import { evaluatePackage } from "../../../src/rl/eval/evaluate-package.js";
import { rolloutPolicy } from "../../../src/rl/eval/rollout.js";

/** 1-D env: the observation is the reset seed; reward = action; truncates after `horizon` steps. */
class SeedEnv implements Env {
  readonly obsDim = 1;
  readonly actDim = 1;
  private t = 0;
  private seed = 0;
  constructor(private readonly horizon: number) {}
  reset(seed = 0): Float32Array {
    this.t = 0;
    this.seed = seed;
    return Float32Array.of(seed);
  }
  step(action: ArrayLike<number>): StepResult {
    this.t++;
    return {
      observation: Float32Array.of(this.seed),
      reward: action[0],
      terminated: false,
      truncated: this.t >= this.horizon,
      info: { time: this.t, signals: new Float64Array(0) },
    };
  }
  close(): void {}
}

const dir = mkdtempSync(join(tmpdir(), "tether-eval-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Policy a = clip(0.1 × obs); behavior model mean tanh(0) = 0 everywhere. */
function pkg(withSupportModel: boolean): PolicyPackage {
  return writePolicyPackage(join(dir, String(withSupportModel)), {
    robot: "seed_env",
    obsNames: ["seed"],
    actNames: ["u"],
    actionLow: [-1],
    actionHigh: [1],
    actor: {
      kind: "deterministic",
      obsDim: 1,
      actDim: 1,
      network: {
        layers: [
          {
            inDim: 1,
            outDim: 1,
            activation: "linear",
            weight: Float32Array.of(0.1),
            bias: Float32Array.of(0),
          },
        ],
      },
      obsMean: [0],
      obsStd: [1],
    },
    support: {
      quantiles: { levels: [0.005, 0.5, 0.995], values: [[-0.15, 0, 0.15]] },
      conditional: withSupportModel
        ? {
            layers: [
              {
                inDim: 1,
                outDim: 2,
                activation: "linear",
                weight: Float32Array.of(0, 0),
                bias: Float32Array.of(0, -1),
              },
            ],
            logStdMin: -5,
            logStdMax: 2,
            squashMean: true,
          }
        : undefined,
    },
    provenance: { algorithm: "bc", datasetHash: "x", config: {}, metrics: {} },
  });
}

describe("rolloutPolicy", () => {
  it("runs whole episodes and records every state and action", async () => {
    const r = await rolloutPolicy(new SeedEnv(3), (obs, out) => (out[0] = obs[0]), { episodes: 2, seed: 5 });
    expect(r.episodes.map((e) => [e.return, e.length])).toEqual([
      [15, 3],
      [18, 3],
    ]);
    expect(Array.from(r.actions)).toEqual([5, 5, 5, 6, 6, 6]);
    expect(r.steps).toBe(6);
  });

  it("stops an env that never ends", async () => {
    await expect(
      rolloutPolicy(new SeedEnv(1e9), () => {}, { episodes: 1, seed: 0, maxSteps: 50 }),
    ).rejects.toThrow(/ran 50 steps without terminating/);
  });
});

describe("evaluatePackage", () => {
  it("reports return and normalized score with bootstrap intervals, and the BC-mean support gap without a dataset", async () => {
    // Seeds 0..3 -> actions 0, 0.1, 0.2, 0.3 for 2 steps -> returns 0, 0.2, 0.4, 0.6.
    const report = await evaluatePackage(pkg(true), new SeedEnv(2), {
      episodes: 4,
      seed: 0,
      normalizedScore: (r) => 100 * r,
      bootstrapResamples: 500,
    });
    expect(report.returns.map((r) => Number(r.toFixed(6)))).toEqual([0, 0.2, 0.4, 0.6]);
    expect(report.return_ci.mean).toBeCloseTo(0.3, 6);
    expect(report.return_ci.low).toBeLessThan(0.3);
    expect(report.return_ci.high).toBeGreaterThan(0.3);
    expect(report.normalized_score?.mean).toBeCloseTo(30, 4);
    // Mean |a - 0| over visited states = (0 + 0.1 + 0.2 + 0.3) / 4.
    expect(report.support_gap_source).toBe("bc_mean_on_visited_states");
    expect(report.support_gap).toBeCloseTo(0.15, 6);
    // 0.2 and 0.3 are outside [-0.15, 0.15]: half of the actions.
    expect(report.outside_quantile_box).toBe(0.5);
  });

  it("uses the dataset's actions at dataset states when a dataset is given", async () => {
    const data: TransitionColumns = {
      size: 2,
      obsDim: 1,
      actDim: 1,
      observations: Float32Array.of(1, 2),
      actions: Float32Array.of(0.1, 0),
      rewards: new Float32Array(2),
      nextObservations: new Float32Array(2),
      terminals: new Uint8Array(2),
      timeouts: new Uint8Array(2),
      episodes: new Uint32Array(2),
    };
    const report = await evaluatePackage(pkg(false), new SeedEnv(1), { episodes: 2, seed: 0, dataset: data });
    expect(report.support_gap_source).toBe("dataset_states");
    expect(report.support_gap).toBeCloseTo((0 + 0.2) / 2, 6);
    expect(report.dataset_outside_quantile_box).toBe(0.5);
    expect(report.normalized_score).toBeNull();
  });

  it("rejects a package that does not fit the env, naming the manifest field", async () => {
    const env = new SeedEnv(1);
    Object.defineProperty(env, "obsDim", { value: 3 });
    await expect(evaluatePackage(pkg(false), env, { episodes: 2, seed: 0 })).rejects.toThrow(
      /policy\.json: observation\.dim: .*expected 3, got 1/,
    );
  });
});
