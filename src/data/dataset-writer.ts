/**
 * Append-only, crash-safe dataset writer.
 *
 *   const w = await DatasetWriter.create("logs/reacher-medium", { ...writerLayoutFromSpec(spec), source: "collect", behavior: "medium" });
 *   w.appendEpisode({ observations, actions, rewards, terminals, timeouts });   // or appendStep()... endEpisode()
 *   const manifest = await w.close();
 *
 * Records are framed with a CRC32C and buffered in memory; every `flushIntervalMs` (default 500 ms) and on
 * close the buffer is written and fsync'ed. An episode recorded with appendStep is written as fragments at
 * every flush (src/data/open-episode.ts), so a kill -9 loses only the steps since the last flush, even in
 * the middle of an hours-long episode. After a kill -9 the reader recovers every record before the last
 * flush (tolerant scan; an unfinished episode comes back truncated); `tether dataset repair` then writes
 * the manifest. Chunks rotate when they would exceed `chunkBytes`. Nothing already written is ever rewritten.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, writeSync } from "node:fs";
import { createHash, type Hash } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { NonFiniteError, ShapeMismatchError, TetherError, assertFinite } from "../core/errors.js";
import type { RobotSpec } from "../robot/spec.js";
import { CHUNK_MAGIC, chunkFileName, frameRecord } from "./chunk-file.js";
import { writeManifest, syncDir, type Manifest } from "./manifest.js";
import { SCHEMA_VERSION, type ChunkHeaderRecord, type EpisodeRecord } from "./proto.js";
import { encodeEpisode, encodeHeader } from "./record-codec.js";
import { OpenEpisode } from "./open-episode.js";
import { StatsAccumulator } from "./statistics.js";

export const RECORDER_VERSION = "tether 0.1.0";
export const DEFAULT_FLUSH_INTERVAL_MS = 500;
export const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;

/** Names, dims and action ranges of a dataset. */
export interface DatasetLayout {
  robot: string;
  obsNames: string[];
  actNames: string[];
  /** [low, high] per actuator (actuator units). Defaults to [-1, 1] (actions already normalized). */
  actionRanges?: [number, number][];
  referenceReturns?: { random: number; expert: number };
}

export interface DatasetWriterOptions extends DatasetLayout {
  /** Where the data came from: "collect", "recorder", "import:<bag>", ... */
  source: string;
  /** Default behavior label for episodes that do not carry their own. */
  behavior: string;
  flushIntervalMs?: number;
  chunkBytes?: number;
  /**
   * Called after each successful write + fsync with what now survives a kill -9: complete episodes, and
   * transitions of the episode in progress (see durableSteps).
   */
  onFlush?: (durableEpisodes: number, durableSteps: number) => void;
}

/** One episode of T steps. `observations` holds T + 1 rows: the final observation closes the episode. */
export interface EpisodeInput {
  observations: ArrayLike<number>;
  /** T x actDim in actuator units (as commanded). */
  actions: ArrayLike<number>;
  /** T x actDim in [-1, 1]; computed from `actions` and the action ranges when omitted. */
  actionsNormalized?: ArrayLike<number>;
  rewards: ArrayLike<number>;
  terminals?: ArrayLike<number>;
  timeouts?: ArrayLike<number>;
  /** T + 1 timestamps in seconds, optional. */
  timestamps?: ArrayLike<number>;
  behavior?: string;
  termination?: string;
  quality?: number;
  seed?: number;
}

export interface StepInput {
  observation: ArrayLike<number>;
  action: ArrayLike<number>;
  actionNormalized?: ArrayLike<number>;
  reward: number;
  timestamp?: number;
}

export interface EpisodeEnd {
  finalObservation: ArrayLike<number>;
  /** The last step reached a failure state (no bootstrap). */
  terminal: boolean;
  /** The last step hit the time limit. */
  timeout: boolean;
  finalTimestamp?: number;
  termination?: string;
  behavior?: string;
  quality?: number;
  seed?: number;
}

