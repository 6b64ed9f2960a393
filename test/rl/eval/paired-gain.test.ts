import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { pairedGain } from "../../../src/rl/eval/paired-gain.js";

describe("pairedGain", () => {
  it("pairs episode by episode: a constant shift has a zero-width interval however noisy the episodes", () => {
    const rng = new Rng(3);
    const control = Array.from({ length: 20 }, () => rng.normal(50, 15));
    const g = pairedGain([{ seed: 0, online: control.map((x) => x + 12), control }]);
    expect(g.gain).toBeCloseTo(12, 9);
    expect(g.gain_ci_low).toBeCloseTo(12, 9);
    expect(g.gain_ci_high).toBeCloseTo(12, 9);
    // Unpaired, the same scores would give wide intervals for each arm.
    expect(g.per_seed[0].control.ci_high - g.per_seed[0].control.ci_low).toBeGreaterThan(5);
  });

  it("pools seeds as the mean of their mean differences, whatever their episode counts", () => {
    const g = pairedGain([
      { seed: 0, online: [10, 12, 14, 16], control: [0, 0, 0, 0] },
      { seed: 1, online: [1, 3], control: [0, 0] },
    ]);
    expect(g.per_seed.map((s) => s.gain.mean)).toEqual([13, 2]);
    expect(g.gain).toBeCloseTo(7.5, 12);
    // Seeds are resampled too: a quarter of the resamples draw seed 1 twice (gains 1 to 3), a quarter seed 0
    // twice (10 to 16), so the interval reaches past every mix of the two seeds (5.5 to 9.5) toward each seed
    // alone, and no further than a seed's own episodes go.
    expect(g.gain_ci_low).toBeLessThan((10 + 1) / 2);
    expect(g.gain_ci_high).toBeGreaterThan((16 + 3) / 2);
    expect(g.gain_ci_low).toBeGreaterThanOrEqual(1);
    expect(g.gain_ci_high).toBeLessThanOrEqual(16);
  });

  it("refuses arms evaluated on different numbers of episodes, a seed of one episode, and no seeds", () => {
    expect(() => pairedGain([{ seed: 0, online: [1, 2, 3], control: [1, 2] }])).toThrow(
      /same evaluation seeds/,
    );
    // The per-seed interval needs 2 episodes even where the pooled one could do with one.
    expect(() =>
      pairedGain([
        { seed: 0, online: [1, 2], control: [0, 0] },
        { seed: 1, online: [3], control: [0] },
      ]),
    ).toThrow(/at least 2 samples, got 1/);
    expect(() => pairedGain([])).toThrow(/no seeds/);
  });
});
