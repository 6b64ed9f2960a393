/**
 * Percentile bootstrap confidence interval of a mean: scores are reported as mean [low, high], never as a
 * bare mean (Agarwal et al. 2021, "Deep RL at the Edge of the Statistical Precipice").
 */
import { TetherError, assertFinite } from "../../core/errors.js";
import { quantileOfSorted } from "../../core/quantile.js";
import { Rng } from "../../core/rng.js";

export interface MeanCI {
  mean: number;
  low: number;
  high: number;
  /** Confidence level, e.g. 0.95. */
  confidence: number;
  n: number;
  resamples: number;
}

export interface BootstrapOptions {
  confidence?: number;
  resamples?: number;
  seed?: number;
}

export function bootstrapMeanCI(samples: ArrayLike<number>, options: BootstrapOptions = {}): MeanCI {
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? 4000;
  const n = samples.length;
  if (n < 2) {
    throw new TetherError(
      "TOO_FEW_SAMPLES",
      `a bootstrap confidence interval needs at least 2 samples, got ${n}`,
      { n },
      {
        hint: "run more episodes (--episodes 10 or more gives a usable interval)",
      },
    );
  }
  if (!(confidence > 0 && confidence < 1))
    throw new TetherError("BAD_CONFIDENCE", `confidence must be in (0, 1), got ${confidence}`);
  assertFinite("bootstrap samples", samples);
  const rng = new Rng(options.seed ?? 0);
  let total = 0;
  for (let i = 0; i < n; i++) total += samples[i];
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += samples[rng.int(n)];
    means[b] = s / n;
  }
  means.sort();
  const alpha = (1 - confidence) / 2;
  return {
    mean: total / n,
    low: quantileOfSorted(means, alpha),
    high: quantileOfSorted(means, 1 - alpha),
    confidence,
    n,
    resamples,
  };
}

/**
 * 95% (by default) CI of a mean over seeds × episodes: the mean of the seeds' mean scores, with a two-level
 * (hierarchical) percentile bootstrap that resamples seeds, then episodes within each drawn seed.
 *
 * Why two levels and not episodes within fixed seeds (a stratified bootstrap): the seeds are a sample of
 * training runs, and the claim ("fine-tuning gains X", "this algorithm scores Y") is about the next run too;
 * holding the seeds fixed leaves the spread between runs out, so 2 seeds × 20 episodes would get the same
 * narrow interval as 20 seeds × 2 whatever the runs disagree by. Counting episode noise at both levels
 * makes it slightly conservative; with 2 seeds it is still crude, as any interval from 2 runs is.
 * `bench finetune` (its paired per-episode differences) and `bench o2o` (offline and online scores) use it.
 */
export function bootstrapSeedEpisodeCI(
  seeds: readonly ArrayLike<number>[],
  options: BootstrapOptions = {},
): MeanCI {
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? 4000;
  if (seeds.length === 0)
    throw new TetherError("TOO_FEW_SAMPLES", "a seed × episode bootstrap needs at least one seed, got none");
  let n = 0;
  seeds.forEach((episodes, s) => {
    if (episodes.length === 0)
      throw new TetherError(
        "TOO_FEW_SAMPLES",
        `a seed × episode bootstrap needs episodes in every seed; seed group ${s} has none`,
        { group: s },
        { hint: "leave out the seeds that have no evaluation (e.g. e-stopped before it)" },
      );
    assertFinite(`bootstrap samples of seed group ${s}`, episodes);
    n += episodes.length;
  });
  if (n < 2)
    throw new TetherError(
      "TOO_FEW_SAMPLES",
      `a bootstrap confidence interval needs at least 2 samples, got ${n}`,
      { n },
      { hint: "run more episodes (--episodes 10 or more gives a usable interval)" },
    );
  if (!(confidence > 0 && confidence < 1))
    throw new TetherError("BAD_CONFIDENCE", `confidence must be in (0, 1), got ${confidence}`);
  const meanOf = (a: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i];
    return s / a.length;
  };
  const rng = new Rng(options.seed ?? 0);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let m = 0;
    for (let k = 0; k < seeds.length; k++) {
      const g = seeds[rng.int(seeds.length)];
      let s = 0;
      for (let i = 0; i < g.length; i++) s += g[rng.int(g.length)];
      m += s / g.length;
    }
    means[b] = m / seeds.length;
  }
  means.sort();
  const alpha = (1 - confidence) / 2;
  return {
    mean: seeds.reduce((m, g) => m + meanOf(g), 0) / seeds.length,
    low: quantileOfSorted(means, alpha),
    high: quantileOfSorted(means, 1 - alpha),
    confidence,
    n,
    resamples,
  };
}

export function formatCI(ci: MeanCI, digits = 1): string {
  return `${ci.mean.toFixed(digits)} [${ci.low.toFixed(digits)}, ${ci.high.toFixed(digits)}] (${Math.round(ci.confidence * 100)}% CI, n=${ci.n})`;
}
