/**
 * Streaming dataset statistics, the same code for the writer (as episodes arrive) and for repair (re-read):
 * observation mean/std per dim (shifted sums in float64, step by step), normalized action
 * quantiles per dim (2048-bin histogram over [-1, 1], exact min/max), reward and return summaries.
 * Safety clamps and the policy package read these from manifest.json.
 */
import type { EpisodeRecord } from "./proto.js";

export const ACTION_QUANTILES = [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1] as const;
const BINS = 2048;

export interface DatasetStatistics {
  observation: { mean: number[]; std: number[]; min: number[]; max: number[] };
  action: {
    /** Quantile levels, e.g. 0.01; `values[d][k]` is quantile `levels[k]` of normalized action dim d. */
    levels: number[];
    values: number[][];
    mean: number[];
    /** Fraction of the histogram's 20 equal bins over [-1, 1] that hold any data, per dim. */
    coverage: number[];
  };
  reward: { mean: number; std: number; min: number; max: number };
  returns: { mean: number; std: number; min: number; max: number };
}

export class StatsAccumulator {
  private n = 0;
  // Observation moments as shifted sums (shift = the first observation): one pass, added step by step in
  // writer order, so an episode written in fragments gives exactly the figures of the same episode in one
  // piece (a per-episode two-pass merge would depend on where the fragments were cut).
  private readonly obsShift: Float64Array;
  private readonly obsSum: Float64Array;
  private readonly obsSq: Float64Array;
  private readonly obsMin: Float64Array;
  private readonly obsMax: Float64Array;
  private readonly actHist: Uint32Array;
  private readonly actSum: Float64Array;
  private readonly actMin: Float64Array;
  private readonly actMax: Float64Array;
  private rSum = 0;
  private rSq = 0;
  private rMin = Infinity;
  private rMax = -Infinity;
  private episodeReturn = 0;
  private episodeSteps = 0;
  readonly returns: number[] = [];
  readonly lengths: number[] = [];

  constructor(
    readonly obsDim: number,
    readonly actDim: number,
  ) {
    this.obsShift = new Float64Array(obsDim);
    this.obsSum = new Float64Array(obsDim);
    this.obsSq = new Float64Array(obsDim);
    this.obsMin = new Float64Array(obsDim).fill(Infinity);
    this.obsMax = new Float64Array(obsDim).fill(-Infinity);
    this.actHist = new Uint32Array(actDim * BINS);
    this.actSum = new Float64Array(actDim);
    this.actMin = new Float64Array(actDim).fill(Infinity);
    this.actMax = new Float64Array(actDim).fill(-Infinity);
  }

  get transitions(): number {
    return this.n;
  }

  addEpisode(ep: Pick<EpisodeRecord, "steps" | "observations" | "actionsNormalized" | "rewards">): void {
    this.addSteps(ep);
    this.endEpisode();
  }

