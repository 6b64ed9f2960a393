import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import type { TransitionColumns } from "../../../src/core/transitions.js";
import { MixedReplayBuffer } from "../../../src/rl/finetune/mixed-buffer.js";

/** Offline rows carry reward -1 and observation = row index; online rows are added by the tests. */
function offline(size: number): TransitionColumns {
  return {
    size,
    obsDim: 1,
    actDim: 1,
    observations: Float32Array.from({ length: size }, (_, i) => i),
    actions: new Float32Array(size),
    rewards: new Float32Array(size).fill(-1),
    nextObservations: Float32Array.from({ length: size }, (_, i) => i + 1),
    terminals: new Uint8Array(size),
    timeouts: new Uint8Array(size),
    episodes: new Uint32Array(size),
  };
}

describe("MixedReplayBuffer", () => {
  it("samples only offline data while the online buffer is empty", () => {
    const buf = new MixedReplayBuffer(offline(50), 10, 0.25, 16);
    const b = buf.sample(new Rng(1));
    expect(buf.lastSplit).toEqual({ offline: 16, online: 0 });
    expect(Array.from(b.rewards).every((r) => r === -1)).toBe(true);
  });

  it.each([
    [0.5, 7],
    [0.25, 10],
    [0.9, 3],
  ])("holds an offline fraction of %f on average with batch size %i", (ratio, batchSize) => {
    const buf = new MixedReplayBuffer(offline(100), 100, ratio, batchSize);
    for (let i = 0; i < 20; i++) buf.add([1000 + i], [0.5], 1, [1001 + i], false);
    const rng = new Rng(7);
    let offlineRows = 0;
    let rewardSum = 0;
    const batches = 3000;
    for (let k = 0; k < batches; k++) {
      const b = buf.sample(rng);
      offlineRows += buf.lastSplit.offline;
      for (let i = 0; i < batchSize; i++) rewardSum += b.rewards[i];
      // Every row comes from where the split says it does.
      const fromOffline = Array.from(b.rewards).filter((r) => r === -1).length;
      expect(fromOffline).toBe(buf.lastSplit.offline);
    }
    const frac = offlineRows / (batches * batchSize);
    expect(Math.abs(frac - ratio)).toBeLessThan(0.02);
    // Mean reward = (1 - ratio) * 1 + ratio * (-1).
    expect(rewardSum / (batches * batchSize)).toBeCloseTo(1 - 2 * ratio, 1);
  });

  it("keeps the newest transitions when the ring buffer wraps", () => {
    const buf = new MixedReplayBuffer(offline(5), 3, 0, 8);
    for (let i = 0; i < 5; i++) buf.add([100 + i], [0], i, [101 + i], i === 4);
    expect(buf.onlineSize).toBe(3);
    const seen = new Set<number>();
    const rng = new Rng(3);
    for (let k = 0; k < 50; k++) {
      const b = buf.sample(rng);
      for (let i = 0; i < 8; i++) {
        seen.add(b.observations[i]);
        expect(b.terminals[i]).toBe(b.observations[i] === 104 ? 1 : 0);
        expect(b.nextObservations[i]).toBe(b.observations[i] + 1);
      }
    }
    expect([...seen].sort()).toEqual([102, 103, 104]);
  });

  it("rejects a ratio outside [0, 1] and mis-shaped transitions", () => {
    expect(() => new MixedReplayBuffer(offline(5), 3, 1.5, 8)).toThrow(/ratio/);
    const buf = new MixedReplayBuffer(offline(5), 3, 0.5, 8);
    expect(() => buf.add([1, 2], [0], 0, [1], false)).toThrow(/online observation/);
  });
});
