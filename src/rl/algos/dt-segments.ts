/**
 * The Decision Transformer's training data: the dataset cut into episodes with their (undiscounted)
 * returns-to-go, and batches of segments of K consecutive steps sampled from them as CORL's
 * SequenceDataset does (episode drawn with probability proportional to its length, start uniform in the
 * episode, a segment that runs past the episode's end padded with zeros and masked out).
 */
import { TetherError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import type { TransitionColumns } from "../../core/transitions.js";

/** An episode as a contiguous run of transitions [start, start + length) of the columns. */
export interface Episode {
  start: number;
  length: number;
  return: number;
}

/** K steps per row, B rows; padded steps are zero with mask 0. Arrays are reused by the next sample. */
export interface SegmentBatch {
  size: number;
  contextLength: number;
  /** [B, K, obsDim], raw (the model normalizes). */
  observations: Float32Array;
  /** [B, K, actDim] in [-1, 1]. */
  actions: Float32Array;
  /** [B, K] undiscounted return from this step to the episode's end, unscaled. */
  returnsToGo: Float32Array;
  /** [B, K] step index within the episode (padded steps keep counting, as CORL's). */
  timesteps: Int32Array;
  /** [B, K] 1 for real steps, 0 for padding. */
  mask: Float32Array;
}

/** Episodes as the contiguous runs of equal episode index (the importers write episodes in order). */
export function episodesOf(cols: TransitionColumns): Episode[] {
  const out: Episode[] = [];
  for (let i = 0; i < cols.size; i++) {
    const last = out[out.length - 1];
    if (last && cols.episodes[i] === cols.episodes[last.start]) {
      last.length += 1;
      last.return += cols.rewards[i];
    } else out.push({ start: i, length: 1, return: cols.rewards[i] });
  }
  return out;
}

/** Σ_{t' ≥ t} r_t' within each episode, per transition. */
export function returnsToGo(cols: TransitionColumns, episodes: Episode[]): Float32Array {
  const out = new Float32Array(cols.size);
  for (const e of episodes) {
    let acc = 0;
    for (let i = e.start + e.length - 1; i >= e.start; i--) {
      acc += cols.rewards[i];
      out[i] = acc;
    }
  }
  return out;
}

export function newSegmentBatch(b: number, k: number, obsDim: number, actDim: number): SegmentBatch {
  return {
    size: b,
    contextLength: k,
    observations: new Float32Array(b * k * obsDim),
    actions: new Float32Array(b * k * actDim),
    returnsToGo: new Float32Array(b * k),
    timesteps: new Int32Array(b * k),
    mask: new Float32Array(b * k),
  };
}

export class SegmentSampler {
  readonly episodes: Episode[];
  readonly rtg: Float32Array;
  /** The longest episode: timesteps run up to maxEpisodeLength + K - 1 with padding. */
  readonly maxEpisodeLength: number;
  private readonly cumulative: Float64Array;
  private readonly batch: SegmentBatch;

  constructor(
    readonly cols: TransitionColumns,
    readonly batchSize: number,
    readonly contextLength: number,
    source = "dataset",
  ) {
    if (cols.size === 0) throw new TetherError("DATASET", `${source} has no transitions`, { source });
    this.episodes = episodesOf(cols);
    this.rtg = returnsToGo(cols, this.episodes);
    this.maxEpisodeLength = Math.max(...this.episodes.map((e) => e.length));
    this.cumulative = new Float64Array(this.episodes.length);
    let acc = 0;
    this.episodes.forEach((e, i) => (this.cumulative[i] = acc += e.length));
    this.batch = newSegmentBatch(batchSize, contextLength, cols.obsDim, cols.actDim);
  }

  /** The best episode return in the dataset (the default target return at evaluation). */
  bestReturn(): number {
    return Math.max(...this.episodes.map((e) => e.return));
  }

  sample(rng: Rng): SegmentBatch {
    const { cols, batch, contextLength: k } = this;
    const { obsDim, actDim } = cols;
    batch.observations.fill(0);
    batch.actions.fill(0);
    batch.returnsToGo.fill(0);
    batch.mask.fill(0);
    for (let row = 0; row < this.batchSize; row++) {
      // An episode with probability ∝ its length: the first whose cumulative length exceeds u.
      const u = rng.next() * this.cumulative[this.cumulative.length - 1];
      let lo = 0;
      let hi = this.cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.cumulative[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      const e = this.episodes[lo];
      const offset = rng.int(e.length);
      for (let t = 0; t < k; t++) {
        const slot = row * k + t;
        batch.timesteps[slot] = offset + t;
        if (offset + t >= e.length) continue;
        const i = e.start + offset + t;
        batch.observations.set(cols.observations.subarray(i * obsDim, (i + 1) * obsDim), slot * obsDim);
        batch.actions.set(cols.actions.subarray(i * actDim, (i + 1) * actDim), slot * actDim);
        batch.returnsToGo[slot] = this.rtg[i];
        batch.mask[slot] = 1;
      }
    }
    return batch;
  }
}
