/**
 * A bag opened for reading: a rosbag2 folder with `metadata.yaml` (split bags of several files included),
 * a folder of storage files without metadata, a single `.mcap` / `.db3` file (or its `.zstd` file-compressed
 * form), or a ROS 1 `.bag`. Messages come out in log time order as
 * {topic, type, logTimeNs, publishTimeNs?, data, message}; `data` is the serialized message (decompressed when
 * the bag compresses each message) and `message` is decoded on first use.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { DatasetFormatError } from "../../core/errors.js";
import { DecoderCache, type DefinitionSource, type TopicDecoder } from "./definitions.js";
import { openMcapStorage } from "./mcap-storage.js";
import { readBagMetadata, type BagMetadata } from "./metadata.js";
import { openRos1Storage } from "./ros1-storage.js";
import { serviceEventDefinition, serviceOf } from "./service-events.js";
import { openSqliteStorage } from "./sqlite-storage.js";
import type { StorageFile, StorageId, StorageTopic } from "./storage.js";
import {
  checkNotLfsPointer,
  decompressMessage,
  isStorageFileName,
  isZstdFrame,
  readCompressedFile,
  storageKindOf,
} from "./storage-file.js";

export interface BagTopic {
  name: string;
  type: string;
  serializationFormat: string;
  messageCount: number;
  /** Where the decoder's definition comes from: the bag itself, Tether's builtin table, or nowhere. */
  definitionSource: DefinitionSource;
  offeredQosProfiles?: string;
  /** The definition stored in the bag, if any (for a service event topic: the event's, built from the .srv). */
  definition?: { encoding: string; text: string };
  /** Set for a service event topic (`<service>/_service_event`): the service's name and type. */
  service?: { name: string; type: string };
}

export interface BagMessage {
  topic: string;
  type: string;
  logTimeNs: bigint;
  publishTimeNs?: bigint;
  data: Uint8Array;
  /** Storage file the message came from (for error messages). */
  file: string;
  /** The decoded message, decoded on first access. */
  readonly message: unknown;
}

export interface Bag {
  path: string;
  storage: StorageId;
  files: string[];
  metadata?: BagMetadata;
  topics: BagTopic[];
  messageCount: number;
  /** ROS distro named by the bag (sqlite3 storage), which picks the builtin definitions. */
  rosDistro?: string;
  startNs: bigint;
  endNs: bigint;
  /** Decoder for a topic (throws DatasetFormatError for an unknown message type). */
  decoder(topic: string): ReturnType<DecoderCache["get"]>;
  /** Decodes one message of `topic` (see decodeChecked). */
  decode(topic: string, data: Uint8Array, file: string, logTimeNs: bigint): unknown;
  /** Problems found while decoding that did not stop it (e.g. a stub definition in the bag). */
  warnings: string[];
  messages(options?: { topics?: Iterable<string> }): AsyncGenerator<BagMessage>;
  close(): Promise<void>;
}

/** Lists the storage files of a bag path, in order. */
function resolveFiles(path: string): { files: string[]; metadata?: BagMetadata } {
  if (!existsSync(path)) throw new DatasetFormatError(path, undefined, "no such bag (file or folder)");
  if (!statSync(path).isDirectory()) return { files: [resolve(path)] };
  const metaFile = join(path, "metadata.yaml");
  if (existsSync(metaFile)) {
    checkNotLfsPointer(metaFile);
    const metadata = readBagMetadata(metaFile);
    const files = metadata.relativeFilePaths.map((rel) => {
      const f = resolve(path, rel);
      if (existsSync(f)) return f;
      const local = resolve(path, basename(rel)); // bags that were moved keep the old folder in relative paths
      if (existsSync(local)) return local;
      throw new DatasetFormatError(
        metaFile,
        undefined,
        `relative_file_paths names ${rel}, which does not exist in ${path}`,
      );
    });
    return { files, metadata };
  }
  const files = readdirSync(path)
    .filter(isStorageFileName)
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    .map((n) => resolve(path, n));
  if (files.length === 0)
    throw new DatasetFormatError(
      path,
      undefined,
      "not a bag: no metadata.yaml and no .mcap, .db3 or .bag files",
    );
  return { files };
}

