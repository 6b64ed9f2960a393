/**
 * Streaming dataset statistics, the same code for the writer (as episodes arrive) and for repair (re-read):
 * observation mean/std per dim (Chan's parallel merge of per-episode moments, float64), normalized action
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
  private readonly obsMean: Float64Array;
  private readonly obsM2: Float64Array;
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
  readonly returns: number[] = [];
  readonly lengths: number[] = [];

  constructor(
    readonly obsDim: number,
    readonly actDim: number,
  ) {
    this.obsMean = new Float64Array(obsDim);
    this.obsM2 = new Float64Array(obsDim);
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
    const T = ep.steps;
    const { obsDim, actDim } = this;
    if (T === 0) {
      this.returns.push(0);
      this.lengths.push(0);
      return;
    }
    // Observation moments of this episode (rows 0..T-1: the states actions were taken in), then merge.
    for (let d = 0; d < obsDim; d++) {
      let s = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let t = 0; t < T; t++) {
        const v = ep.observations[t * obsDim + d];
        s += v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const m = s / T;
      let m2 = 0;
      for (let t = 0; t < T; t++) {
        const dv = ep.observations[t * obsDim + d] - m;
        m2 += dv * dv;
      }
      const n = this.n + T;
      const delta = m - this.obsMean[d];
      this.obsMean[d] += (delta * T) / n;
      this.obsM2[d] += m2 + (delta * delta * this.n * T) / n;
      if (lo < this.obsMin[d]) this.obsMin[d] = lo;
      if (hi > this.obsMax[d]) this.obsMax[d] = hi;
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
    let ret = 0;
    for (let t = 0; t < T; t++) {
      const r = ep.rewards[t];
      ret += r;
      this.rSq += r * r;
      if (r < this.rMin) this.rMin = r;
      if (r > this.rMax) this.rMax = r;
    }
    this.rSum += ret;
    this.returns.push(ret);
    this.lengths.push(T);
    this.n += T;
  }

  result(): DatasetStatistics {
    const n = Math.max(1, this.n);
    const { actDim } = this;
    const obs = {
      mean: Array.from(this.obsMean),
      std: Array.from(this.obsM2, (m2) => Math.sqrt(m2 / n)),
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
