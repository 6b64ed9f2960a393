/**
 * `tether import`: a rosbag2 bag (or a Tether MCAP run log) -> a Tether dataset, for one robot.
 * Mapped topic fields become signals, signals are aligned at the control rate with zero-order hold
 * (src/data/align/), scored by the robot's reward/termination spec, segmented into episodes and written
 * with the dataset writer. Rewards never come from the bag: historical logs without rewards are usable.
 */
import { statSync } from "node:fs";
import { basename } from "node:path";
import { ConfigError } from "../../core/errors.js";
import { nanosFromTime } from "../../msgs/time.js";
import type { Time } from "../../msgs/types.js";
import { loadRobot } from "../../robot/load.js";
import { compileTask } from "../../robot/task-functions.js";
import { DatasetWriter, layoutFromSpec } from "../dataset-writer.js";
import { ControlRateSampler, type AlignSource } from "../align/control-rate-sampler.js";
import { EpisodeSegmenter } from "../align/episode-segmenter.js";
import { openBag, type Bag } from "../rosbag2/bag.js";
import { checkFieldPath, compileFieldPath, FieldPathError } from "./field-path.js";
import { inPublishOrder } from "./publish-order.js";
import { loadImportMapping, resolveMapping, ImportMappingSchema, type ResolvedMapping } from "./mapping.js";

export interface ImportOptions {
  bag: string;
  /** Robot name under robots/ or a robot folder. */
  robot: string;
  /** Mapping file; the robot's ros: section alone when omitted. */
  map?: string;
  out: string;
  /** Behavior label stored with the episodes (default "logged"). */
  behavior?: string;
  onProgress?: (messages: number, total: number) => void;
  /** Import the complete records of an MCAP file cut short instead of failing (reported in warnings). */
  allowTruncated?: boolean;
  flushIntervalMs?: number;
}

export interface ImportReport {
  bag: string;
  out: string;
  robot: string;
  bag_bytes: number;
  messages_read: number;
  episodes: number;
  transitions: number;
  samples: number;
  stale_samples: number;
  gaps: number;
  dropped_non_finite: number;
  terminals: number;
  time_limits: number;
  episode_marks: number;
  out_of_order: Record<string, number>;
  messages_per_topic: Record<string, number>;
  warnings: string[];
  seconds: number;
  mb_per_s: number;
}

interface Extractor {
  source: number;
  read: ((msg: unknown) => number)[];
  origins: ResolvedMapping["sources"];
}

/** Checks every mapped topic and field against the bag before reading a message. */
function planTopics(
  bag: Bag,
  mapping: ResolvedMapping,
): { sources: AlignSource[]; byTopic: Map<string, Extractor[]>; episodeSource?: number } {
  const topics = [
    mapping.stateTopic,
    ...new Set(mapping.sources.map((s) => s.topic).filter((t) => t !== mapping.stateTopic)),
  ];
  const sources: AlignSource[] = [];
  const byTopic = new Map<string, Extractor[]>();
  const bagTopics = bag.topics.map((t) => t.name).join(", ");
  const check = (
    topic: string,
    origin: { file: string; field: string },
    path: string,
    segments: Parameters<typeof checkFieldPath>[0],
  ) => {
    const t = bag.topics.find((x) => x.name === topic);
    if (!t)
      throw new ConfigError(origin.file, origin.field, `topic ${topic} is not in bag ${bag.path}`, {
        hint: `the bag has: ${bagTopics}`,
      });
    if (t.messageCount === 0)
      throw new ConfigError(origin.file, origin.field, `topic ${topic} has no messages in bag ${bag.path}`);
    const decoder = bag.decoder(topic); // unknown message type -> DatasetFormatError naming file and topic
    try {
      checkFieldPath(segments, decoder.definitions, t.type);
    } catch (err) {
      if (!(err instanceof FieldPathError)) throw err;
      throw new ConfigError(
        origin.file,
        origin.field,
        `topic ${topic} (${t.type}): field ${path}: ${err.message}`,
      );
    }
  };
  for (const topic of topics) {
    const signals = mapping.sources.filter((s) => s.topic === topic);
    for (const s of signals) check(topic, s.origin, s.path, s.segments);
    sources.push({
      name: topic,
      indices: signals.map((s) => s.signalIndex),
      strict: topic === mapping.commandTopic,
      checkStale: topic === mapping.stateTopic || topic === mapping.commandTopic,
    });
    byTopic.set(topic, [
      {
        source: sources.length - 1,
        read: signals.map((s) => compileFieldPath(s.segments, { emptyAsNaN: s.emptyAsNaN })),
        origins: signals,
      },
    ]);
  }
  let episodeSource: number | undefined;
  if (mapping.episode) {
    const e = mapping.episode;
    check(e.topic, e.origin, e.path, e.segments);
    sources.push({ name: `${e.topic} (episode)`, indices: [] });
    episodeSource = sources.length - 1;
    const list = byTopic.get(e.topic) ?? [];
    list.push({
      source: episodeSource,
      read: [compileFieldPath(e.segments)],
      origins: [
        {
          signal: "episode",
          signalIndex: -1,
          topic: e.topic,
          path: e.path,
          segments: e.segments,
          origin: e.origin,
          emptyAsNaN: false,
        },
      ],
    });
    byTopic.set(e.topic, list);
  }
  return { sources, byTopic, episodeSource };
}

/**
 * The time each message is aligned at. "receive": rosbag2's receive time. "header": as the recorder node's
 * default (src/nodes/recorder/recorder-core.ts), the state's header.stamp, and for a headerless message
 * 1 ns after the latest state published before it (0 before any), so it counts for the interval that state
 * starts; the messages come in publish-time order (publish-order.ts).
 */