/** Layout of a robot's datasets from its spec: observation names, actuator names and ranges. */
export function layoutFromSpec(spec: RobotSpec): DatasetLayout {
  return {
    robot: spec.name,
    obsNames: spec.observation.map((o) => o.name),
    actNames: spec.actuators.map((a) => a.name),
    actionRanges: spec.actuators.map((a) => [a.range[0], a.range[1]] as [number, number]),
    referenceReturns: spec.reference_returns,
  };
}

interface ChunkState {
  index: number;
  file: string;
  fd: number;
  bytes: number;
  records: number;
  /** Episodes that end in this chunk (an episode in fragments may start in an earlier one). */
  episodes: number;
  transitions: number;
}

/** Pending records beyond this are written without waiting for the timer (bounded memory). */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

export class DatasetWriter {
  readonly obsDim: number;
  readonly actDim: number;
  private readonly ranges: [number, number][];
  private readonly stats: StatsAccumulator;
  private readonly hash: Hash = createHash("sha256");
  private readonly chunks: ChunkState[] = [];
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private pendingEpisodes = 0;
  private durable = 0;
  private durableOpen = 0;
  private episodeCount = 0;
  private readonly behaviors: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly createdAt = new Date().toISOString();
  private readonly chunkBytes: number;
  private open: OpenEpisode | undefined;
  /** Index of the episode close() left unfinished (kept as truncated, as after a crash). */
  private truncated: number | undefined;

  private constructor(
    readonly dir: string,
    private readonly options: DatasetWriterOptions,
  ) {
    this.obsDim = options.obsNames.length;
    this.actDim = options.actNames.length;
    this.ranges = options.actionRanges ?? options.actNames.map(() => [-1, 1] as [number, number]);
    if (this.ranges.length !== this.actDim)
      throw new ShapeMismatchError("actionRanges", this.actDim, this.ranges.length);
    this.stats = new StatsAccumulator(this.obsDim, this.actDim);
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  }

