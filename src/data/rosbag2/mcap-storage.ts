/**
 * rosbag2 MCAP storage: indexed reading when the summary section indexes every message, otherwise a streaming
 * scan (no summary, or a summary the spec allows to be partial: no channel or schema records, chunk indexes
 * without message indexes, unchunked messages). A file that ends inside a record (a recorder killed
 * mid-write, a partial copy) is rejected with the byte offset where the last complete record ended.
 */
import { open } from "node:fs/promises";
import { McapIndexedReader, McapStreamReader, type McapTypes } from "@mcap/core";
import { DatasetFormatError } from "../../core/errors.js";
import { DECOMPRESS_HANDLERS } from "./decompress.js";
import type { RawMessage, StorageFile, StorageTopic } from "./storage.js";

const SCAN_PIECE_BYTES = 1 << 20;
const textDecoder = new TextDecoder();

/** The bytes of one MCAP file: on disk, or in memory (a file-compressed bag, decompressed). */
interface ByteSource {
  size: number;
  /** Reads up to buf.length bytes at position; returns how many were read. */
  read(buf: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

async function fileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, "r");
  const size = (await handle.stat()).size;
  return {
    size,
    read: async (buf, position) => (await handle.read(buf, 0, buf.length, position)).bytesRead,
    close: () => handle.close(),
  };
}

function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (buf, position) => {
      const part = bytes.subarray(position, position + buf.length);
      buf.set(part);
      return part.length;
    },
    close: async () => undefined,
  };
}

/**
 * Whether the summary indexes every message: the statistics exist, every channel and schema they count has
 * its record, every chunk has message indexes, and messages outside chunks are not left unindexed.
 */
function summaryIsComplete(reader: McapIndexedReader): boolean {
  const stats = reader.statistics;
  if (!stats) return false;
  if (reader.channelsById.size < stats.channelCount || reader.schemasById.size < stats.schemaCount)
    return false;
  for (const id of stats.channelMessageCounts.keys()) if (!reader.channelsById.has(id)) return false;
  if (stats.messageCount > 0n && reader.chunkIndexes.length === 0) return false;
  return reader.chunkIndexes.every((c) => c.messageIndexOffsets.size > 0);
}

/**
 * `allowTruncated`: a file cut short (no summary, a partial last record) yields its complete records.
 * `bytes`: the file's content when it is already in memory (decompressed from `path`).
 */
export async function openMcapStorage(
  path: string,
  options: { allowTruncated?: boolean } = {},
  bytes?: Uint8Array,
): Promise<StorageFile> {
  const source = bytes ? memorySource(bytes) : await fileSource(path);
  try {
    const size = source.size;
    const readable: McapTypes.IReadable = {
      size: async () => BigInt(size),
      read: async (offset, length) => {
        const buf = new Uint8Array(Number(length));
        const bytesRead = await source.read(buf, Number(offset));
        if (bytesRead !== buf.length)
          throw new DatasetFormatError(path, Number(offset) + bytesRead, "unexpected end of file");
        return buf;
      },
    };
    let indexed: McapIndexedReader | undefined;
    try {
      indexed = await McapIndexedReader.Initialize({ readable, decompressHandlers: DECOMPRESS_HANDLERS });
    } catch {
      indexed = undefined; // no summary (unindexed or truncated): fall back to a full streaming scan
    }
    if (indexed && summaryIsComplete(indexed)) return fromIndexed(path, source, indexed);
    return await fromStream(path, source, options.allowTruncated === true);
  } catch (err) {
    await source.close();
    throw err;
  }
}

function topicFrom(
  channel: McapTypes.Channel,
  schema: McapTypes.Schema | undefined,
  count: number,
): StorageTopic {
  return {
    name: channel.topic,
    type: schema?.name ?? "",
    serializationFormat: channel.messageEncoding,
    offeredQosProfiles: channel.metadata.get("offered_qos_profiles"),
    messageCount: count,
    definition:
      schema && schema.data.length > 0
        ? { encoding: schema.encoding, text: textDecoder.decode(schema.data) }
        : undefined,
  };
}

