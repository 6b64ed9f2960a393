/**
 * Percentile bootstrap confidence interval of a mean: scores are reported as mean [low, high], never as a
 * bare mean (Agarwal et al. 2021, "Deep RL at the Edge of the Statistical Precipice").
 */
import { TetherError, assertFinite } from "../../core/errors.js";
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
    low: percentile(means, alpha),
    high: percentile(means, 1 - alpha),
    confidence,
    n,
    resamples,
  };
}

/**
 * Bootstrap CI of the mean of group means, resampling within each group (stratified): for pooling paired
 * differences over seeds, where each seed's evaluation episodes are exchangeable but the seeds are not.
 * Captures evaluation noise given these groups, not the spread between groups.
 */
export function bootstrapStratifiedMeanCI(
  groups: readonly ArrayLike<number>[],
  options: BootstrapOptions = {},
): MeanCI {
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? 4000;
  if (groups.length === 0)
    throw new TetherError("TOO_FEW_SAMPLES", "a stratified bootstrap needs at least one group");
  for (const g of groups) {
    if (g.length < 2)
      throw new TetherError(
        "TOO_FEW_SAMPLES",
        `a bootstrap confidence interval needs at least 2 samples per group, got ${g.length}`,
        { n: g.length },
      );
    assertFinite("bootstrap samples", g);
  }
  if (!(confidence > 0 && confidence < 1))
    throw new TetherError("BAD_CONFIDENCE", `confidence must be in (0, 1), got ${confidence}`);
  const rng = new Rng(options.seed ?? 0);
  let mean = 0;
  for (const g of groups) {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i];
    mean += s / g.length / groups.length;
  }
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let m = 0;
    for (const g of groups) {
      let s = 0;
      for (let i = 0; i < g.length; i++) s += g[rng.int(g.length)];
      m += s / g.length;
    }
    means[b] = m / groups.length;
  }
  means.sort();
  const alpha = (1 - confidence) / 2;
  return {
    mean,
    low: percentile(means, alpha),
    high: percentile(means, 1 - alpha),
    confidence,
    n: groups.reduce((n, g) => n + g.length, 0),
    resamples,
  };
}

function percentile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

export function formatCI(ci: MeanCI, digits = 1): string {
  return `${ci.mean.toFixed(digits)} [${ci.low.toFixed(digits)}, ${ci.high.toFixed(digits)}] (${Math.round(ci.confidence * 100)}% CI, n=${ci.n})`;
}
