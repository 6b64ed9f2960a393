import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import {
  banditTarget,
  formatOodBanditTable,
  makeBanditData,
  OOD_BANDIT_ROWS,
  runOodBandit,
} from "../../../src/rl/bandit/ood-bandit.js";

// The full experiment (6000 samples, 1500 + 1200 steps, 20 random actions) is the demo's job; the test runs
// the same code with a smaller budget and checks the chapter's qualitative claims, not numbers.
const SMALL = {
  samples: 1500,
  batchSize: 64,
  qSteps: 200,
  actorSteps: 200,
  cqlRandomActions: 10,
  evalStates: 200,
  seed: 0,
};

describe("makeBanditData", () => {
  it("draws the chapter's behavior data: narrow band around 0.2 × target, reward −(a − target)²", () => {
    const d = makeBanditData(4000, new Rng(1));
    let residual = 0;
    for (let i = 0; i < 4000; i++) {
      const t = banditTarget(d.states[i]);
      expect(d.rewards[i]).toBeCloseTo(-((d.actions[i] - t) ** 2), 6);
      residual += (d.actions[i] - 0.2 * t) ** 2;
      expect(Math.abs(d.states[i])).toBeLessThanOrEqual(1);
    }
    // Residual std of the behavior noise is 0.04.
    expect(Math.sqrt(residual / 4000)).toBeGreaterThan(0.035);
    expect(Math.sqrt(residual / 4000)).toBeLessThan(0.045);
  });
});

describe("runOodBandit (reduced budget)", () => {
  it("sends naive Q far off support while CQL and TD3+BC stay close to it", () => {
    const r = runOodBandit(SMALL);
    expect(Object.keys(r).sort()).toEqual([...OOD_BANDIT_ROWS].sort());
    expect(r.behavior_policy.support_gap).toBe(0);
    expect(r.oracle_policy.return).toBe(0);
    // Naive Q maximization runs to actions the data never showed.
    expect(r.naive_q_actor.support_gap).toBeGreaterThan(0.15);
    // CQL and TD3+BC stay near the data: several times closer than naive Q.
    expect(r.cql_actor.support_gap).toBeLessThan(r.naive_q_actor.support_gap / 3);
    expect(r.td3bc_actor.support_gap).toBeLessThan(r.naive_q_actor.support_gap / 3);
    // In-sample methods stay near the data too.
    expect(r.iql_actor.support_gap).toBeLessThan(r.naive_q_actor.support_gap / 3);
    expect(r.awac_actor.support_gap).toBeLessThan(r.naive_q_actor.support_gap / 3);
    // TD3+BC improves on the behavior policy without leaving the support (the chapter's best row).
    expect(r.td3bc_actor.return).toBeGreaterThan(r.behavior_policy.return);
    for (const row of OOD_BANDIT_ROWS) expect(r[row].return).toBeLessThanOrEqual(r.oracle_policy.return);
    expect(formatOodBanditTable(r).split("\n")).toHaveLength(7);
    expect(formatOodBanditTable(r)).toMatch(/^behavior_policy return=-0\.\d{4} support_gap=0\.0000$/m);
  });
});
