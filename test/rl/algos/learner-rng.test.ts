import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { loadRng, saveRng, type StateDict } from "../../../src/rl/algos/learner.js";

const emptyState = (): StateDict => ({ algo: "awac", step: 0, arrays: {}, scalars: {} });

describe("saveRng / loadRng", () => {
  it("restores the exact stream, the cached spare normal included", () => {
    const rng = new Rng(7);
    rng.normal(); // leaves a spare normal cached
    const state = emptyState();
    saveRng(state, "noise_rng", rng);
    const restored = loadRng(state, "noise_rng", new Rng(99));
    for (let i = 0; i < 5; i++) expect(restored.normal()).toBe(rng.normal());
    expect(restored.nextUint32()).toBe(rng.nextUint32());
  });

  it("falls back for checkpoints written before the stream was saved", () => {
    const fallback = new Rng(3);
    expect(loadRng(emptyState(), "noise_rng", fallback)).toBe(fallback);
  });

  it("names the stream when the saved words are damaged", () => {
    const state = emptyState();
    saveRng(state, "noise_rng", new Rng(1));
    state.scalars["noise_rng/word2"] = -1;
    expect(() => loadRng(state, "noise_rng", new Rng(0))).toThrow(
      /state dict for awac: noise_rng: rng state: words must be 4 unsigned 32-bit integers/,
    );
  });
});
