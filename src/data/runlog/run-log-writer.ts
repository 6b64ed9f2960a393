/**
 * Tether's run logs: MCAP files with ROS 2 CDR messages (`ros2msg` schemas, `cdr` message encoding, the
 * `ros2` profile), the layout rosbag2's MCAP plugin writes, so Foxglove opens them and Tether's own bag
 * reader imports them. Typical topics: /joint_states, the controller command topic, /diagnostics, /clock.
 *
 *   const log = await RunLogWriter.create("logs/run-1/sim.mcap");
 *   log.jointState(tNs, names, position, velocity, effort);
 *   log.command("/arm_controller/commands", tNs, [0.1, -0.2]);
 *   await log.close();
 *
 * Calls may come from synchronous callbacks: writes are queued in order; the first failure is re-thrown by
 * the next call and by close().
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { McapWriter } from "@mcap/core";
import { compress as lz4Compress } from "lz4js";
import { TetherError } from "../../core/errors.js";
import { messageDefinitionText, normalizeTypeName, serializeMessage } from "../../msgs/registry.js";
import { timeFromNanos } from "../../msgs/time.js";
import type { DiagnosticStatus } from "../../msgs/types.js";
import { FileWritable } from "./file-writable.js";

export interface RunLogOptions {
  /** Chunk compression: "lz4" (default, Foxglove reads it) or "none". */
  compression?: "lz4" | "none";
  /** Uncompressed chunk size in bytes. */
  chunkSize?: number;
  /** Key/value pairs stored as an MCAP metadata record named "tether". */
  metadata?: Record<string, string>;
  /**
   * Topics whose publishers latch (transient local, keep last 1): their channels say so in rosbag2's
   * `offered_qos_profiles`, so `ros2 bag play` republishes them latched and late subscribers that ask for
   * transient local (Tether's recorder on task topics) match. Other channels leave it empty (play's default).
   */
  latchedTopics?: readonly string[];
}

/** rosbag2's YAML for one offered profile: keep last 1, reliable, transient local, no deadlines. */
const LATCHED_QOS_PROFILE = `- history: keep_last
  depth: 1
  reliability: reliable
  durability: transient_local
  deadline:
    sec: 9223372036
    nsec: 854775807
  lifespan:
    sec: 9223372036
    nsec: 854775807
  liveliness: automatic
  liveliness_lease_duration:
    sec: 9223372036
    nsec: 854775807
  avoid_ros_namespace_conventions: false
`;

export interface RunLogSummary {
  file: string;
  messages: number;
  topics: Record<string, number>;
}

const DEFAULT_CHUNK_SIZE = 1 << 20;

export class RunLogWriter {
  readonly #writer: McapWriter;
  readonly #out: FileWritable;
  readonly #schemas = new Map<string, Promise<number>>();
  readonly #channels = new Map<string, { type: string; id: Promise<number>; resolved?: number }>();
  readonly #counts = new Map<string, number>();
  #tasks: (() => Promise<void>)[] = [];
  #drain: Promise<void> | undefined;
  #failure: unknown = undefined;
  #closed = false;
  readonly #latched: ReadonlySet<string>;

  private constructor(
    readonly file: string,
    out: FileWritable,
    writer: McapWriter,
    latched: readonly string[],
  ) {
    this.#out = out;
    this.#writer = writer;
    this.#latched = new Set(latched);
  }

  static async create(file: string, options: RunLogOptions = {}): Promise<RunLogWriter> {
    mkdirSync(dirname(file), { recursive: true });
    const out = new FileWritable(file);
    const compression = options.compression ?? "lz4";
    const writer = new McapWriter({
      writable: out,
      chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
      compressChunk:
        compression === "lz4"
          ? (data) => ({ compression: "lz4", compressedData: lz4Compress(data) })
          : undefined,
    });
    await writer.start({ profile: "ros2", library: "tether run-log" });
    const log = new RunLogWriter(file, out, writer, options.latchedTopics ?? []);
    if (options.metadata)
      await writer.addMetadata({ name: "tether", metadata: new Map(Object.entries(options.metadata)) });
    return log;
  }

