/**
 * Replay for online fine-tuning: the fixed offline dataset plus a ring buffer of online transitions.
 * Each mini-batch takes `offlineFraction * batchSize` rows (stochastically rounded) from the offline data and
 * the rest from the online buffer (RLPD-style symmetric sampling at 0.5); while the online buffer is empty every row is offline.
 *
 * With `extras` the batches carry the columns some learners need, for online rows as for offline ones:
 * - `nextActions` (ReBRAC): an online row's next action is the action executed at the following online step
 *   of its episode; until that step arrives, and at an episode's last row, the row's own action stands in
 *   (the offline column's rule, replay.ts).
 * - `mcDiscount` (Cal-QL): an online row's discounted return-to-go is computed when its episode ends (terminal,
 *   time limit, or a cut such as an evaluation restarting the env), not bootstrapped past the end, like the
 *   offline column. Until then the row has no bound (NO_MC_BOUND: the penalty is plain CQL's for it). The
 *   partial return so far would not be a lower bound: pendulum's rewards go negative and reacher2's are never
 *   positive, so the rest of an episode can only lower it.
 */
import { ShapeMismatchError, TetherError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import type { TransitionColumns } from "../../core/transitions.js";
import type { Batch } from "../algos/learner.js";
import { mcReturnColumn, nextActionColumn, type SamplerExtras } from "../replay.js";

/**
 * The return-to-go of an online row whose episode has not ended: so low that max(Q, bound) is Q (no calibration),
 * finite so that scaling it by the reward scale in the graph stays finite.
 */
export const NO_MC_BOUND = Math.fround(-1e30);

export class MixedReplayBuffer {
  readonly obsDim: number;
  readonly actDim: number;
  /** Rows of the last sampled batch that came from the offline data / the online buffer. */
  lastSplit = { offline: 0, online: 0 };
  private readonly obs: Float32Array;
  private readonly act: Float32Array;
  private readonly rew: Float32Array;
  private readonly next: Float32Array;
  private readonly term: Float32Array;
  private readonly batch: Batch;
  private size = 0;
  private head = 0;
  /** Rows ever added, and that count when the current episode began (rows [episodeStart, added) are its own). */
  private added = 0;
  private episodeStart = 0;
  private readonly offNextAct?: Float32Array;
  private readonly offMc?: Float32Array;
  private readonly nextAct?: Float32Array;
  private readonly mc?: Float32Array;

  constructor(
    readonly offline: TransitionColumns,
    readonly capacity: number,
    /** Fraction of each batch drawn from the offline dataset, in [0, 1]. */
    readonly offlineFraction: number,
    readonly batchSize: number,
    readonly extras: SamplerExtras = {},
  ) {
    if (!(offlineFraction >= 0 && offlineFraction <= 1))
      throw new TetherError("CLI", `--ratio (offline fraction) must be in [0, 1], got ${offlineFraction}`);
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new TetherError("CLI", `online buffer capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new TetherError("CLI", `--batch-size must be a positive integer, got ${batchSize}`);
    if (offlineFraction > 0 && offline.size < 1)
      throw new TetherError("EMPTY_DATASET", "the offline dataset holds no transitions", {});
    this.obsDim = offline.obsDim;
    this.actDim = offline.actDim;
    this.obs = new Float32Array(capacity * this.obsDim);
    this.next = new Float32Array(capacity * this.obsDim);
    this.act = new Float32Array(capacity * this.actDim);
    this.rew = new Float32Array(capacity);
    this.term = new Float32Array(capacity);
    this.batch = {
      size: batchSize,
      observations: new Float32Array(batchSize * this.obsDim),
      actions: new Float32Array(batchSize * this.actDim),
      rewards: new Float32Array(batchSize),
      nextObservations: new Float32Array(batchSize * this.obsDim),
      terminals: new Float32Array(batchSize),
    };
    if (extras.nextActions) {
      this.offNextAct = nextActionColumn(offline);
      this.nextAct = new Float32Array(capacity * this.actDim);
      this.batch.nextActions = new Float32Array(batchSize * this.actDim);
    }
    if (extras.mcDiscount !== undefined) {
      this.offMc = mcReturnColumn(offline, extras.mcDiscount);
      this.mc = new Float32Array(capacity);
      this.batch.mcReturns = new Float32Array(batchSize);
    }
  }

  /** Online transitions held (at most `capacity`). */
  get onlineSize(): number {
    return this.size;
  }

  /**
   * Adds one online transition (the action actually executed, normalized). Overwrites the oldest when full.
   * `episodeEnd` (default: `terminal`) says the episode ended with this row, e.g. at the time limit.
   */
  add(
    obs: ArrayLike<number>,
    action: ArrayLike<number>,
    reward: number,
    nextObs: ArrayLike<number>,
    terminal: boolean,
    episodeEnd = terminal,
  ): void {
    const { obsDim, actDim } = this;
    if (obs.length !== obsDim) throw new ShapeMismatchError("online observation", obsDim, obs.length);
    if (nextObs.length !== obsDim)
      throw new ShapeMismatchError("online next observation", obsDim, nextObs.length);
    if (action.length !== actDim) throw new ShapeMismatchError("online action", actDim, action.length);
    const i = this.head;
    this.obs.set(obs, i * obsDim);
    this.next.set(nextObs, i * obsDim);
    this.act.set(action, i * actDim);
    this.rew[i] = reward;
    this.term[i] = terminal ? 1 : 0;
    if (this.nextAct) {
      // The previous row of this episode learns its next action (with capacity 1 it was just overwritten and
      // the next line rewrites the slot); this row's own action stands in for its next one until then.
      if (this.added > this.episodeStart)
        this.nextAct.set(action, ((this.added - 1) % this.capacity) * actDim);
      this.nextAct.set(action, i * actDim);
    }
    if (this.mc) this.mc[i] = NO_MC_BOUND;
    this.head = (i + 1) % this.capacity;
    this.size = Math.min(this.capacity, this.size + 1);
    this.added++;
    if (episodeEnd) this.endEpisode();
  }

  /**
   * Ends the current online episode (the next row starts a new one): fills in its rows' returns-to-go
   * G_t = r_t + γ G_{t+1}, not bootstrapped past the last row, for the rows the ring still holds.
   */
  endEpisode(): void {
    if (this.mc && this.extras.mcDiscount !== undefined) {
      const gamma = this.extras.mcDiscount;
      const oldest = Math.max(this.episodeStart, this.added - this.capacity);
      let g = 0;
      for (let c = this.added - 1; c >= oldest; c--) {
        const j = c % this.capacity;
        g = this.rew[j] + gamma * g;
        this.mc[j] = g;
      }
    }
    this.episodeStart = this.added;
  }

  /** A mixed batch; the returned object and its arrays are reused by the next call. */
  sample(rng: Rng): Batch {
    const { obsDim, actDim, batch, offline } = this;
    // Stochastic rounding: the expected offline share is exactly offlineFraction, whatever the batch size.
    const want = this.offlineFraction * this.batchSize;
    let nOff = this.size === 0 ? this.batchSize : Math.floor(want) + (rng.next() < want % 1 ? 1 : 0);
    if (offline.size < 1) nOff = 0;
    if (nOff < this.batchSize && this.size === 0)
      throw new TetherError(
        "EMPTY_BUFFER",
        "nothing to sample: no offline data and no online transitions yet",
      );
    for (let k = 0; k < this.batchSize; k++) {
      if (k < nOff) {
        const i = rng.int(offline.size);
        batch.observations.set(offline.observations.subarray(i * obsDim, (i + 1) * obsDim), k * obsDim);
        batch.nextObservations.set(
          offline.nextObservations.subarray(i * obsDim, (i + 1) * obsDim),
          k * obsDim,
        );
        batch.actions.set(offline.actions.subarray(i * actDim, (i + 1) * actDim), k * actDim);
        batch.rewards[k] = offline.rewards[i];
        batch.terminals[k] = offline.terminals[i];
        if (this.offNextAct)
          batch.nextActions?.set(this.offNextAct.subarray(i * actDim, (i + 1) * actDim), k * actDim);
        if (this.offMc && batch.mcReturns) batch.mcReturns[k] = this.offMc[i];
      } else {
        const i = rng.int(this.size);
        batch.observations.set(this.obs.subarray(i * obsDim, (i + 1) * obsDim), k * obsDim);
        batch.nextObservations.set(this.next.subarray(i * obsDim, (i + 1) * obsDim), k * obsDim);
        batch.actions.set(this.act.subarray(i * actDim, (i + 1) * actDim), k * actDim);
        batch.rewards[k] = this.rew[i];
        batch.terminals[k] = this.term[i];
        if (this.nextAct)
          batch.nextActions?.set(this.nextAct.subarray(i * actDim, (i + 1) * actDim), k * actDim);
        if (this.mc && batch.mcReturns) batch.mcReturns[k] = this.mc[i];
      }
    }
    this.lastSplit = { offline: nOff, online: this.batchSize - nOff };
    return batch;
  }
}
