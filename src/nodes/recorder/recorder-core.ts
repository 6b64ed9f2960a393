/**
 * The recorder's logic without ROS: timestamped topic messages in, dataset episodes out.
 *
 * - /joint_states is mapped BY JOINT NAME into the signal vector (position/velocity/effort blocks); joints
 *   of the spec missing from a message read NaN (transitions that need them are dropped and counted).
 * - Alignment (zero-order hold at control.rate_hz, staleness control.max_state_age_ms) and episode
 *   segmentation are the shared src/data/align/ modules the rosbag2 importer uses, so a live recording
 *   and an imported log of the same run become the same dataset.
 * - Episode boundaries: the spec's termination (terminal), control.max_episode_steps (timeout), stale
 *   gaps, a change on the episode topic, and reset detection (a joint position jumping more than
 *   `resetJump` between consecutive states: the robot was reset).
 * - Out-of-order stamps, malformed messages and topics that never arrived are counted and reported.
 */
import type { DatasetWriter } from "../../data/dataset-writer.js";
import { ControlRateSampler, type AlignSource } from "../../data/align/control-rate-sampler.js";
import { EpisodeSegmenter } from "../../data/align/episode-segmenter.js";
import type { RobotSpec } from "../../robot/spec.js";
import { commandTopic } from "../../robot/spec.js";
import { compileTask, type TaskFunctions } from "../../robot/task-functions.js";

export interface RecorderCoreOptions {
  /** A joint position jump (rad or m) between consecutive states that marks a reset; 0 disables. */
  resetJump?: number;
  /** Override control.max_state_age_ms. */
  maxStateAgeMs?: number;
  /** Record an episode-topic source (its value changes mark episode boundaries). */
  episodeTopic?: string;
  /** Warnings (malformed messages, unknown joints): once per kind. */
  warn?: (message: string) => void;
}

export interface RecorderStats {
  messages: Record<string, number>;
  out_of_order: Record<string, number>;
  malformed: Record<string, number>;
  /** Spec joints that were absent from /joint_states messages (counted per message). */
  missing_joints: Record<string, number>;
  /** Subscribed topics that have not delivered a single message. */
  missing_topics: string[];
  samples: number;
  stale_samples: number;
  gaps: number;
  dropped_non_finite: number;
  resets_detected: number;
  episode_marks: number;
  terminals: number;
  time_limits: number;
  episodes: number;
  transitions: number;
}

const MARK_SOURCE = "episode boundary";

export class RecorderCore {
  readonly task: TaskFunctions;
  readonly topics: { state: string; command: string; tasks: string[]; episode?: string };
  private readonly sampler: ControlRateSampler;
  private readonly segmenter: EpisodeSegmenter;
  private readonly jointCount: number;
  private readonly jointIndex: Map<string, number>;
  private nameCacheKey: string[] | undefined;
  private nameCache: Int32Array = new Int32Array(0);
  private readonly stateValues: Float64Array;
  private lastPositions: Float64Array | undefined;
  private lastStateNs = 0n;
  private mark = 0;
  private lastEpisodeValue: number | undefined;
  private readonly warned = new Set<string>();
  private readonly malformed: Record<string, number> = {};
  private readonly missingJoints: Record<string, number> = {};
  private resets = 0;
  private finished = false;
  private readonly markSource: number;
  private readonly taskSources: number[] = [];

