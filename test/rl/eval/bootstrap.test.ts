import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { bootstrapMeanCI, formatCI } from "../../../src/rl/eval/bootstrap.js";

describe("bootstrapMeanCI", () => {
  it("covers the true mean about 95% of the time (coverage sanity over 300 seeded draws)", () => {
    const rng = new Rng(11);
    const trials = 300;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const samples = Array.from({ length: 40 }, () => rng.normal(5, 2));
      const ci = bootstrapMeanCI(samples, { resamples: 400, seed: t });
      if (ci.low <= 5 && 5 <= ci.high) covered++;
    }
    // Binomial(300, ~0.94) has sd ~1.4%: a broken interval (too narrow or always-wide) lands far outside.
    expect(covered / trials).toBeGreaterThan(0.88);
    expect(covered / trials).toBeLessThan(0.99);
  });

  it("brackets the sample mean and narrows with more samples", () => {
    const rng = new Rng(5);
    const small = bootstrapMeanCI(Array.from({ length: 10 }, () => rng.normal(0, 1)));
    const large = bootstrapMeanCI(Array.from({ length: 400 }, () => rng.normal(0, 1)));
    for (const ci of [small, large]) {
      expect(ci.low).toBeLessThanOrEqual(ci.mean);
      expect(ci.mean).toBeLessThanOrEqual(ci.high);
    }
    expect(large.high - large.low).toBeLessThan((small.high - small.low) / 3);
  });

  it("gives the exact mean of known samples and a zero-width interval for constant samples", () => {
    const ci = bootstrapMeanCI([1, 2, 3, 4]);
    expect(ci.mean).toBe(2.5);
    expect(ci.low).toBeGreaterThanOrEqual(1);
    expect(ci.high).toBeLessThanOrEqual(4);
    const flat = bootstrapMeanCI([7, 7, 7]);
    expect([flat.low, flat.mean, flat.high]).toEqual([7, 7, 7]);
    expect(formatCI(ci, 2)).toMatch(/^2\.50 \[\d\.\d\d, \d\.\d\d\] \(95% CI, n=4\)$/);
  });

  it("is reproducible for a seed", () => {
    const s = [3, 1, 4, 1, 5, 9, 2, 6];
    expect(bootstrapMeanCI(s, { seed: 3 })).toEqual(bootstrapMeanCI(s, { seed: 3 }));
  });

  it("rejects fewer than 2 samples and non-finite samples", () => {
    expect(() => bootstrapMeanCI([1])).toThrow(/needs at least 2 samples, got 1/);
    expect(() => bootstrapMeanCI([1, Number.NaN])).toThrow(/bootstrap samples\[1\] is NaN/);
  });
});