function fromIndexed(path: string, source: ByteSource, reader: McapIndexedReader): StorageFile {
  const stats = reader.statistics!;
  const topics = [...reader.channelsById.values()].map((ch) =>
    topicFrom(ch, reader.schemasById.get(ch.schemaId), Number(stats.channelMessageCounts.get(ch.id) ?? 0n)),
  );
  const count = Number(stats.messageCount);
  return {
    path,
    storage: "mcap",
    topics,
    messageCount: count,
    startNs: count > 0 ? stats.messageStartTime : 0n,
    endNs: count > 0 ? stats.messageEndTime : 0n,
    async *messages(only) {
      const names = only ? [...only] : undefined;
      try {
        for await (const m of reader.readMessages({ topics: names, validateCrcs: true })) {
          const ch = reader.channelsById.get(m.channelId);
          if (!ch)
            throw new DatasetFormatError(path, undefined, `message on unknown channel id ${m.channelId}`);
          yield {
            topic: ch.topic,
            logTimeNs: m.logTime,
            publishTimeNs: m.publishTime,
            data: m.data,
          } satisfies RawMessage;
        }
      } catch (err) {
        if (err instanceof DatasetFormatError) throw err;
        throw new DatasetFormatError(path, undefined, `corrupt MCAP data: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
    close: () => source.close(),
  };
}

interface ScanResult {
  channels: Map<number, McapTypes.Channel>;
  schemas: Map<number, McapTypes.Schema>;
  counts: Map<number, number>;
  startNs: bigint;
  endNs: bigint;
  messageCount: number;
  /** Tolerant scans: where and why reading stopped early. */
  stoppedEarly?: string;
}

/** Streams every record of the file; calls onMessage for each message. Throws on truncation or corruption. */
async function scanStream(
  path: string,
  source: ByteSource,
  onMessage?: (m: McapTypes.Message, s: ScanResult) => void,
  tolerant = false,
): Promise<ScanResult> {
  const result: ScanResult = {
    channels: new Map(),
    schemas: new Map(),
    counts: new Map(),
    startNs: 0n,
    endNs: 0n,
    messageCount: 0,
  };
  const stream = new McapStreamReader({ decompressHandlers: DECOMPRESS_HANDLERS, validateCrcs: true });
  const size = source.size;
  const piece = new Uint8Array(SCAN_PIECE_BYTES);
  let appended = 0;
  let lastRecordEnd = 0;
  while (appended < size) {
    const bytesRead = await source.read(piece.subarray(0, Math.min(piece.length, size - appended)), appended);
    if (bytesRead === 0) break;
    stream.append(piece.slice(0, bytesRead));
    appended += bytesRead;
    try {
      for (let rec; (rec = stream.nextRecord());) {
        lastRecordEnd = appended - stream.bytesRemaining();
        if (rec.type === "Schema") result.schemas.set(rec.id, rec);
        else if (rec.type === "Channel") result.channels.set(rec.id, rec);
        else if (rec.type === "Message") {
          if (result.messageCount === 0 || rec.logTime < result.startNs) result.startNs = rec.logTime;
          if (result.messageCount === 0 || rec.logTime > result.endNs) result.endNs = rec.logTime;
          result.messageCount++;
          result.counts.set(rec.channelId, (result.counts.get(rec.channelId) ?? 0) + 1);
          onMessage?.(rec, result);
        }
      }
    } catch (err) {
      if (err instanceof DatasetFormatError) throw err;
      const detail = `corrupt MCAP record after offset ${lastRecordEnd}: ${(err as Error).message}`;
      if (tolerant) {
        result.stoppedEarly = `${path} @${lastRecordEnd}: ${detail}; read the ${result.messageCount} messages before it`;
        return result;
      }
      throw new DatasetFormatError(path, lastRecordEnd, detail, { cause: err });
    }
  }
  if (!stream.done() && tolerant) {
    result.stoppedEarly = `${path} @${lastRecordEnd}: truncated MCAP file (ends at byte ${size} inside a record); read the ${result.messageCount} messages of its complete records`;
    return result;
  }
  if (!stream.done()) {
    throw new DatasetFormatError(
      path,
      lastRecordEnd,
      `truncated MCAP file: it ends at byte ${size} inside a record; the last complete record ends at offset ${lastRecordEnd} (${result.messageCount} messages before it)`,
      {
        hint: "the recorder was probably killed mid-write; pass --allow-truncated to read its complete records (or run `mcap recover`)",
      },
    );
  }
  return result;
}

async function fromStream(path: string, source: ByteSource, tolerant: boolean): Promise<StorageFile> {
  const scan = await scanStream(path, source, undefined, tolerant);
  const topics = [...scan.channels.values()].map((ch) =>
    topicFrom(ch, scan.schemas.get(ch.schemaId), scan.counts.get(ch.id) ?? 0),
  );
  return {
    path,
    storage: "mcap",
    topics,
    messageCount: scan.messageCount,
    warnings: scan.stoppedEarly ? [scan.stoppedEarly] : [],
    startNs: scan.startNs,
    endNs: scan.endNs,
    async *messages(only) {
      // Unindexed files are read in file order, then sorted by log time (rosbag2 writes them in order anyway).
      const out: RawMessage[] = [];
      await scanStream(
        path,
        source,
        (m, s) => {
          const ch = s.channels.get(m.channelId);
          if (!ch)
            throw new DatasetFormatError(path, undefined, `message on unknown channel id ${m.channelId}`);
          if (!only || only.has(ch.topic))
            out.push({ topic: ch.topic, logTimeNs: m.logTime, publishTimeNs: m.publishTime, data: m.data });
        },
        tolerant,
      );
      out.sort((a, b) => (a.logTimeNs < b.logTimeNs ? -1 : a.logTimeNs > b.logTimeNs ? 1 : 0));
      yield* out;
    },
    close: () => source.close(),
  };
}