  /** Creates the dataset folder (it must be new or empty: datasets are never overwritten). */
  static async create(dir: string, options: DatasetWriterOptions): Promise<DatasetWriter> {
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      throw new TetherError(
        "DATASET_EXISTS",
        `${dir}: dataset folder is not empty`,
        { dir },
        { hint: "choose a new --out folder; datasets are append-only and never overwritten" },
      );
    }
    mkdirSync(dir, { recursive: true });
    const w = new DatasetWriter(dir, options);
    writeManifest(dir, w.manifest("open"));
    w.openChunk();
    const interval = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    if (interval > 0) {
      w.timer = setInterval(() => w.flush(), interval);
      w.timer.unref();
    }
    return w;
  }

  get episodes(): number {
    return this.episodeCount;
  }

  get transitions(): number {
    return this.stats.transitions;
  }

  /** Episodes written and fsync'ed: these survive a kill -9. */
  get durableEpisodes(): number {
    return this.durable;
  }

  /**
   * Transitions of the episode in progress that are written and fsync'ed: after a kill -9 the reader
   * returns them as a truncated episode. The last appended step never counts: its next observation is
   * not known until the next step (or endEpisode) arrives.
   */
  get durableSteps(): number {
    return this.durableOpen;
  }

  appendEpisode(input: EpisodeInput): void {
    this.assertOpen();
    if (this.open) {
      throw new TetherError(
        "EPISODE_IN_PROGRESS",
        `${this.dir}: episode ${this.open.index} is in progress (${this.open.steps} steps from appendStep): call endEpisode() before appendEpisode()`,
        { dir: this.dir },
      );
    }
    const { obsDim, actDim } = this;
    const T = input.rewards.length;
    if (input.observations.length !== (T + 1) * obsDim) {
      throw new ShapeMismatchError(
        `episode ${this.episodeCount} observations ((steps + 1) x obsDim, steps=${T})`,
        (T + 1) * obsDim,
        input.observations.length,
      );
    }
    if (input.actions.length !== T * actDim)
      throw new ShapeMismatchError(
        `episode ${this.episodeCount} actions (steps x actDim)`,
        T * actDim,
        input.actions.length,
      );
    const actions = Float32Array.from(input.actions);
    let normalized: Float32Array;
    if (input.actionsNormalized) {
      if (input.actionsNormalized.length !== T * actDim)
        throw new ShapeMismatchError(
          `episode ${this.episodeCount} actionsNormalized`,
          T * actDim,
          input.actionsNormalized.length,
        );
      normalized = Float32Array.from(input.actionsNormalized);
    } else {
      normalized = this.normalize(actions);
    }
    const observations = Float32Array.from(input.observations);
    const rewards = Float32Array.from(input.rewards);
    assertFinite(`episode ${this.episodeCount} observations`, observations);
    assertFinite(`episode ${this.episodeCount} actions`, actions);
    assertFinite(`episode ${this.episodeCount} rewards`, rewards);
    const flags = (x: ArrayLike<number> | undefined, what: string): Uint8Array => {
      if (!x) return new Uint8Array(T);
      if (x.length !== T) throw new ShapeMismatchError(`episode ${this.episodeCount} ${what}`, T, x.length);
      return Uint8Array.from(x, (v) => (v ? 1 : 0));
    };
    const timestamps = input.timestamps ? Float64Array.from(input.timestamps) : new Float64Array(0);
    if (timestamps.length !== 0 && timestamps.length !== T + 1)
      throw new ShapeMismatchError(
        `episode ${this.episodeCount} timestamps (steps + 1)`,
        T + 1,
        timestamps.length,
      );
    const ep: EpisodeRecord = {
      index: this.episodeCount,
      steps: T,
      observations,
      actions,
      actionsNormalized: normalized,
      rewards,
      terminals: flags(input.terminals, "terminals"),
      timeouts: flags(input.timeouts, "timeouts"),
      timestamps,
      behavior: input.behavior && input.behavior !== this.options.behavior ? input.behavior : "",
      termination: input.termination ?? "",
      quality: input.quality ?? 0,
      seed: input.seed ?? 0,
      firstStep: 0,
      continues: false,
    };
    this.push(ep);
  }

  /**
   * Step-level recording: steps are written as episode fragments at every flush, and endEpisode() writes
   * the rest. appendEpisode() is refused while an episode is in progress (fragments of an episode are
   * consecutive records). A step that fails validation changes nothing.
   */
  appendStep(step: StepInput): void {
    this.assertOpen();
    // Per-step hot path: the message names the step only when something is wrong.
    const what = (field: string): string =>
      `episode ${this.open?.index ?? this.episodeCount} step ${this.open?.steps ?? 0} ${field}`;
    if (step.observation.length !== this.obsDim)
      throw new ShapeMismatchError(what("observation"), this.obsDim, step.observation.length);
    if (step.action.length !== this.actDim)
      throw new ShapeMismatchError(what("action"), this.actDim, step.action.length);
    if (step.actionNormalized && step.actionNormalized.length !== this.actDim)
      throw new ShapeMismatchError(what("actionNormalized"), this.actDim, step.actionNormalized.length);
    assertFloat32(what, "observation", step.observation);
    assertFloat32(what, "action", step.action);
    if (step.actionNormalized) assertFloat32(what, "actionNormalized", step.actionNormalized);
    if (!Number.isFinite(Math.fround(step.reward))) throw new NonFiniteError(what("reward"), 0, step.reward);
    this.open ??= new OpenEpisode(this.episodeCount, this.obsDim, this.actDim, (a, out) =>
      this.normalizeInto(a, out),
    );
    this.open.push(step);
    if (this.open.bufferedBytes > MAX_PENDING_BYTES) this.cutFragment();
  }

  /** Steps appended to the episode in progress (0 when none is open). */
  get openSteps(): number {
    return this.open?.steps ?? 0;
  }

  endEpisode(end: EpisodeEnd): void {
    this.assertOpen();
    const open = this.open;
    if (!open) return;
    if (end.finalObservation.length !== this.obsDim)
      throw new ShapeMismatchError(
        `episode ${open.index} final observation`,
        this.obsDim,
        end.finalObservation.length,
      );
    assertFloat32(() => `episode ${open.index} final observation`, "", end.finalObservation);
    this.open = undefined;
    open.close(
      {
        finalObservation: end.finalObservation,
        finalTimestamp: end.finalTimestamp,
        terminal: end.terminal,
        timeout: end.timeout,
        behavior: end.behavior && end.behavior !== this.options.behavior ? end.behavior : "",
        termination: end.termination ?? "",
        quality: end.quality ?? 0,
        seed: end.seed ?? 0,
      },
      (last) => this.push(last),
    );
  }

  /**
   * Writes and fsyncs everything buffered, the complete transitions of an episode in progress included.
   * Called by the interval timer and by close().
   */
  flush(): void {
    if (this.closed) return;
    this.cutFragment();
    this.writePending();
  }

  /**
   * Flushes, closes the last chunk and writes the final manifest. An unfinished episode is kept truncated,
   * exactly as the reader recovers it after a crash (its last step, which has no next observation, is lost).
   */
  async close(): Promise<Manifest> {
    if (this.closed)
      throw new TetherError("DATASET_CLOSED", `${this.dir}: writer already closed`, { dir: this.dir });
    if (this.timer) clearInterval(this.timer);
    this.flush();
    const open = this.open;
    this.open = undefined;
    if (open && open.writtenSteps > 0) {
      this.truncated = open.index;
      this.endEpisodeStats(open.writtenSteps, "");
    }
    this.closed = true;
    closeSync(this.chunks[this.chunks.length - 1].fd);
    const manifest = this.manifest("complete");
    writeManifest(this.dir, manifest);
    return manifest;
  }

  /** Queues the complete transitions of the episode in progress as a fragment record. */
  private cutFragment(): void {
    this.open?.cut((fragment) => this.push(fragment));
  }

  /** Writes and fsyncs the queued records (no new fragment: chunk rotation calls this mid-push). */
  private writePending(): void {
    const chunk = this.chunks[this.chunks.length - 1];
    if (this.pending.length > 0) {
      const buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
      writeAll(chunk.fd, buf);
      this.pending = [];
      this.pendingBytes = 0;
    }
    fsyncSync(chunk.fd);
    const durableOpen = this.open?.writtenSteps ?? 0;
    if (this.pendingEpisodes > 0 || durableOpen !== this.durableOpen) {
      this.durable += this.pendingEpisodes;
      this.pendingEpisodes = 0;
      this.durableOpen = durableOpen;
      this.options.onFlush?.(this.durable, this.durableOpen);
    }
  }

  /** Queues one episode or fragment record and accounts for it. */
  private push(ep: EpisodeRecord): void {
    const framed = frameRecord(encodeEpisode(ep));
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk.records > 0 && chunk.bytes + framed.length > this.chunkBytes) {
      this.writePending();
      closeSync(chunk.fd);
      this.openChunk();
      chunk = this.chunks[this.chunks.length - 1];
    }
    this.pending.push(framed);
    this.pendingBytes += framed.length;
    this.hash.update(framed);
    chunk.bytes += framed.length;
    chunk.records++;
    this.stats.addSteps(ep);
    if (!ep.continues) {
      this.pendingEpisodes++;
      this.endEpisodeStats(ep.firstStep + ep.steps, ep.behavior);
    }
    // Keep memory bounded between timer flushes when episodes arrive fast.
    if (this.pendingBytes > MAX_PENDING_BYTES) this.writePending();
  }

  /** Counts an episode whose steps are all in the statistics, in the chunk it ends in. */
  private endEpisodeStats(steps: number, behavior: string): void {
    const chunk = this.chunks[this.chunks.length - 1];
    chunk.episodes++;
    chunk.transitions += steps;
    this.episodeCount++;
    this.behaviors.push(behavior || this.options.behavior);
    this.stats.endEpisode();
  }

  private openChunk(): void {
    const index = this.chunks.length;
    const file = chunkFileName(index);
    const fd = openSync(join(this.dir, file), "wx");
    const header: ChunkHeaderRecord = {
      schemaVersion: SCHEMA_VERSION,
      chunkIndex: index,
      obsDim: this.obsDim,
      actDim: this.actDim,
      obsNames: this.options.obsNames,
      actNames: this.options.actNames,
      actionRanges: this.ranges.flat(),
      provenance: {
        robot: this.options.robot,
        source: this.options.source,
        recorderVersion: RECORDER_VERSION,
        behavior: this.options.behavior,
        createdAt: this.createdAt,
        host: hostname(),
      },
    };
    const framed = frameRecord(encodeHeader(header));
    const head = Buffer.concat([CHUNK_MAGIC, framed]);
    writeAll(fd, head);
    fsyncSync(fd);
    syncDir(this.dir);
    this.hash.update(head);
    this.chunks.push({ index, file, fd, bytes: head.length, records: 0, episodes: 0, transitions: 0 });
  }

  private normalize(actions: Float32Array): Float32Array {
    return this.normalizeInto(actions, new Float32Array(actions.length));
  }

  private normalizeInto(actions: Float32Array, out: Float32Array): Float32Array {
    const { actDim, ranges } = this;
    for (let i = 0; i < actions.length; i++) {
      const [lo, hi] = ranges[i % actDim];
      const x = hi === lo ? 0 : (2 * (actions[i] - lo)) / (hi - lo) - 1;
      out[i] = x < -1 ? -1 : x > 1 ? 1 : x;
    }
    return out;
  }

  private assertOpen(): void {
    if (this.closed)
      throw new TetherError("DATASET_CLOSED", `${this.dir}: writer is closed`, { dir: this.dir });
  }

  private manifest(status: "open" | "complete"): Manifest {
    const o = this.options;
    const counts = {
      episodes: this.episodeCount,
      transitions: this.stats.transitions,
      bytes: this.chunks.reduce((a, c) => a + c.bytes, 0),
    };
    const behaviors: Record<string, number> = {};
    for (const b of this.behaviors) behaviors[b] = (behaviors[b] ?? 0) + 1;
    return {
      format: "tether-dataset",
      formatVersion: SCHEMA_VERSION,
      status,
      robot: o.robot,
      source: o.source,
      behavior: o.behavior,
      recorderVersion: RECORDER_VERSION,
      createdAt: this.createdAt,
      finalizedAt: status === "complete" ? new Date().toISOString() : undefined,
      obsDim: this.obsDim,
      actDim: this.actDim,
      obsNames: o.obsNames,
      actNames: o.actNames,
      actionRanges: this.ranges,
      counts,
      chunks: this.chunks.map((c) => ({
        file: c.file,
        bytes: c.bytes,
        episodes: c.episodes,
        transitions: c.transitions,
      })),
      contentHash: status === "complete" ? `sha256:${this.hash.copy().digest("hex")}` : "",
      episodes: {
        returns: this.stats.returns,
        lengths: this.stats.lengths,
        behaviors: this.behaviors,
        ...(this.truncated === undefined ? {} : { truncated: [this.truncated] }),
      },
      behaviors,
      statistics: status === "complete" ? this.stats.result() : undefined,
      referenceReturns: o.referenceReturns,
    };
  }
}

/** Values must stay finite once stored as float32 (1e39 would become Infinity on disk). */
function assertFloat32(what: (field: string) => string, field: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(Math.fround(values[i]))) throw new NonFiniteError(what(field), i, values[i]);
  }
}

function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}
