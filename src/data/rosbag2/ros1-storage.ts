/**
 * ROS 1 bags (`.bag`, format v2.0) read with @foxglove/rosbag: connections become topics (ROS 1 type names
 * such as "sensor_msgs/JointState", serialization "ros1", the connection's message definition), messages come
 * out in time order across chunks. Chunks compressed with bz2 (seek-bzip) and lz4 (lz4js) are read; version
 * 1.2 bags and unindexed bags (a recorder killed before writing the index) are refused with what to do.
 */
import { open } from "node:fs/promises";
import { Bag as RosBag } from "@foxglove/rosbag";
import { decompress as lz4Decompress } from "lz4js";
import Bunzip from "seek-bzip";
import { DatasetFormatError } from "../../core/errors.js";
import type { RawMessage, StorageFile, StorageTopic } from "./storage.js";

const MAGIC = "#ROSBAG V";

/** Chunk codecs; a failure names the codec (the library reports only the decoder's message). */
function codec(name: string, fn: (buffer: Uint8Array, size: number) => Uint8Array) {
  return (buffer: Uint8Array, size: number): Uint8Array => {
    try {
      return fn(buffer, size);
    } catch (err) {
      throw new Error(`cannot decompress a ${name} chunk: ${(err as Error).message}`, { cause: err });
    }
  };
}

const DECOMPRESS = {
  bz2: codec("bz2", (buffer, size) => new Uint8Array(Bunzip.decode(Buffer.from(buffer), Buffer.alloc(size)))),
  lz4: codec("lz4", (buffer, size) => lz4Decompress(buffer, size)),
};

const toNs = (t: { sec: number; nsec: number }) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);

export async function openRos1Storage(path: string): Promise<StorageFile> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    const head = new Uint8Array(13);
    await handle.read(head, 0, head.length, 0);
    const magic = new TextDecoder().decode(head);
    if (!magic.startsWith(MAGIC))
      throw new DatasetFormatError(path, 0, 'not a ROS 1 bag: no "#ROSBAG V" header');
    const version = magic.slice(MAGIC.length).trim();
    if (version !== "2.0")
      throw new DatasetFormatError(
        path,
        0,
        `ROS 1 bag format version ${version} is not supported (only 2.0)`,
        {
          hint: "migrate it with ROS 1's `rosbag fix` (bags written by ROS Groovy or newer are 2.0)",
        },
      );
    const bag = new RosBag(
      {
        size: () => size,
        read: async (offset, length) => {
          const buf = new Uint8Array(length);
          const { bytesRead } = await handle.read(buf, 0, length, offset);
          if (bytesRead < length)
            throw new DatasetFormatError(path, offset + bytesRead, "unexpected end of file");
          return buf;
        },
      },
      { decompress: DECOMPRESS, parse: false },
    );
    try {
      // The header first: a recorder killed mid-write leaves index_pos 0, a partial copy ends before it.
      const header = await bag.reader.readHeader();
      if (header.indexPosition === 0)
        throw new DatasetFormatError(path, undefined, "the ROS 1 bag is not indexed (index_pos is 0)", {
          hint: "the recorder stopped before writing the index: run ROS 1's `rosbag reindex` on it",
        });
      if (header.indexPosition >= size)
        throw new DatasetFormatError(
          path,
          size,
          `truncated ROS 1 bag: its index starts at byte ${header.indexPosition} but the file ends at byte ${size}`,
          { hint: "copy the whole file again, or run ROS 1's `rosbag reindex` on what is left" },
        );
      await bag.open();
    } catch (err) {
      if (err instanceof DatasetFormatError) throw err;
      throw new DatasetFormatError(
        path,
        undefined,
        `cannot read the ROS 1 bag index: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const counts = new Map<number, number>();
    for (const info of bag.chunkInfos)
      for (const c of info.connections) counts.set(c.conn, (counts.get(c.conn) ?? 0) + c.count);
    const byTopic = new Map<string, StorageTopic>();
    for (const c of bag.connections.values()) {
      const prev = byTopic.get(c.topic);
      const n = counts.get(c.conn) ?? 0;
      if (prev) {
        if (prev.type !== c.type)
          throw new DatasetFormatError(
            path,
            undefined,
            `topic ${c.topic} has connections of types ${prev.type} and ${c.type}`,
          );
        prev.messageCount += n;
        continue;
      }
      byTopic.set(c.topic, {
        name: c.topic,
        type: c.type ?? "",
        serializationFormat: "ros1",
        messageCount: n,
        definition: { encoding: "ros1msg", text: c.messageDefinition },
        // ROS 1 topics are reliable (TCPROS); a latched one keeps its last message for late subscribers.
        offeredQosProfiles: `- reliability: reliable\n  durability: ${c.latching ? "transient_local" : "volatile"}`,
      });
    }
    const messageCount = [...counts.values()].reduce((a, b) => a + b, 0);
    return {
      path,
      storage: "ros1",
      topics: [...byTopic.values()],
      messageCount,
      startNs: messageCount > 0 && bag.startTime ? toNs(bag.startTime) : 0n,
      endNs: messageCount > 0 && bag.endTime ? toNs(bag.endTime) : 0n,
      async *messages(only) {
        if (messageCount === 0) return;
        try {
          for await (const m of bag.messageIterator({ topics: only ? [...only] : undefined }))
            yield { topic: m.topic, logTimeNs: toNs(m.timestamp), data: m.data } satisfies RawMessage;
        } catch (err) {
          if (err instanceof DatasetFormatError) throw err;
          const codec = /^Unsupported compression type (\S+)/.exec((err as Error).message)?.[1];
          if (codec)
            throw new DatasetFormatError(
              path,
              undefined,
              `ROS 1 bag chunk compression "${codec}" is not supported (ROS 1 writes none, bz2 or lz4)`,
              { cause: err },
            );
          throw new DatasetFormatError(path, undefined, `corrupt ROS 1 bag data: ${(err as Error).message}`, {
            cause: err,
          });
        }
      },
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
