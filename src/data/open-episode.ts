/**
 * The episode in progress of `DatasetWriter.appendStep`: steps buffered in growable float32 columns until
 * the writer cuts them into a fragment record (at every flush) or ends the episode. The buffers are reused
 * after each cut, so allocation stays flat however long the episode runs (hours of a real robot).
 *
 * A cut writes every buffered step but the last: the last step's transition has no next observation yet.
 * It stays buffered, and its observation closes the cut fragment as the fragment's extra row (see
 * src/msgs/tether.proto), so after a kill -9 every cut step is a complete transition on disk.
 */
import type { EpisodeRecord } from "./proto.js";

export interface BufferedStep {
  observation: ArrayLike<number>;
  action: ArrayLike<number>;
  /** Already normalized to [-1, 1]; computed from the stored float32 action with the ranges when absent. */
  actionNormalized?: ArrayLike<number>;
  reward: number;
  timestamp?: number;
}

export interface EpisodeClose {
  finalObservation: ArrayLike<number>;
  finalTimestamp?: number;
  terminal: boolean;
  timeout: boolean;
  behavior: string;
  termination: string;
  quality: number;
  seed: number;
}

export class OpenEpisode {
  /** Steps already cut into fragments: the first_step of the next record. */
  private written = 0;
  /** Buffered steps (not yet in any record). */
  private n = 0;
  private capacity = 0;
  private obs = new Float32Array(0);
  private act = new Float32Array(0);
  private actN = new Float32Array(0);
  private rew = new Float32Array(0);
  private ts = new Float64Array(0);
  /** Every step so far had a timestamp (an episode keeps timestamps only when all of them have one). */
  private timestamped = true;

  constructor(
    readonly index: number,
    readonly obsDim: number,
    readonly actDim: number,
    private readonly normalize: (action: Float32Array, out: Float32Array) => void,
  ) {}

  /** Steps appended to this episode so far. */
  get steps(): number {
    return this.written + this.n;
  }

  /** Steps already handed out as fragment records. */
  get writtenSteps(): number {
    return this.written;
  }

  get bufferedBytes(): number {
    return this.n * 4 * (this.obsDim + 2 * this.actDim + 1);
  }

  /** Appends one validated step. */
  push(step: BufferedStep): void {
    this.reserve(this.n + 1);
    const { obsDim, actDim, n } = this;
    for (let i = 0; i < obsDim; i++) this.obs[n * obsDim + i] = step.observation[i];
    const action = this.act.subarray(n * actDim, (n + 1) * actDim);
    for (let i = 0; i < actDim; i++) action[i] = step.action[i];
    const normalized = this.actN.subarray(n * actDim, (n + 1) * actDim);
    if (step.actionNormalized) for (let i = 0; i < actDim; i++) normalized[i] = step.actionNormalized[i];
    else this.normalize(action, normalized);
    this.rew[n] = step.reward;
    if (step.timestamp === undefined) this.timestamped = false;
    else this.ts[n] = step.timestamp;
    this.n++;
  }

  /**
   * Hands every buffered step but the last to `write` as a fragment (views into the buffers, valid during
   * the call), then keeps only the last step. False when there is no complete transition to cut.
   */
  cut(write: (fragment: EpisodeRecord) => void): boolean {
    const steps = this.n - 1;
    if (steps < 1) return false;
    write(this.record(steps, this.n, true, undefined));
    const { obsDim, actDim } = this;
    this.obs.copyWithin(0, steps * obsDim, this.n * obsDim);
    this.act.copyWithin(0, steps * actDim, this.n * actDim);
    this.actN.copyWithin(0, steps * actDim, this.n * actDim);
    this.rew[0] = this.rew[steps];
    this.ts[0] = this.ts[steps];
    this.written += steps;
    this.n = 1;
    return true;
  }

  /** The episode's last record: the buffered steps and the final observation (views, valid during the call). */
  close(end: EpisodeClose, write: (last: EpisodeRecord) => void): void {
    this.reserve(this.n + 1);
    const { obsDim, n } = this;
    for (let i = 0; i < obsDim; i++) this.obs[n * obsDim + i] = end.finalObservation[i];
    if (end.finalTimestamp === undefined) this.timestamped = false;
    else this.ts[n] = end.finalTimestamp;
    const last = this.record(n, n + 1, false, end);
    if (n > 0) {
      if (end.terminal) last.terminals[n - 1] = 1;
      else if (end.timeout) last.timeouts[n - 1] = 1;
    }
    write(last);
  }

  private record(
    steps: number,
    rows: number,
    continues: boolean,
    end: EpisodeClose | undefined,
  ): EpisodeRecord {
    const { obsDim, actDim } = this;
    return {
      index: this.index,
      steps,
      observations: this.obs.subarray(0, rows * obsDim),
      actions: this.act.subarray(0, steps * actDim),
      actionsNormalized: this.actN.subarray(0, steps * actDim),
      rewards: this.rew.subarray(0, steps),
      terminals: new Uint8Array(steps),
      timeouts: new Uint8Array(steps),
      timestamps: this.timestamped ? this.ts.subarray(0, rows) : new Float64Array(0),
      behavior: end?.behavior ?? "",
      termination: end?.termination ?? "",
      quality: end?.quality ?? 0,
      seed: end?.seed ?? 0,
      firstStep: this.written,
      continues,
    };
  }

  /** Room for `steps` steps plus the closing observation row; grows by doubling, keeps buffered steps. */
  private reserve(steps: number): void {
    if (steps + 1 <= this.capacity) return;
    const cap = Math.max(64, 2 * this.capacity, steps + 1);
    const grow = (a: Float32Array, width: number): Float32Array<ArrayBuffer> => {
      const b = new Float32Array(cap * width);
      b.set(a);
      return b;
    };
    this.obs = grow(this.obs, this.obsDim);
    this.act = grow(this.act, this.actDim);
    this.actN = grow(this.actN, this.actDim);
    this.rew = grow(this.rew, 1);
    const ts = new Float64Array(cap);
    ts.set(this.ts);
    this.ts = ts;
    this.capacity = cap;
  }
}