  /** Queues one message; `message` is a plain object shaped like rclnodejs's for `typeName`. */
  write(
    topic: string,
    typeName: string,
    logTimeNs: bigint,
    message: unknown,
    publishTimeNs: bigint = logTimeNs,
  ): void {
    this.#check();
    const type = normalizeTypeName(typeName);
    const channel = this.#channel(topic, type);
    const data = serializeMessage(type, message); // serialization errors surface here, at the caller
    const sequence = this.#counts.get(topic) ?? 0;
    this.#counts.set(topic, sequence + 1);
    this.#enqueue(async () => {
      const channelId = typeof channel === "number" ? channel : await channel;
      await this.#writer.addMessage({
        channelId,
        sequence,
        logTime: logTimeNs,
        publishTime: publishTimeNs,
        data,
      });
    });
  }

  jointState(
    tNs: bigint,
    names: string[],
    position: ArrayLike<number>,
    velocity: ArrayLike<number>,
    effort: ArrayLike<number>,
    topic = "/joint_states",
  ): void {
    this.write(topic, "sensor_msgs/msg/JointState", tNs, {
      header: { stamp: timeFromNanos(tNs), frame_id: "" },
      name: names,
      position: Float64Array.from(position),
      velocity: Float64Array.from(velocity),
      effort: Float64Array.from(effort),
    });
  }

  /** A ros2_control forward command (std_msgs/msg/Float64MultiArray), in actuator units. */
  command(topic: string, tNs: bigint, data: ArrayLike<number>): void {
    this.write(topic, "std_msgs/msg/Float64MultiArray", tNs, {
      layout: { dim: [], data_offset: 0 },
      data: Float64Array.from(data),
    });
  }

  diagnostics(tNs: bigint, status: DiagnosticStatus[], topic = "/diagnostics"): void {
    this.write(topic, "diagnostic_msgs/msg/DiagnosticArray", tNs, {
      header: { stamp: timeFromNanos(tNs), frame_id: "" },
      status,
    });
  }

  clock(tNs: bigint): void {
    this.write("/clock", "rosgraph_msgs/msg/Clock", tNs, { clock: timeFromNanos(tNs) });
  }

  /** Waits for queued writes, writes the summary section and index, fsyncs and closes the file. */
  async close(): Promise<RunLogSummary> {
    this.#check();
    this.#closed = true;
    while (this.#drain) await this.#drain;
    if (this.#failure !== undefined) throw this.#wrap(this.#failure);
    await this.#writer.end();
    this.#out.close();
    return {
      file: this.file,
      messages: [...this.#counts.values()].reduce((a, b) => a + b, 0),
      topics: Object.fromEntries(this.#counts),
    };
  }

  #channel(topic: string, type: string): Promise<number> | number {
    const existing = this.#channels.get(topic);
    if (existing) {
      if (existing.type !== type) {
        throw new TetherError(
          "RUNLOG_TOPIC_TYPE",
          `${this.file}: topic ${topic} already carries ${existing.type}, cannot write ${type}`,
          { topic },
        );
      }
      return existing.resolved ?? existing.id;
    }
    let schema = this.#schemas.get(type);
    if (!schema) {
      const text = messageDefinitionText(type);
      const p = this.#enqueueValue(() =>
        this.#writer.registerSchema({
          name: type,
          encoding: "ros2msg",
          data: new TextEncoder().encode(text),
        }),
      );
      this.#schemas.set(type, p);
      schema = p;
    }
    const schemaPromise = schema;
    const id = this.#enqueueValue(async () =>
      this.#writer.registerChannel({
        topic,
        schemaId: await schemaPromise,
        messageEncoding: "cdr",
        metadata: new Map([["offered_qos_profiles", this.#latched.has(topic) ? LATCHED_QOS_PROFILE : ""]]),
      }),
    );
    const record: { type: string; id: Promise<number>; resolved?: number } = { type, id };
    id.then((n) => (record.resolved = n)).catch(() => undefined);
    this.#channels.set(topic, record);
    return id;
  }

  /** Tasks run in order by one drain loop (cheaper than a promise chain per message). */
  #enqueue(task: () => Promise<void>): void {
    this.#tasks.push(task);
    this.#drain ??= this.#runTasks();
  }

  async #runTasks(): Promise<void> {
    while (this.#tasks.length > 0) {
      const batch = this.#tasks;
      this.#tasks = [];
      for (const task of batch) {
        if (this.#failure !== undefined) break;
        try {
          await task();
        } catch (err) {
          this.#failure ??= err;
        }
      }
    }
    this.#drain = undefined;
  }

  #enqueueValue<T>(task: () => Promise<T>): Promise<T> {
    const result = new Promise<T>((resolve, reject) =>
      this.#enqueue(async () => {
        try {
          resolve(await task());
        } catch (err) {
          reject(err);
          throw err;
        }
      }),
    );
    result.catch(() => undefined); // failures are reported through #failure
    return result;
  }

  #check(): void {
    if (this.#closed)
      throw new TetherError("RUNLOG_CLOSED", `${this.file}: run log is closed`, { file: this.file });
    if (this.#failure !== undefined) throw this.#wrap(this.#failure);
  }

  #wrap(err: unknown): TetherError {
    if (err instanceof TetherError) return err;
    return new TetherError(
      "RUNLOG_WRITE",
      `${this.file}: writing the run log failed: ${(err as Error).message}`,
      { file: this.file },
      { cause: err },
    );
  }
}
