/**
 * MCAP layouts the spec allows but rosbag2 does not write, made with @mcap/core's writer options from the
 * messages of a bag rosbag2 recorded: a summary without channel and schema records, chunk indexes without
 * message indexes, messages outside chunks with a summary. Each must read like the original, by a full scan.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { McapIndexedReader, McapWriter, TempBuffer, type McapWriterOptions } from "@mcap/core";
import { describe, expect, it } from "vitest";
import { openBag, type Bag } from "../../../src/data/rosbag2/bag.js";
import { fixtureBag, tempDir } from "./helpers.js";

interface Recorded {
  topics: { name: string; type: string; definition: string; messageCount: number }[];
  messages: { topic: string; logTimeNs: bigint; data: Uint8Array }[];
}

async function readAll(bag: Bag): Promise<Recorded["messages"]> {
  const out: Recorded["messages"] = [];
  for await (const m of bag.messages()) out.push({ topic: m.topic, logTimeNs: m.logTimeNs, data: m.data });
  return out;
}

/** The services bag (two topics, two schemas) as rosbag2 recorded it. */
async function recorded(): Promise<Recorded> {
  const bag = await openBag(fixtureBag("services_mcap"));
  try {
    const topics = bag.topics.map((t) => ({
      name: t.name,
      type: t.type,
      // The stored text: the .srv for the service event, as rosbag2 wrote it.
      definition: t.service
        ? "================================================================================\nSRV: example_interfaces/srv/AddTwoInts\nint64 a\nint64 b\n---\nint64 sum\n"
        : t.definition!.text,
      messageCount: t.messageCount,
    }));
    return { topics, messages: await readAll(bag) };
  } finally {
    await bag.close();
  }
}

async function writeMcap(file: string, rec: Recorded, options: Partial<McapWriterOptions>): Promise<void> {
  const buffer = new TempBuffer();
  const writer = new McapWriter({ writable: buffer, chunkSize: 1024, ...options });
  await writer.start({ profile: "ros2", library: "tether test" });
  const channels = new Map<string, number>();
  for (const t of rec.topics) {
    const schemaId = await writer.registerSchema({
      name: t.type,
      encoding: t.type.includes("/srv/") ? "unknown" : "ros2msg",
      data: new TextEncoder().encode(t.definition),
    });
    channels.set(
      t.name,
      await writer.registerChannel({ topic: t.name, messageEncoding: "cdr", schemaId, metadata: new Map() }),
    );
  }
  let sequence = 0;
  for (const m of rec.messages)
    await writer.addMessage({
      channelId: channels.get(m.topic)!,
      sequence: sequence++,
      logTime: m.logTimeNs,
      publishTime: m.logTimeNs,
      data: m.data,
    });
  await writer.end();
  writeFileSync(file, buffer.get());
}

async function expectSameAs(file: string, rec: Recorded): Promise<void> {
  const bag = await openBag(file);
  try {
    expect(bag.messageCount).toBe(rec.messages.length);
    for (const t of rec.topics)
      expect(bag.topics.find((x) => x.name === t.name)?.messageCount).toBe(t.messageCount);
    const got = await readAll(bag);
    expect(got.map((m) => [m.topic, m.logTimeNs])).toEqual(rec.messages.map((m) => [m.topic, m.logTimeNs]));
    expect(got.map((m) => Array.from(m.data))).toEqual(rec.messages.map((m) => Array.from(m.data)));
    // Every message decodes, service events included.
    for await (const m of bag.messages()) expect(m.message).toBeTypeOf("object");
  } finally {
    await bag.close();
  }
}

async function summaryOf(file: string): Promise<McapIndexedReader> {
  const { readFileSync } = await import("node:fs");
  const bytes = readFileSync(file);
  return McapIndexedReader.Initialize({
    readable: {
      size: async () => BigInt(bytes.length),
      read: async (offset, length) => bytes.subarray(Number(offset), Number(offset + length)),
    },
  });
}

describe("MCAP layouts rosbag2 does not write", () => {
  it("a summary with statistics but no channel or schema records: full scan, counts of the original", async () => {
    const rec = await recorded();
    const file = join(tempDir(), "no-channels.mcap");
    await writeMcap(file, rec, { repeatChannels: false, repeatSchemas: false });
    const summary = await summaryOf(file);
    expect(summary.statistics?.messageCount).toBe(BigInt(rec.messages.length));
    expect([summary.channelsById.size, summary.schemasById.size]).toEqual([0, 0]);
    await expectSameAs(file, rec);
  });

  it("chunk indexes without message indexes: full scan, counts of the original", async () => {
    const rec = await recorded();
    const file = join(tempDir(), "no-message-index.mcap");
    await writeMcap(file, rec, { useMessageIndex: false, useChunkIndex: true });
    const summary = await summaryOf(file);
    expect(summary.chunkIndexes.length).toBeGreaterThan(1);
    expect(summary.chunkIndexes.every((c) => c.messageIndexOffsets.size === 0)).toBe(true);
    await expectSameAs(file, rec);
  });

  it("messages outside chunks with a summary: full scan, counts of the original", async () => {
    const rec = await recorded();
    const file = join(tempDir(), "unchunked.mcap");
    await writeMcap(file, rec, { useChunks: false });
    const summary = await summaryOf(file);
    expect(summary.chunkIndexes.length).toBe(0);
    expect(summary.statistics?.messageCount).toBe(BigInt(rec.messages.length));
    await expectSameAs(file, rec);
  });

  it("the full layout (as rosbag2 writes it) still reads through the index", async () => {
    const rec = await recorded();
    const file = join(tempDir(), "indexed.mcap");
    await writeMcap(file, rec, {});
    expect((await summaryOf(file)).chunkIndexes.every((c) => c.messageIndexOffsets.size > 0)).toBe(true);
    await expectSameAs(file, rec);
  });
});