  /** Adds the first `steps` transitions of a fragment (rows 0..steps-1: the states actions were taken in). */
  addSteps(ep: Pick<EpisodeRecord, "steps" | "observations" | "actionsNormalized" | "rewards">): void {
    const T = ep.steps;
    if (T === 0) return;
    const { obsDim, actDim } = this;
    if (this.n === 0) for (let d = 0; d < obsDim; d++) this.obsShift[d] = ep.observations[d];
    for (let d = 0; d < obsDim; d++) {
      const k = this.obsShift[d];
      let s = this.obsSum[d];
      let q = this.obsSq[d];
      let lo = this.obsMin[d];
      let hi = this.obsMax[d];
      for (let t = 0; t < T; t++) {
        const v = ep.observations[t * obsDim + d];
        s += v - k;
        q += (v - k) * (v - k);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      this.obsSum[d] = s;
      this.obsSq[d] = q;
      this.obsMin[d] = lo;
      this.obsMax[d] = hi;
    }
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < actDim; d++) {
        const v = ep.actionsNormalized[t * actDim + d];
        this.actSum[d] += v;
        if (v < this.actMin[d]) this.actMin[d] = v;
        if (v > this.actMax[d]) this.actMax[d] = v;
        this.actHist[d * BINS + binOf(v)]++;
      }
    }
    for (let t = 0; t < T; t++) {
      const r = ep.rewards[t];
      this.episodeReturn += r;
      this.rSq += r * r;
      if (r < this.rMin) this.rMin = r;
      if (r > this.rMax) this.rMax = r;
    }
    this.episodeSteps += T;
    this.n += T;
  }

  /** Closes the episode whose steps were added since the last call: its return and length. */
  endEpisode(): void {
    this.rSum += this.episodeReturn;
    this.returns.push(this.episodeReturn);
    this.lengths.push(this.episodeSteps);
    this.episodeReturn = 0;
    this.episodeSteps = 0;
  }

  result(): DatasetStatistics {
    const n = Math.max(1, this.n);
    const { actDim } = this;
    const mean = Array.from(this.obsSum, (s, d) => this.obsShift[d] + s / n);
    const std = Array.from(this.obsSq, (q, d) => Math.sqrt(Math.max(0, q / n - (this.obsSum[d] / n) ** 2)));
    const obs = {
      mean,
      std,
      min: finiteOr0(Array.from(this.obsMin)),
      max: finiteOr0(Array.from(this.obsMax)),
    };
    const values: number[][] = [];
    const coverage: number[] = [];
    for (let d = 0; d < actDim; d++) {
      const hist = this.actHist.subarray(d * BINS, (d + 1) * BINS);
      values.push(ACTION_QUANTILES.map((q) => this.quantile(hist, d, q)));
      const coarse = new Uint8Array(20);
      for (let b = 0; b < BINS; b++) if (hist[b] > 0) coarse[Math.floor((b * 20) / BINS)] = 1;
      coverage.push(coarse.reduce((a, c) => a + c, 0) / 20);
    }
    const rMean = this.rSum / n;
    const rets = this.returns;
    const retMean = rets.length ? rets.reduce((a, b) => a + b, 0) / rets.length : 0;
    const retStd = rets.length
      ? Math.sqrt(rets.reduce((a, b) => a + (b - retMean) ** 2, 0) / rets.length)
      : 0;
    return {
      observation: obs,
      action: {
        levels: [...ACTION_QUANTILES],
        values,
        mean: Array.from(this.actSum, (s) => s / n),
        coverage,
      },
      reward: {
        mean: rMean,
        std: Math.sqrt(Math.max(0, this.rSq / n - rMean * rMean)),
        min: Number.isFinite(this.rMin) ? this.rMin : 0,
        max: Number.isFinite(this.rMax) ? this.rMax : 0,
      },
      returns: {
        mean: retMean,
        std: retStd,
        min: rets.length ? Math.min(...rets) : 0,
        max: rets.length ? Math.max(...rets) : 0,
      },
    };
  }

  /** Quantile from the histogram (bin centre), clamped to the exact observed min/max. */
  private quantile(hist: Uint32Array, d: number, q: number): number {
    if (this.n === 0) return 0;
    if (q <= 0) return this.actMin[d];
    if (q >= 1) return this.actMax[d];
    const target = q * this.n;
    let acc = 0;
    for (let b = 0; b < BINS; b++) {
      acc += hist[b];
      if (acc >= target) {
        const centre = -1 + ((b + 0.5) * 2) / BINS;
        return Math.min(this.actMax[d], Math.max(this.actMin[d], centre));
      }
    }
    return this.actMax[d];
  }
}

function binOf(v: number): number {
  const b = Math.floor(((v + 1) / 2) * BINS);
  return b < 0 ? 0 : b >= BINS ? BINS - 1 : b;
}

function finiteOr0(xs: number[]): number[] {
  return xs.map((x) => (Number.isFinite(x) ? x : 0));
}
