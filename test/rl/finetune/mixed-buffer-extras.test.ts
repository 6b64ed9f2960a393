/**
 * The mixed buffer's extra columns for online rows: Cal-QL's Monte-Carlo returns-to-go (filled in when the
 * episode ends, no bound before) and ReBRAC's next actions (the following online step's action), checked
 * against hand computations; offline rows keep the offline columns.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import type { TransitionColumns } from "../../../src/core/transitions.js";
import { MixedReplayBuffer, NO_MC_BOUND } from "../../../src/rl/finetune/mixed-buffer.js";
import { mcReturnColumn, nextActionColumn } from "../../../src/rl/replay.js";

/** Two offline episodes of 3 rows; observation = 100 + row, action = -row / 10, reward = row + 1. */
function offline(): TransitionColumns {
  const size = 6;
  return {
    size,
    obsDim: 1,
    actDim: 1,
    observations: Float32Array.from({ length: size }, (_, i) => 100 + i),
    actions: Float32Array.from({ length: size }, (_, i) => -i / 10),
    rewards: Float32Array.from({ length: size }, (_, i) => i + 1),
    nextObservations: Float32Array.from({ length: size }, (_, i) => 101 + i),
    terminals: Uint8Array.from([0, 0, 1, 0, 0, 0]),
    timeouts: Uint8Array.from([0, 0, 0, 0, 0, 1]),
    episodes: Uint32Array.from([0, 0, 0, 1, 1, 1]),
  };
}

/** Every distinct online row (keyed by observation) with the extras a batch gave it. */
function onlineRows(buf: MixedReplayBuffer, draws = 400): Map<number, { mc?: number; next?: number }> {
  const rng = new Rng(5);
  const rows = new Map<number, { mc?: number; next?: number }>();
  for (let k = 0; k < draws; k++) {
    const b = buf.sample(rng);
    for (let i = 0; i < b.size; i++)
      rows.set(b.observations[i], { mc: b.mcReturns?.[i], next: b.nextActions?.[i] });
  }
  return rows;
}

describe("MixedReplayBuffer extras", () => {
  const gamma = 0.9;

  it("gives online rows no Monte-Carlo bound until their episode ends, then the discounted return-to-go", () => {
    // ratio 0: every row online.
    const buf = new MixedReplayBuffer(offline(), 16, 0, 8, { mcDiscount: gamma });
    const rewards = [1, -2, 0.5];
    buf.add([0], [0.1], rewards[0], [1], false);
    buf.add([1], [0.2], rewards[1], [2], false);
    for (const [, r] of onlineRows(buf)) expect(r.mc).toBe(NO_MC_BOUND);
    // The third step hits the time limit: the episode ends without bootstrap.
    buf.add([2], [0.3], rewards[2], [3], false, true);
    const rows = onlineRows(buf);
    // By hand: G2 = 0.5, G1 = -2 + 0.9 * 0.5 = -1.55, G0 = 1 + 0.9 * -1.55 = -0.395.
    expect(rows.get(2)?.mc).toBeCloseTo(0.5, 6);
    expect(rows.get(1)?.mc).toBeCloseTo(-1.55, 6);
    expect(rows.get(0)?.mc).toBeCloseTo(-0.395, 6);
    // The next episode starts fresh: its rows do not add to the last one's returns.
    buf.add([10], [0.4], 7, [11], true);
    const after = onlineRows(buf);
    expect(after.get(10)?.mc).toBeCloseTo(7, 6);
    expect(after.get(0)?.mc).toBeCloseTo(-0.395, 6);
  });

  it("ends an episode cut by endEpisode (an evaluation resetting the env) without bootstrap", () => {
    const buf = new MixedReplayBuffer(offline(), 16, 0, 8, { mcDiscount: gamma });
    buf.add([0], [0], 2, [1], false);
    buf.add([1], [0], 3, [2], false);
    buf.endEpisode();
    buf.add([5], [0], 4, [6], false);
    const rows = onlineRows(buf);
    expect(rows.get(1)?.mc).toBeCloseTo(3, 6);
    expect(rows.get(0)?.mc).toBeCloseTo(2 + 0.9 * 3, 6);
    expect(rows.get(5)?.mc).toBe(NO_MC_BOUND);
  });

  it("computes returns only over the rows the ring still holds", () => {
    // Capacity 2: of a 3-step episode only the last two rows are left when it ends.
    const buf = new MixedReplayBuffer(offline(), 2, 0, 4, { mcDiscount: gamma });
    buf.add([0], [0], 1, [1], false);
    buf.add([1], [0], 1, [2], false);
    buf.add([2], [0], 1, [3], true);
    const rows = onlineRows(buf);
    expect([...rows.keys()].sort()).toEqual([1, 2]);
    expect(rows.get(2)?.mc).toBeCloseTo(1, 6);
    expect(rows.get(1)?.mc).toBeCloseTo(1.9, 6);
  });

  it("gives each online row the following step's action as its next action, its own at an episode's end", () => {
    const buf = new MixedReplayBuffer(offline(), 16, 0, 8, { nextActions: true });
    buf.add([0], [0.1], 0, [1], false);
    // The latest row's next action is not known yet: its own stands in.
    expect(onlineRows(buf).get(0)?.next).toBeCloseTo(0.1, 6);
    buf.add([1], [0.2], 0, [2], false);
    buf.add([2], [0.3], 0, [3], true);
    buf.add([10], [0.9], 0, [11], false);
    const rows = onlineRows(buf);
    expect(rows.get(0)?.next).toBeCloseTo(0.2, 6);
    expect(rows.get(1)?.next).toBeCloseTo(0.3, 6);
    // The terminal row does not take the next episode's first action.
    expect(rows.get(2)?.next).toBeCloseTo(0.3, 6);
    expect(rows.get(10)?.next).toBeCloseTo(0.9, 6);
  });

  it("gives offline rows the offline columns (replay.ts) in the same batch", () => {
    const cols = offline();
    const mc = mcReturnColumn(cols, gamma);
    const next = nextActionColumn(cols);
    const buf = new MixedReplayBuffer(cols, 16, 0.5, 32, { mcDiscount: gamma, nextActions: true });
    buf.add([0], [0.5], 1, [1], true);
    const rng = new Rng(9);
    let offlineSeen = 0;
    for (let k = 0; k < 50; k++) {
      const b = buf.sample(rng);
      for (let i = 0; i < b.size; i++) {
        const o = b.observations[i];
        if (o >= 100) {
          offlineSeen++;
          expect(b.mcReturns?.[i]).toBeCloseTo(mc[o - 100], 5);
          expect(b.nextActions?.[i]).toBeCloseTo(next[o - 100], 6);
        } else {
          expect(b.mcReturns?.[i]).toBeCloseTo(1, 6);
          expect(b.nextActions?.[i]).toBeCloseTo(0.5, 6);
        }
      }
    }
    expect(offlineSeen).toBeGreaterThan(0);
    // By hand for the terminal-ended first episode: G = 1 + 0.9 (2 + 0.9 * 3).
    expect(mc[0]).toBeCloseTo(1 + 0.9 * (2 + 0.9 * 3), 5);
  });

  it("carries no extra columns when none are asked for", () => {
    const buf = new MixedReplayBuffer(offline(), 4, 0.5, 4);
    buf.add([0], [0], 0, [1], false);
    const b = buf.sample(new Rng(1));
    expect(b.mcReturns).toBeUndefined();
    expect(b.nextActions).toBeUndefined();
  });
});