  constructor(
    readonly spec: RobotSpec,
    readonly writer: DatasetWriter,
    private readonly options: RecorderCoreOptions = {},
  ) {
    this.task = compileTask(spec);
    const layout = this.task.layout;
    this.jointCount = spec.joints.length;
    this.jointIndex = new Map(spec.joints.map((j, i) => [j.name, i]));
    this.stateValues = new Float64Array(3 * this.jointCount);
    this.topics = {
      state: spec.ros.joint_states_topic,
      command: commandTopic(spec),
      tasks: spec.ros.task_topics.map((t) => t.topic),
      episode: options.episodeTopic,
    };
    const range = (start: number, n: number): number[] => Array.from({ length: n }, (_, i) => start + i);
    const sources: AlignSource[] = [
      { name: this.topics.state, indices: range(layout.position, 3 * this.jointCount), checkStale: true },
      {
        name: this.topics.command,
        indices: range(layout.action, spec.actuators.length),
        strict: true,
        checkStale: true,
      },
    ];
    let taskOffset = layout.task;
    for (const t of spec.ros.task_topics) {
      this.taskSources.push(sources.length);
      sources.push({ name: t.topic, indices: range(taskOffset, t.fields.length) });
      taskOffset += t.fields.length;
    }
    this.markSource = sources.length;
    sources.push({ name: MARK_SOURCE, indices: [] });
    this.sampler = new ControlRateSampler(sources, {
      rateHz: spec.control.rate_hz,
      maxStaleNs: BigInt(Math.round((options.maxStateAgeMs ?? spec.control.max_state_age_ms) * 1e6)),
      signalSize: layout.size,
    });
    this.segmenter = new EpisodeSegmenter(
      this.task,
      { maxEpisodeSteps: spec.control.max_episode_steps, episodeSource: this.markSource },
      writer,
    );
    this.sampler.push(this.markSource, 0n, Float64Array.of(0));
  }

  /**
   * Stamp for a headerless message (commands, tasks, episode marks) arriving now: just after the latest
   * state, so it counts for the interval that state starts; before any state, at 0 (before everything).
   */
  headerlessStampNs(): bigint {
    return this.lastPositions ? this.lastStateNs + 1n : 0n;
  }

  jointState(
    stampNs: bigint,
    name: readonly string[],
    position: ArrayLike<number>,
    velocity: ArrayLike<number>,
    effort: ArrayLike<number>,
  ): void {
    if (this.finished) return;
    const map = this.mapNames(name);
    const J = this.jointCount;
    const v = this.stateValues;
    for (let j = 0; j < J; j++) {
      const k = map[j];
      if (k < 0) {
        const n = this.spec.joints[j].name;
        this.missingJoints[n] = (this.missingJoints[n] ?? 0) + 1;
        v[j] = v[J + j] = v[2 * J + j] = NaN;
        continue;
      }
      v[j] = k < position.length ? position[k] : NaN;
      v[J + j] = k < velocity.length ? velocity[k] : NaN;
      v[2 * J + j] = k < effort.length ? effort[k] : NaN;
    }
    if (stampNs >= this.lastStateNs) {
      const jump = this.options.resetJump ?? 0;
      if (jump > 0 && this.lastPositions) {
        for (let j = 0; j < J; j++) {
          if (Math.abs(v[j] - this.lastPositions[j]) > jump) {
            this.resets++;
            this.newMark(stampNs);
            break;
          }
        }
      }
      this.lastPositions ??= new Float64Array(J);
      this.lastPositions.set(v.subarray(0, J));
      this.lastStateNs = stampNs;
    }
    this.feed(0, stampNs, v);
  }

  command(stampNs: bigint, data: ArrayLike<number>): void {
    if (this.finished) return;
    if (data.length !== this.spec.actuators.length) {
      this.bad(
        this.topics.command,
        `has ${data.length} values, the robot has ${this.spec.actuators.length} actuators (${this.spec.actuators.map((a) => a.name).join(", ")})`,
      );
      return;
    }
    this.feed(1, stampNs, data);
  }

  taskValues(taskIndex: number, stampNs: bigint, data: ArrayLike<number>): void {
    if (this.finished) return;
    const t = this.spec.ros.task_topics[taskIndex];
    if (data.length !== t.fields.length) {
      this.bad(t.topic, `has ${data.length} values, task ${t.name} has fields ${t.fields.join(", ")}`);
      return;
    }
    this.feed(this.taskSources[taskIndex], stampNs, data);
  }