class StampClock {
  #lastStateNs: bigint | undefined;
  constructor(readonly mapping: ResolvedMapping) {}

  of(topic: string, msg: unknown, logTimeNs: bigint, file: string): bigint {
    if (this.mapping.stampSource === "receive") return logTimeNs;
    if (topic !== this.mapping.stateTopic)
      return this.#lastStateNs === undefined ? 0n : this.#lastStateNs + 1n;
    const stamp = (msg as { header?: { stamp?: Time } }).header?.stamp;
    if (stamp === undefined)
      throw new ConfigError(
        this.mapping.file,
        "align.stamp_source",
        `topic ${topic} has no header.stamp (message logged at ${logTimeNs} ns in ${file}): use stamp_source: receive`,
      );
    const ns = nanosFromTime(stamp);
    if (this.#lastStateNs === undefined || ns >= this.#lastStateNs) this.#lastStateNs = ns;
    return ns;
  }
}

export async function importBag(options: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const robot = loadRobot(options.robot);
  const spec = robot.spec;
  const mapFile = options.map ?? `${robot.specFile} (no --map)`;
  const mapping = resolveMapping(
    spec,
    options.map ? loadImportMapping(options.map) : ImportMappingSchema.parse({}),
    mapFile,
    robot.specFile,
  );
  const task = compileTask(spec);
  const bag = await openBag(options.bag, { allowTruncated: options.allowTruncated });
  const warnings: string[] = [];
  try {
    const { sources, byTopic, episodeSource } = planTopics(bag, mapping);
    const sampler = new ControlRateSampler(sources, {
      rateHz: mapping.rateHz,
      maxStaleNs: BigInt(Math.round(mapping.maxStaleMs * 1e6)),
      toleranceNs:
        mapping.toleranceMs === undefined ? undefined : BigInt(Math.round(mapping.toleranceMs * 1e6)),
      signalSize: task.layout.size,
    });
    const writer = await DatasetWriter.create(options.out, {
      ...layoutFromSpec(spec),
      source: `import:${basename(options.bag)}`,
      behavior: options.behavior ?? "logged",
      flushIntervalMs: options.flushIntervalMs,
    });
    const segmenter = new EpisodeSegmenter(
      task,
      { maxEpisodeSteps: spec.control.max_episode_steps, episodeSource },
      writer,
    );
    const total = bag.topics.filter((t) => byTopic.has(t.name)).reduce((n, t) => n + t.messageCount, 0);
    const nanWarned = new Set<string>();
    let read = 0;
    const stamps = new StampClock(mapping);
    try {
      const messages = bag.messages({ topics: byTopic.keys() });
      for await (const m of mapping.stampSource === "header" ? inPublishOrder(messages) : messages) {
        read++;
        const msg = m.message;
        const tNs = stamps.of(m.topic, msg, m.logTimeNs, m.file);
        for (const ex of byTopic.get(m.topic)!) {
          const values = new Float64Array(ex.read.length);
          for (let i = 0; i < ex.read.length; i++) {
            try {
              values[i] = ex.read[i](msg);
            } catch (err) {
              if (!(err instanceof FieldPathError)) throw err;
              const o = ex.origins[i];
              throw new ConfigError(
                o.origin.file,
                o.origin.field,
                `topic ${m.topic}: ${o.path}: ${err.message} (message logged at ${m.logTimeNs} ns in ${m.file})`,
              );
            }
            if (Number.isNaN(values[i]) && ex.origins[i].emptyAsNaN && !nanWarned.has(ex.origins[i].signal)) {
              nanWarned.add(ex.origins[i].signal);
              warnings.push(
                `topic ${m.topic}: ${ex.origins[i].path.split("[")[0]}[] is empty: ${ex.origins[i].signal} reads NaN (transitions that need it are dropped)`,
              );
            }
          }
          for (const s of sampler.push(ex.source, tNs, values)) segmenter.push(s);
        }
        if (options.onProgress && read % 4096 === 0) options.onProgress(read, total);
      }
      for (const s of sampler.finish()) segmenter.push(s);
      segmenter.finish();
    } catch (err) {
      await writer.close(); // keep what was imported so far consistent on disk; the error still propagates
      throw err;
    }
    await writer.close();
    options.onProgress?.(read, total);
    const seconds = (performance.now() - started) / 1000;
    const bytes = bag.files.reduce((n, f) => n + statSync(f).size, 0);
    const st = segmenter.stats;
    if (st.transitions === 0)
      warnings.push(
        `no transitions: ${sampler.stats.stale} of ${sampler.stats.samples} samples were stale (check topics, rate and max_stale_ms)`,
      );
    for (const [name, n] of Object.entries(sampler.stats.outOfOrder))
      if (n > 0) warnings.push(`${name}: ${n} messages out of order (dropped)`);
    return {
      bag: options.bag,
      out: options.out,
      robot: spec.name,
      bag_bytes: bytes,
      messages_read: read,
      episodes: st.episodes,
      transitions: st.transitions,
      samples: sampler.stats.samples,
      stale_samples: sampler.stats.stale,
      gaps: st.gaps,
      dropped_non_finite: st.droppedNonFinite,
      terminals: st.terminals,
      time_limits: st.timeLimits,
      episode_marks: st.episodeMarks,
      out_of_order: sampler.stats.outOfOrder,
      messages_per_topic: sampler.stats.messages,
      warnings: [...bag.warnings, ...warnings],
      seconds,
      mb_per_s: bytes / 1e6 / seconds,
    };
  } finally {
    await bag.close();
  }
}
