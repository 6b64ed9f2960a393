import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { bootstrapStratifiedMeanCI } from "../../../src/rl/eval/bootstrap.js";
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
    expect(g.gain_ci_low).toBeLessThan(7.5);
    expect(g.gain_ci_high).toBeGreaterThan(7.5);
    // Resampling stays within each seed: the pooled mean never leaves the range of mixed seed means.
    expect(g.gain_ci_low).toBeGreaterThanOrEqual((10 + 1) / 2);
    expect(g.gain_ci_high).toBeLessThanOrEqual((16 + 3) / 2);
  });

  it("refuses arms evaluated on different numbers of episodes, and groups of one", () => {
    expect(() => pairedGain([{ seed: 0, online: [1, 2, 3], control: [1, 2] }])).toThrow(
      /same evaluation seeds/,
    );
    expect(() => bootstrapStratifiedMeanCI([[1, 2], [3]])).toThrow(/at least 2 samples/);
    expect(() => pairedGain([])).toThrow(/no seeds/);
  });

  it("covers the true pooled mean about 95% of the time", () => {
    const rng = new Rng(17);
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const groups = [3, 8].map((mu) => Array.from({ length: 30 }, () => rng.normal(mu, 4)));
      const ci = bootstrapStratifiedMeanCI(groups, { resamples: 400, seed: t });
      if (ci.low <= 5.5 && 5.5 <= ci.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.87);
    expect(covered / trials).toBeLessThan(0.995);
  });
});