  episodeValue(stampNs: bigint, value: number): void {
    if (this.finished) return;
    if (this.lastEpisodeValue !== undefined && value !== this.lastEpisodeValue) this.newMark(stampNs);
    this.lastEpisodeValue = value;
    this.countMessage(this.topics.episode ?? "episode");
  }

  /** Ends the last episode (as a timeout: the recording stopped, the robot did not fail). */
  finish(): RecorderStats {
    if (!this.finished) {
      this.finished = true;
      for (const s of this.sampler.finish()) this.segmenter.push(s);
      this.segmenter.finish();
    }
    return this.stats();
  }

  stats(): RecorderStats {
    const st = this.segmenter.stats;
    const messages = { ...this.sampler.stats.messages, ...this.extraMessages };
    delete messages[MARK_SOURCE];
    const outOfOrder = { ...this.sampler.stats.outOfOrder };
    delete outOfOrder[MARK_SOURCE];
    const subscribed = [
      this.topics.state,
      this.topics.command,
      ...this.topics.tasks,
      ...(this.topics.episode ? [this.topics.episode] : []),
    ];
    return {
      messages,
      out_of_order: outOfOrder,
      malformed: { ...this.malformed },
      missing_joints: { ...this.missingJoints },
      missing_topics: subscribed.filter((t) => !(messages[t] > 0)),
      samples: this.sampler.stats.samples,
      stale_samples: this.sampler.stats.stale,
      gaps: st.gaps,
      dropped_non_finite: st.droppedNonFinite,
      resets_detected: this.resets,
      episode_marks: st.episodeMarks,
      terminals: st.terminals,
      time_limits: st.timeLimits,
      episodes: st.episodes,
      transitions: st.transitions,
    };
  }

  private readonly extraMessages: Record<string, number> = {};

  private countMessage(topic: string): void {
    this.extraMessages[topic] = (this.extraMessages[topic] ?? 0) + 1;
  }

  private feed(source: number, stampNs: bigint, values: ArrayLike<number>): void {
    const before = this.sampler.stats.outOfOrder[this.sampler.sources[source].name];
    // The sampler keeps the array it is given: always hand it a fresh copy.
    for (const s of this.sampler.push(source, stampNs, Float64Array.from(values))) this.segmenter.push(s);
    if (this.sampler.stats.outOfOrder[this.sampler.sources[source].name] !== before) {
      this.warnOnce(
        `order:${source}`,
        `${this.sampler.sources[source].name}: message stamped ${stampNs} ns is older than the previous one (dropped; counted in out_of_order)`,
      );
    }
  }

  private newMark(stampNs: bigint): void {
    this.mark++;
    this.sampler.push(this.markSource, stampNs, Float64Array.of(this.mark));
  }

  private mapNames(name: readonly string[]): Int32Array {
    if (this.nameCacheKey && sameNames(this.nameCacheKey, name)) return this.nameCache;
    const map = new Int32Array(this.jointCount).fill(-1);
    name.forEach((n, k) => {
      const j = this.jointIndex.get(n);
      if (j !== undefined) map[j] = k;
    });
    const missing = this.spec.joints.filter((_, j) => map[j] < 0).map((j) => j.name);
    if (missing.length)
      this.warnOnce(
        `joints:${missing.join()}`,
        `${this.topics.state}: joints ${missing.join(", ")} of robot ${this.spec.name} are not in the message (names: ${name.join(", ") || "(none)"})`,
      );
    this.nameCacheKey = [...name];
    this.nameCache = map;
    return map;
  }

  private bad(topic: string, detail: string): void {
    this.malformed[topic] = (this.malformed[topic] ?? 0) + 1;
    this.warnOnce(`bad:${topic}`, `${topic}: message ${detail} (dropped; counted in malformed)`);
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.warn?.(message);
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
