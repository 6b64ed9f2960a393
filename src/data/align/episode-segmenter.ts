/**
 * Turns aligned samples into episodes of transitions, scored by the robot's own spec (compileTask):
 *   obs_k = observe(S_k), action_k = the command in effect during [t_k, t_k+1) = S_k+1's action slots,
 *   reward_k = reward(S_k+1), terminal_k = terminated(S_k+1).
 * Episodes end at a termination (terminal), at control.max_episode_steps (timeout), and are truncated
 * (timeout) at a stale sample (gap), at a change of the episode mark (episode topic) and at the end of the log.
 * After a terminal or time limit the next episode starts at the following sample (the boundary transition
 * is a reset jump). Transitions with NaN/Inf (or beyond float32) are dropped and counted.
 *
 * Shared with the recorder node: see control-rate-sampler.ts.
 */
import type { TaskFunctions } from "../../robot/task-functions.js";
import type { AlignedSample } from "./control-rate-sampler.js";

export interface SegmentedEpisode {
  /** (T + 1) x obsDim */
  observations: Float32Array;
  /** T x actDim, actuator units */
  actions: Float64Array;
  rewards: Float32Array;
  terminals: Uint8Array;
  timeouts: Uint8Array;
  /** T + 1 stamps in seconds (grid times). */
  timestamps: Float64Array;
  termination?: string;
  /** How the episode ended: "terminal" | "time_limit" | "gap" | "episode_mark" | "end_of_log" | "non_finite". */
  endedBy: string;
}

export interface SegmentStats {
  episodes: number;
  transitions: number;
  droppedNonFinite: number;
  gaps: number;
  terminals: number;
  timeLimits: number;
  episodeMarks: number;
}

export interface SegmenterOptions {
  maxEpisodeSteps: number;
  /** Index of the source whose first value marks episodes (episode topic), if any. */
  episodeSource?: number;
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(Math.fround(values[i]))) return false;
  return true;
}

export class EpisodeSegmenter {
  readonly stats: SegmentStats = {
    episodes: 0,
    transitions: 0,
    droppedNonFinite: 0,
    gaps: 0,
    terminals: 0,
    timeLimits: 0,
    episodeMarks: 0,
  };
  #obs: number[] = [];
  #act: number[] = [];
  #rew: number[] = [];
  #term: number[] = [];
  #time: number[] = [];
  #prev: AlignedSample | undefined;
  readonly #obsBuf: Float64Array;
  readonly #actStart: number;

  constructor(
    readonly task: TaskFunctions,
    readonly options: SegmenterOptions,
    readonly emit: (episode: SegmentedEpisode) => void,
  ) {
    this.#obsBuf = new Float64Array(task.obsDim);
    this.#actStart = task.layout.action;
  }

  push(sample: AlignedSample): void {
    if (sample.stale) {
      if (this.#prev) this.stats.gaps++;
      this.#close("gap");
      return;
    }
    const prev = this.#prev;
    if (!prev) {
      this.#start(sample);
      return;
    }
    if (sample.actionStale) {
      // No known command for [t_k-1, t_k): the sample starts a new episode.
      this.stats.gaps++;
      this.#close("gap");
      this.#start(sample);
      return;
    }
    if (this.#mark(sample) !== this.#mark(prev)) {
      this.stats.episodeMarks++;
      this.#close("episode_mark");
      this.#start(sample);
      return;
    }
    const s = sample.signals;
    this.task.observe(s, this.#obsBuf);
    const action = s.subarray(this.#actStart, this.#actStart + this.task.actDim);
    const reward = this.task.reward(s);
    if (!allFinite(this.#obsBuf) || !allFinite(action) || !Number.isFinite(Math.fround(reward))) {
      this.stats.droppedNonFinite++;
      this.#close("non_finite");
      this.#start(sample);
      return;
    }
    const termination = this.task.terminated(s);
    for (const v of this.#obsBuf) this.#obs.push(v);
    for (const v of action) this.#act.push(v);
    this.#rew.push(reward);
    this.#term.push(termination ? 1 : 0);
    this.#time.push(Number(sample.tNs) / 1e9);
    if (termination) {
      this.stats.terminals++;
      this.#close("terminal", termination);
    } else if (this.#rew.length >= this.options.maxEpisodeSteps) {
      this.stats.timeLimits++;
      this.#close("time_limit");
    } else {
      this.#prev = sample;
    }
  }

  finish(): void {
    this.#close("end_of_log");
  }

  #mark(sample: AlignedSample): number | undefined {
    if (this.options.episodeSource === undefined) return undefined;
    return sample.values[this.options.episodeSource]?.[0];
  }

  #start(sample: AlignedSample): void {
    this.task.observe(sample.signals, this.#obsBuf);
    if (!allFinite(this.#obsBuf)) {
      this.stats.droppedNonFinite++;
      this.#prev = undefined;
      return;
    }
    this.#obs = Array.from(this.#obsBuf);
    this.#act = [];
    this.#rew = [];
    this.#term = [];
    this.#time = [Number(sample.tNs) / 1e9];
    this.#prev = sample;
  }

  #close(endedBy: string, termination?: string): void {
    const T = this.#rew.length;
    this.#prev = undefined;
    if (T === 0) {
      this.#obs = [];
      return;
    }
    const timeouts = new Uint8Array(T);
    if (endedBy !== "terminal") timeouts[T - 1] = 1;
    this.emit({
      observations: Float32Array.from(this.#obs),
      actions: Float64Array.from(this.#act),
      rewards: Float32Array.from(this.#rew),
      terminals: Uint8Array.from(this.#term),
      timeouts,
      timestamps: Float64Array.from(this.#time),
      termination,
      endedBy,
    });
    this.stats.episodes++;
    this.stats.transitions += T;
    this.#obs = [];
    this.#rew = [];
  }
}