export interface OpenBagOptions {
  /** Read the complete records of MCAP files cut short (recorder killed mid-write) instead of failing. */
  allowTruncated?: boolean;
}

export async function openBag(path: string, options: OpenBagOptions = {}): Promise<Bag> {
  const { files, metadata } = resolveFiles(path);
  const kinds = files.map(storageKindOf);
  const storages = new Set(kinds.map((k) => k.storage));
  if (storages.size > 1)
    throw new DatasetFormatError(path, undefined, `bag mixes storage formats: ${[...storages].join(", ")}`);
  const storage = [...storages][0];
  const opened: StorageFile[] = [];
  try {
    for (const [i, f] of files.entries()) {
      checkNotLfsPointer(f);
      const bytes = kinds[i].fileCompression ? await readCompressedFile(f) : undefined;
      if (storage === "mcap") opened.push(await openMcapStorage(f, options, bytes));
      else if (storage === "sqlite3") opened.push(await openSqliteStorage(f, bytes));
      else opened.push(await openRos1Storage(f));
    }
  } catch (err) {
    await Promise.all(opened.map((s) => s.close()));
    throw err;
  }

  // Merge topics across files: counts add up, the first embedded definition wins.
  const merged = new Map<string, StorageTopic & { file: string }>();
  for (const s of opened) {
    for (const t of s.topics) {
      const prev = merged.get(t.name);
      if (!prev) merged.set(t.name, { ...t, file: s.path });
      else {
        if (prev.type !== t.type)
          throw new DatasetFormatError(
            s.path,
            undefined,
            `topic ${t.name} has type ${t.type} here but ${prev.type} in ${prev.file}`,
          );
        prev.messageCount += t.messageCount;
        prev.definition ??= t.definition;
      }
    }
  }
  // Topics listed in metadata.yaml with no messages (and no channel in the file) still exist in the bag.
  for (const t of metadata?.topics ?? []) {
    if (!merged.has(t.name)) merged.set(t.name, { ...t, messageCount: 0, file: metadata!.file });
  }
  const warnings: string[] = opened.flatMap((s) => s.warnings ?? []);
  // Service event topics carry the .srv text: decode them with the event message built from it.
  for (const t of merged.values()) {
    if (!serviceOf(t.name, t.type) || !t.definition) continue;
    // Jazzy labels the .srv text "unknown"; a request/response separator tells it under any label.
    if (t.definition.encoding === "ros2msg" && !/^---[ \t]*$/m.test(t.definition.text)) continue;
    try {
      t.definition = serviceEventDefinition(t.file, t.name, t.type, t.definition.text);
    } catch (err) {
      warnings.push((err as Error).message);
      t.definition = undefined;
    }
  }
  const topics: BagTopic[] = [...merged.values()]
    .map((t) => ({
      name: t.name,
      type: t.type,
      serializationFormat: t.serializationFormat,
      messageCount: t.messageCount,
      definitionSource: DecoderCache.sourceFor(t.type, t.definition),
      offeredQosProfiles: t.offeredQosProfiles,
      definition: t.definition,
      service: serviceOf(t.name, t.type),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const nonEmpty = opened.filter((s) => s.messageCount > 0);
  const distro = opened.find((s) => s.rosDistro)?.rosDistro;
  const decoders = new DecoderCache(distro);
  const byTopic = new Map<string, TopicDecoder>();
  const decoder = (topic: string): TopicDecoder => {
    const cached = byTopic.get(topic);
    if (cached) return cached;
    const t = merged.get(topic);
    if (!t)
      throw new DatasetFormatError(
        path,
        undefined,
        `topic ${topic} is not in the bag (topics: ${[...merged.keys()].join(", ")})`,
      );
    if (t.serializationFormat !== (storage === "ros1" ? "ros1" : "cdr")) {
      throw new DatasetFormatError(
        t.file,
        undefined,
        `topic ${topic}: serialization format "${t.serializationFormat}" is not supported (only cdr, and ROS 1 bags)`,
      );
    }
    const d = decoders.get(t.file, topic, t.type, t.definition);
    byTopic.set(topic, d);
    if (d.note) {
      warnings.push(d.note);
      const bt = topics.find((x) => x.name === topic);
      if (bt) bt.definitionSource = d.source;
    }
    return d;
  };

  // A payload longer than its definition (beyond CDR's trailing alignment) means the bag's definition is a
  // stub or from another version: use the builtin definition when it decodes the payload exactly.
  const fallbacks = new Map<string, TopicDecoder | null>();
  const decode = (topic: string, data: Uint8Array, file: string, logTimeNs: bigint): unknown => {
    const fallback = fallbacks.get(topic);
    const active = fallback ?? decoder(topic);
    let value: unknown;
    try {
      value = active.reader.readMessage(data);
    } catch (err) {
      throw new DatasetFormatError(
        file,
        undefined,
        `topic ${topic} (${merged.get(topic)?.type}): cannot decode the CDR message logged at ${logTimeNs} ns: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const readBytes = active.reader.lastReadByteLength?.() ?? data.length;
    if (fallback !== undefined || data.length - readBytes <= 3) return value;
    const t = merged.get(topic)!;
    let builtin: TopicDecoder | null = null;
    if (active.source === "bag") {
      try {
        builtin = DecoderCache.build(file, topic, t.type, undefined, distro);
        const v = builtin.reader.readMessage(data);
        if (builtin.reader.lastReadByteLength?.() === data.length) value = v;
        else builtin = null;
      } catch {
        builtin = null;
      }
    }
    fallbacks.set(topic, builtin);
    warnings.push(
      `topic ${topic} (${t.type}): the ${active.source} definition reads ${readBytes} of ${data.length} bytes` +
        (builtin ? "; decoded with Tether's builtin definition instead" : "; trailing bytes ignored"),
    );
    if (builtin) {
      const bt = topics.find((x) => x.name === topic);
      if (bt) bt.definitionSource = "builtin";
    }
    return value;
  };

  return {
    path,
    storage,
    files,
    decode,
    warnings,
    metadata,
    topics,
    messageCount: opened.reduce((n, s) => n + s.messageCount, 0),
    rosDistro: distro,
    startNs: nonEmpty.length
      ? nonEmpty.reduce((m, s) => (s.startNs < m ? s.startNs : m), nonEmpty[0].startNs)
      : 0n,
    endNs: nonEmpty.length ? nonEmpty.reduce((m, s) => (s.endNs > m ? s.endNs : m), nonEmpty[0].endNs) : 0n,
    decoder,
    async *messages(options = {}) {
      const only = options.topics ? new Set(options.topics) : undefined;
      for (const name of only ?? []) decoder(name); // unknown topic or type fails before the first message
      // rosbag2 splits files in time order, so files are read one after the other.
      for (const s of opened) {
        for await (const raw of s.messages(only)) {
          const t = merged.get(raw.topic)!;
          // compression_mode: message zstd-compresses each payload; the frame magic tells, metadata or not.
          const data =
            storage !== "ros1" && isZstdFrame(raw.data)
              ? decompressMessage(raw.data, s.path, raw.topic, raw.logTimeNs)
              : raw.data;
          yield new LazyMessage(raw.topic, t.type, raw.logTimeNs, raw.publishTimeNs, data, s.path, decode);
        }
      }
    },
    close: async () => {
      await Promise.all(opened.map((s) => s.close()));
    },
  };
}

class LazyMessage implements BagMessage {
  #decoded: unknown = undefined;
  #done = false;
  constructor(
    readonly topic: string,
    readonly type: string,
    readonly logTimeNs: bigint,
    readonly publishTimeNs: bigint | undefined,
    readonly data: Uint8Array,
    readonly file: string,
    private readonly decodeWith: Bag["decode"],
  ) {}

  get message(): unknown {
    if (!this.#done) {
      this.#decoded = this.decodeWith(this.topic, this.data, this.file, this.logTimeNs);
      this.#done = true;
    }
    return this.#decoded;
  }
}
