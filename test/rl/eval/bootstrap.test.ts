import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { bootstrapMeanCI, bootstrapSeedEpisodeCI, formatCI } from "../../../src/rl/eval/bootstrap.js";

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

describe("bootstrapSeedEpisodeCI", () => {
  // Scores of a run: each seed's policy has its own mean (spread tau between seeds), episodes scatter around it.
  const runs = (rng: Rng, seeds: number, episodes: number, mu: number, tau: number, sigma: number) =>
    Array.from({ length: seeds }, () => {
      const seedMean = rng.normal(mu, tau);
      return Array.from({ length: episodes }, () => rng.normal(seedMean, sigma));
    });

  it("covers the mean over seeds about 95% of the time when seeds differ (300 seeded draws)", () => {
    const rng = new Rng(23);
    const trials = 300;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const ci = bootstrapSeedEpisodeCI(runs(rng, 20, 10, 5, 2, 4), { resamples: 400, seed: t });
      if (ci.low <= 5 && 5 <= ci.high) covered++;
    }
    // An interval that held the seeds fixed leaves the spread between them out: about 70% here.
    expect(covered / trials).toBeGreaterThan(0.88);
    expect(covered / trials).toBeLessThan(0.995);
  });

  it("carries the spread between seeds: seeds whose episodes agree still give an interval over the seeds", () => {
    // Within seeds nothing varies; all of the interval comes from resampling seeds (means 0, 5 or 10).
    const ci = bootstrapSeedEpisodeCI([
      [0, 0, 0],
      [10, 10, 10, 10, 10, 10],
    ]);
    expect([ci.low, ci.mean, ci.high]).toEqual([0, 5, 10]);
    expect(ci.n).toBe(9);
  });

  it("resamples episodes only within their own seed, and weighs seeds equally whatever their episode counts", () => {
    // Seed means 5 and 30: the estimate is their mean 17.5, not the pooled episodes' 20. A resample is a mean
    // of two drawn seeds' means, each within that seed's episode range, so the interval stays within
    // [min of seed 0, max of seed 1] and, with 3 episodes of 20..40, never below 0 or above 40.
    const ci = bootstrapSeedEpisodeCI([
      [0, 10],
      [20, 30, 40],
    ]);
    expect(ci.mean).toBeCloseTo(17.5, 12);
    expect(ci.low).toBeLessThan(ci.mean);
    expect(ci.high).toBeGreaterThan(ci.mean);
    expect(ci.low).toBeGreaterThanOrEqual(0);
    expect(ci.high).toBeLessThanOrEqual(40);
    // With one seed it is that seed's episode bootstrap: the same interval as bootstrapMeanCI's in law, not in
    // draws (one extra draw per seed pick), so compared loosely.
    const rng = new Rng(9);
    const one = Array.from({ length: 40 }, () => rng.normal(0, 1));
    const a = bootstrapSeedEpisodeCI([one]);
    const b = bootstrapMeanCI(one);
    expect(a.mean).toBe(b.mean);
    expect(Math.abs(a.high - a.low - (b.high - b.low))).toBeLessThan(0.1 * (b.high - b.low));
  });

  it("is reproducible for a seed and a point when every episode agrees", () => {
    const g = [
      [1, 4, 2],
      [8, 3],
    ];
    expect(bootstrapSeedEpisodeCI(g, { seed: 4 })).toEqual(bootstrapSeedEpisodeCI(g, { seed: 4 }));
    const flat = bootstrapSeedEpisodeCI([
      [3, 3],
      [3, 3, 3],
    ]);
    expect([flat.low, flat.mean, flat.high]).toEqual([3, 3, 3]);
  });

  it("rejects no seeds, a seed without episodes, a single episode in all, non-finite scores, a bad confidence", () => {
    expect(() => bootstrapSeedEpisodeCI([])).toThrow(/at least one seed, got none/);
    expect(() => bootstrapSeedEpisodeCI([[1, 2], []])).toThrow(/seed group 1 has none/);
    expect(() => bootstrapSeedEpisodeCI([[4]])).toThrow(/at least 2 samples, got 1/);
    expect(() =>
      bootstrapSeedEpisodeCI([
        [1, 2],
        [3, Number.POSITIVE_INFINITY],
      ]),
    ).toThrow(/bootstrap samples of seed group 1\[1\] is Infinity/);
    expect(() => bootstrapSeedEpisodeCI([[1, 2]], { confidence: 1 })).toThrow(
      /confidence must be in \(0, 1\)/,
    );
    // One episode per seed is fine when there are several seeds: the seeds carry the interval.
    const perSeedOne = bootstrapSeedEpisodeCI([[1], [5], [9]]);
    expect(perSeedOne.low).toBeLessThan(perSeedOne.high);
  });
});
