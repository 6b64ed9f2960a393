/**
 * Zero-order-hold alignment of timestamped topic updates onto the robot's control-rate grid.
 *
 * ONE WAY TO DO IT: the rosbag2 importer (src/data/import/) uses this module, and the recorder node
 * (src/nodes/recorder/, DATASETS engineer) should too, so a logged step and a recorded step are aligned
 * identically. Owned by the BAGS engineer; ask before changing the semantics below.
 *
 * Sources write slices of the signal vector (src/robot/signals.ts). Source 0 is the primary state source
 * (/joint_states): it anchors the grid t_k = t_0 + k / rate_hz at its first message. Sample k holds
 *   - the primary state: its latest message with stamp <= t_k + tolerance (tolerance absorbs stamp rounding
 *     of sim-time logs and small jitter),
 *   - every other source: its latest message stamped before that state (`strict`: command sources, so the
 *     command answering state k counts for interval k, not k - 1) or at/before it (tasks, episode marks).
 * A sample is `stale` when the state (or a checked non-strict source) is older than `maxStaleNs` at t_k, or
 * a source has never been received: it can neither start nor end a transition. A strict source (the
 * command) that is missing or too old sets `actionStale` instead: the sample can start a transition but
 * the transition ending at it has no known action. Long silences re-anchor the grid after one stale sample.
 * Messages older than the last one of the same source are dropped and counted (out of order).
 */

export interface AlignSource {
  name: string;
  /** Signal-vector slots this source writes (values arrive in the same order). */
  indices: ArrayLike<number>;
  /** Use only messages stamped strictly before the sampled state (commands). */
  strict?: boolean;
  /** A sample is stale when this source's message is older than maxStaleNs (state, commands). */
  checkStale?: boolean;
}

export interface AlignOptions {
  rateHz: number;
  maxStaleNs: bigint;
  /** Default: a tenth of the control period. */
  toleranceNs?: bigint;
  signalSize: number;
}

export interface AlignedSample {
  /** Grid time t_k. */
  tNs: bigint;
  /** Stamp of the state message used. */
  stateNs: bigint;
  signals: Float64Array;
  /** Per source: the values used (undefined when never received), e.g. an episode index. */
  values: (Float64Array | undefined)[];
  /** Name of the source that is missing or too old; undefined when the sample is usable. */
  stale?: string;
  /** Name of the strict (command) source that is missing or too old at this sample. */
  actionStale?: string;
}

export interface AlignStats {
  samples: number;
  stale: number;
  outOfOrder: Record<string, number>;
  messages: Record<string, number>;
}

interface Entry {
  tNs: bigint;
  values: Float64Array;
}

export class ControlRateSampler {
  readonly periodNs: number;
  readonly toleranceNs: bigint;
  readonly stats: AlignStats;
  readonly #history: Entry[][];
  readonly #last: bigint[];
  #anchorNs: bigint | undefined;
  #tick = 0;

  constructor(
    readonly sources: AlignSource[],
    readonly options: AlignOptions,
  ) {
    if (sources.length === 0)
      throw new RangeError("ControlRateSampler needs at least the primary state source");
    this.periodNs = 1e9 / options.rateHz;
    this.toleranceNs = options.toleranceNs ?? BigInt(Math.round(this.periodNs / 10));
    this.#history = sources.map(() => []);
    this.#last = sources.map(() => -1n);
    this.stats = {
      samples: 0,
      stale: 0,
      outOfOrder: Object.fromEntries(sources.map((s) => [s.name, 0])),
      messages: Object.fromEntries(sources.map((s) => [s.name, 0])),
    };
  }

  /** Adds one message; returns the samples it completed (in grid order). `values` is kept: pass a fresh array. */
  push(source: number, tNs: bigint, values: Float64Array): AlignedSample[] {
    const name = this.sources[source].name;
    if (tNs < this.#last[source]) {
      this.stats.outOfOrder[name]++;
      return [];
    }
    this.#last[source] = tNs;
    this.stats.messages[name]++;
    const out: AlignedSample[] = [];
    if (source === 0) this.#completeTicks(tNs, out);
    this.#history[source].push({ tNs, values });
    if (source === 0 && this.#anchorNs === undefined) this.#anchorNs = tNs;
    return out;
  }

  /** Completes the last tick the final state message belongs to. */
  finish(): AlignedSample[] {
    const out: AlignedSample[] = [];
    const states = this.#history[0];
    if (this.#anchorNs === undefined || states.length === 0) return out;
    const last = states[states.length - 1].tNs;
    if (last <= this.#tickNs() + this.toleranceNs) out.push(this.#sample(this.#tickNs()));
    return out;
  }

  #tickNs(): bigint {
    return this.#anchorNs! + BigInt(Math.round(this.#tick * this.periodNs));
  }

  #completeTicks(stateNs: bigint, out: AlignedSample[]): void {
    if (this.#anchorNs === undefined) return;
    while (stateNs > this.#tickNs() + this.toleranceNs) {
      const t = this.#tickNs();
      out.push(this.#sample(t));
      this.#tick++;
      // A long silence: one stale sample marks the gap, then the grid restarts at the new message.
      if (stateNs - this.#tickNs() > this.options.maxStaleNs + BigInt(Math.round(this.periodNs))) {
        if (!out[out.length - 1].stale) out.push(this.#staleSample(this.#tickNs(), this.sources[0].name));
        this.#anchorNs = stateNs;
        this.#tick = 0;
        return;
      }
    }
  }

  #staleSample(tNs: bigint, why: string): AlignedSample {
    this.stats.samples++;
    this.stats.stale++;
    return {
      tNs,
      stateNs: -1n,
      signals: new Float64Array(this.options.signalSize),
      values: this.sources.map(() => undefined),
      stale: why,
    };
  }

  #sample(tNs: bigint): AlignedSample {
    const signals = new Float64Array(this.options.signalSize);
    const values: (Float64Array | undefined)[] = [];
    const states = this.#history[0];
    const state = states[states.length - 1];
    let stale: string | undefined;
    let actionStale: string | undefined;
    if (tNs - state.tNs > this.options.maxStaleNs) stale = this.sources[0].name;
    states.splice(0, states.length - 1);
    values.push(state.values);
    this.#write(signals, 0, state.values);
    for (let s = 1; s < this.sources.length; s++) {
      const src = this.sources[s];
      const hist = this.#history[s];
      let i = hist.length - 1;
      while (i >= 0 && (src.strict ? hist[i].tNs >= state.tNs : hist[i].tNs > state.tNs)) i--;
      if (i < 0) {
        values.push(undefined);
        if (src.strict) actionStale ??= `${src.name} (never received)`;
        else if (src.checkStale || src.indices.length > 0) stale ??= `${src.name} (never received)`;
        continue;
      }
      hist.splice(0, i); // older entries can never be chosen again
      const entry = hist[0];
      values.push(entry.values);
      this.#write(signals, s, entry.values);
      if (src.checkStale && tNs - entry.tNs > this.options.maxStaleNs) {
        if (src.strict) actionStale ??= src.name;
        else stale ??= src.name;
      }
    }
    this.stats.samples++;
    if (stale) this.stats.stale++;
    return { tNs, stateNs: state.tNs, signals, values, stale, actionStale };
  }

  #write(signals: Float64Array, source: number, values: Float64Array): void {
    const idx = this.sources[source].indices;
    for (let j = 0; j < idx.length; j++) signals[idx[j]] = values[j];
  }
}
