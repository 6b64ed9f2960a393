/**
 * Turns aligned samples into episodes of transitions, scored by the robot's own spec (compileTask):
 *   obs_k = observe(S_k), action_k = the command in effect during [t_k, t_k+1) = S_k+1's action slots,
 *   reward_k = reward(S_k+1), terminal_k = terminated(S_k+1).
 * Episodes end at a termination (terminal), at control.max_episode_steps (timeout), and are truncated
 * (timeout) at a stale sample (gap), at a change of the episode mark (episode topic) and at the end of the log.
 * After a terminal or time limit the next episode starts at the following sample (the boundary transition
 * is a reset jump). Transitions with NaN/Inf (or beyond float32) are dropped and counted.
 *
 * Steps go to the writer one by one as they are known (appendStep, then endEpisode), never buffered here:
 * the writer's periodic flush then makes them durable even inside an hours-long episode.
 *
 * Shared with the recorder node: see control-rate-sampler.ts.
 */
import type { EpisodeEnd, StepInput } from "../dataset-writer.js";
import type { TaskFunctions } from "../../robot/task-functions.js";
import type { AlignedSample } from "./control-rate-sampler.js";

/** Where segmented steps go: a DatasetWriter. */
export interface StepSink {
  appendStep(step: StepInput): void;
  endEpisode(end: EpisodeEnd): void;
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
  /** Steps handed to the sink in the current episode. */
  #steps = 0;
  #prev: AlignedSample | undefined;
  /** Observation and time of the previous sample: the state the next step starts in. */
  #prevObs: Float64Array;
  #prevTime = 0;
  #obsBuf: Float64Array;
  readonly #actStart: number;

  constructor(
    readonly task: TaskFunctions,
    readonly options: SegmenterOptions,
    readonly sink: StepSink,
  ) {
    this.#obsBuf = new Float64Array(task.obsDim);
    this.#prevObs = new Float64Array(task.obsDim);
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
    this.sink.appendStep({ observation: this.#prevObs, action, reward, timestamp: this.#prevTime });
    this.#steps++;
    this.#advance(sample);
    if (termination) {
      this.stats.terminals++;
      this.#close("terminal", termination);
    } else if (this.#steps >= this.options.maxEpisodeSteps) {
      this.stats.timeLimits++;
      this.#close("time_limit");
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
    this.#steps = 0;
    this.#advance(sample);
  }

  /** The sample just observed (in #obsBuf) becomes the state the next step starts in. */
  #advance(sample: AlignedSample): void {
    [this.#prevObs, this.#obsBuf] = [this.#obsBuf, this.#prevObs];
    this.#prevTime = Number(sample.tNs) / 1e9;
    this.#prev = sample;
  }

  /**
   * Ends the episode: a terminal, or a timeout for every other reason (time limit, gap, episode mark, end
   * of log, non-finite data: the robot did not fail, the recording of this episode just stopped).
   */
  #close(endedBy: string, termination?: string): void {
    const T = this.#steps;
    this.#prev = undefined;
    this.#steps = 0;
    if (T === 0) return;
    const terminal = endedBy === "terminal";
    this.sink.endEpisode({
      finalObservation: this.#prevObs,
      terminal,
      timeout: !terminal,
      finalTimestamp: this.#prevTime,
      termination,
    });
    this.stats.episodes++;
    this.stats.transitions += T;
  }
}
