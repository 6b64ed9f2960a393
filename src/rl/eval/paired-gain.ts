/**
 * The gain of one arm over another evaluated on the same episode seeds (fine-tuned vs offline-only control):
 * per seed, the bootstrap CI of the per-episode differences; pooled over seeds, the mean of the seeds' mean
 * differences with the two-level bootstrap (seeds, then episodes) of bootstrapSeedEpisodeCI. Pairing is by
 * episode: each difference is one evaluation seed's online score minus the control's on the same seed.
 */
import { TetherError } from "../../core/errors.js";
import { bootstrapMeanCI, bootstrapSeedEpisodeCI, type MeanCI } from "./bootstrap.js";

export interface SeedPair {
  seed: number;
  /** Per-episode scores of the treated arm, in evaluation-seed order. */
  online: readonly number[];
  /** Per-episode scores of the control on the same evaluation seeds, in the same order. */
  control: readonly number[];
}

export interface Interval {
  mean: number;
  ci_low: number;
  ci_high: number;
}

export interface SeedGain {
  seed: number;
  episodes: number;
  online: Interval;
  control: Interval;
  /** online − control, paired by episode. */
  gain: Interval;
}

export interface PairedGain {
  gain: number;
  gain_ci_low: number;
  gain_ci_high: number;
  per_seed: SeedGain[];
}

const interval = (ci: MeanCI): Interval => ({ mean: ci.mean, ci_low: ci.low, ci_high: ci.high });

export function pairedGain(
  pairs: readonly SeedPair[],
  options: { resamples?: number; seed?: number } = {},
): PairedGain {
  if (pairs.length === 0) throw new TetherError("TOO_FEW_SAMPLES", "no seeds to pair");
  const opts = { resamples: options.resamples ?? 4000, seed: options.seed ?? 0 };
  const diffs: number[][] = [];
  const perSeed = pairs.map((p) => {
    if (p.online.length !== p.control.length)
      throw new TetherError(
        "UNPAIRED",
        `seed ${p.seed}: ${p.online.length} online episodes against ${p.control.length} control episodes; pairing needs the same evaluation seeds`,
      );
    const d = p.online.map((x, i) => x - p.control[i]);
    diffs.push(d);
    return {
      seed: p.seed,
      episodes: d.length,
      online: interval(bootstrapMeanCI(p.online, opts)),
      control: interval(bootstrapMeanCI(p.control, opts)),
      gain: interval(bootstrapMeanCI(d, opts)),
    };
  });
  const pooled = bootstrapSeedEpisodeCI(diffs, opts);
  return { gain: pooled.mean, gain_ci_low: pooled.low, gain_ci_high: pooled.high, per_seed: perSeed };
}
