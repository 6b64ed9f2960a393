/** The dataset columns some algorithms sample beyond the transition: next actions (ReBRAC), returns-to-go (Cal-QL). */
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import type { TransitionColumns } from "../../src/core/transitions.js";
import { mcReturnColumn, nextActionColumn, TransitionSampler } from "../../src/rl/replay.js";

/**
 * Four episodes, each ending a different way: 0 by a terminal (row 1), 1 by a time-limit cut (row 3), 2 by
 * the next row's episode index (row 5), 3 by the end of the data (row 6). Rewards 1..7, actions 10..16.
 */
function columns(): TransitionColumns {
  const size = 7;
  return {
    size,
    obsDim: 1,
    actDim: 1,
    observations: Float32Array.from({ length: size }, (_, i) => i),
    actions: Float32Array.from({ length: size }, (_, i) => 10 + i),
    rewards: Float32Array.from({ length: size }, (_, i) => 1 + i),
    nextObservations: Float32Array.from({ length: size }, (_, i) => i + 1),
    terminals: Uint8Array.from([0, 1, 0, 0, 0, 0, 0]),
    timeouts: Uint8Array.from([0, 0, 0, 1, 0, 0, 0]),
    episodes: Uint32Array.from([0, 0, 1, 1, 2, 2, 3]),
  };
}

describe("returns-to-go and next actions per episode", () => {
  it("G_t = r_t + γ G_{t+1} inside an episode, no bootstrap past any episode end (γ = 0.5)", () => {
    // By hand: G1 = 2, G0 = 1 + 0.5·2; G3 = 4 (cut, not bootstrapped), G2 = 3 + 0.5·4; G5 = 6, G4 = 5 + 3; G6 = 7.
    expect(Array.from(mcReturnColumn(columns(), 0.5))).toEqual([2, 2, 5, 4, 8, 6, 7]);
  });

  it("the next row's action within an episode, the row's own at an episode's last row", () => {
    expect(Array.from(nextActionColumn(columns()))).toEqual([11, 11, 13, 13, 15, 15, 16]);
  });

  it("the sampler copies both columns row for row with the transition, only when asked", () => {
    const cols = columns();
    const plain = new TransitionSampler(cols, 16).sample(new Rng(1));
    expect(plain.nextActions).toBeUndefined();
    expect(plain.mcReturns).toBeUndefined();
    const batch = new TransitionSampler(cols, 16, { nextActions: true, mcDiscount: 0.5 }).sample(new Rng(1));
    const returns = mcReturnColumn(cols, 0.5);
    const next = nextActionColumn(cols);
    const rows = new Set<number>();
    for (let k = 0; k < 16; k++) {
      const i = batch.observations[k]; // observation i is row i
      rows.add(i);
      expect(batch.mcReturns?.[k]).toBe(returns[i]);
      expect(batch.nextActions?.[k]).toBe(next[i]);
      expect(batch.rewards[k]).toBe(cols.rewards[i]);
    }
    expect(rows.size).toBeGreaterThan(3);
  });
});
