/**
 * ROS 1 bags (format 2.0) through @foxglove/rosbag: the fixtures of test/data/fixtures/ros1/ (written by
 * ros1-bag-writer.ts following the format spec, chunks uncompressed, bz2 and lz4 by the bzip2 and lz4 tools),
 * bag info, replay onto ROS 2 types, import with the same mapping as a ROS 2 log, and malformed files.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseMsgDefinition } from "@foxglove/rosmsg";
import type { MessageDefinition, MessageDefinitionField } from "@foxglove/message-definition";
import { ros1 } from "@foxglove/rosmsg-msgs-common";
import { compress as lz4Compress } from "lz4js";
import { describe, expect, it } from "vitest";
import { openBag, type Bag, type BagMessage } from "../../../src/data/rosbag2/bag.js";
import { bagInfo } from "../../../src/data/rosbag2/bag-info.js";
import { shortTypeName } from "../../../src/data/rosbag2/definitions.js";
import { ros1ToRos2 } from "../../../src/data/rosbag2/ros1-to-ros2.js";
import { readEpisodes } from "../../../src/data/dataset-reader.js";
import { importBag } from "../../../src/data/import/import-bag.js";
import { writeSyntheticRunLog } from "../../../src/data/import/synthetic-log.js";
import { isKnownMessageType, messageDefinitions } from "../../../src/msgs/registry.js";
import { startReplay } from "../../../src/nodes/replay/replay-node.js";
import { createEmbeddedContext } from "../../../src/ros/embedded/context.js";
import { ROS1_CONTENT, ROS1_DIR, START_NS, jointState } from "../fixtures/make-ros1-bags.js";
import { Ros1BagWriter } from "../fixtures/ros1-bag-writer.js";
import { ARM2_DIR, arm2 } from "../import/helpers.js";
import { tempDir } from "./helpers.js";

const COMPRESSIONS = ["none", "bz2", "lz4"] as const;
const fixture = (c: (typeof COMPRESSIONS)[number]) => join(ROS1_DIR, `joint_states_${c}.bag`);

async function collect(bag: Bag, topics?: string[]): Promise<BagMessage[]> {
  const out: BagMessage[] = [];
  for await (const m of bag.messages({ topics })) out.push(m);
  return out;
}

describe("ROS 1 bags", () => {
  for (const c of COMPRESSIONS) {
    it(`${c} chunks: topics, counts, times and decoded messages`, async () => {
      const raw = readFileSync(fixture(c)).toString("latin1");
      expect(raw.match(/compression=(\w+)/g)).toEqual(Array(3).fill(`compression=${c}`)); // 3 chunks
      const bag = await openBag(fixture(c));
      try {
        expect(bag.storage).toBe("ros1");
        expect(bag.topics.map((t) => [t.name, t.type, t.messageCount, t.serializationFormat])).toEqual(
          Object.entries(ROS1_CONTENT)
            .map(([name, [type, n]]) => [name, type, n, "ros1"])
            .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        );
        expect(bag.messageCount).toBe(18);
        expect(bag.startNs).toBe(START_NS);
        expect(bag.endNs).toBe(START_NS + 900_000_000n);
        const all = await collect(bag);
        expect(all.length).toBe(18);
        for (let i = 1; i < all.length; i++) expect(all[i].logTimeNs >= all[i - 1].logTimeNs).toBe(true);
        const joints = all.filter((m) => m.topic === "/joint_states").map((m) => m.message);
        expect(joints).toEqual(
          Array.from({ length: 10 }, (_, i) => {
            const js = jointState(i);
            return {
              ...js,
              position: Float64Array.from(js.position),
              velocity: Float64Array.from(js.velocity),
              effort: new Float64Array(0),
            };
          }),
        );
        expect(
          all.filter((m) => m.topic === "/chatter").map((m) => (m.message as { data: string }).data),
        ).toEqual(["hello 0", "hello 1", "hello 2", "hello 3", "hello 4"]);
        expect(all.filter((m) => m.topic === "/robot_status").map((m) => m.message)).toEqual([
          { mode: 0, note: "step 0" },
          { mode: 1, note: "step 4" },
          { mode: 1, note: "step 8" },
        ]);
        const info = bagInfo(bag);
        expect(info.total).toBe(18);
        expect(info.topics.every((t) => t.definition === "bag")).toBe(true);
        expect(bag.warnings).toEqual([]);
      } finally {
        await bag.close();
      }
    });
  }

  it("replays onto ROS 2 types: JointState and String mapped, a custom type skipped with a warning", async () => {
    const warnings: string[] = [];
    const ctx = createEmbeddedContext({
      logSink: (r) => void (r.level === "warn" && warnings.push(r.message)),
    });
    const listener = ctx.createNode("listener");
    const joints: { stamp: unknown; position: number[] }[] = [];
    const chatter: string[] = [];
    listener.createSubscription("sensor_msgs/msg/JointState", "/joint_states", { qos: { depth: 100 } }, (m) =>
      joints.push({ stamp: m.header.stamp, position: Array.from(m.position) }),
    );
    listener.createSubscription("std_msgs/msg/String", "/chatter", { qos: { depth: 100 } }, (m) =>
      chatter.push(m.data),
    );
    const handle = await startReplay(ctx.createNode("replay"), { path: fixture("bz2"), rate: 100 });
    const stats = await handle.done;
    await handle.stop();
    ctx.spinSome();
    expect(stats.perTopic).toEqual({ "/joint_states": 10, "/chatter": 5 });
    expect(joints.map((j) => j.position)).toEqual(
      Array.from({ length: 10 }, (_, i) => jointState(i).position),
    );
    expect(joints[3].stamp).toEqual({ sec: 1_300_000_000, nanosec: 300_000_000 });
    expect(chatter[4]).toBe("hello 4");
    const reason = "ROS 1 type acme_msgs/Status: ROS 2 has no standard acme_msgs/msg/Status";
    expect(handle.skipped).toEqual({ "/robot_status": reason });
    expect(warnings).toContain(`replay: skipping /robot_status: ${reason}`);
    const graph = ctx.graph();
    expect(graph.topics.find((t) => t.name === "/joint_states")?.type).toBe("sensor_msgs/msg/JointState");
    // A latched ROS 1 topic is transient_local in ROS 2; the others volatile; all reliable.
    expect(graph.topics.find((t) => t.name === "/chatter")?.publishers[0].qos).toMatchObject({
      reliability: "reliable",
      durability: "transient_local",
    });
    expect(graph.topics.find((t) => t.name === "/joint_states")?.publishers[0].qos).toMatchObject({
      reliability: "reliable",
      durability: "volatile",
    });
    ctx.shutdown();
  });

  it("refuses a ROS 1 type whose ROS 2 namesake has a field it lacks, naming the field", () => {
    const defs = parseMsgDefinition("string[] name\nfloat64[] position\n");
    const result = ros1ToRos2("sensor_msgs/JointState", defs, {
      isKnown: isKnownMessageType,
      definitions: messageDefinitions,
    });
    expect(result).toEqual({
      ok: false,
      reason:
        "no standard mapping onto sensor_msgs/msg/JointState: field header of ROS 2's sensor_msgs/msg/JointState is not in the ROS 1 message",
    });
  });

  it("imports a ROS 1 bag with the same mapping as the ROS 2 log it was converted from: same dataset", async () => {
    const dir = tempDir();
    const mcap = join(dir, "run.mcap");
    await writeSyntheticRunLog(mcap, arm2().spec, { steps: 60, seed: 5, clock: true });
    const rosbag = join(dir, "run.bag");
    writeFileSync(rosbag, await convertToRos1(mcap));
    const fromMcap = await importBag({ bag: mcap, robot: ARM2_DIR, out: join(dir, "ds-mcap") });
    const fromRos1 = await importBag({ bag: rosbag, robot: ARM2_DIR, out: join(dir, "ds-ros1") });
    expect(fromRos1.messages_read).toBe(fromMcap.messages_read);
    expect([fromRos1.episodes, fromRos1.transitions]).toEqual([fromMcap.episodes, fromMcap.transitions]);
    expect(fromRos1.transitions).toBeGreaterThan(50);
    const a = [...readEpisodes(join(dir, "ds-mcap"))];
    const b = [...readEpisodes(join(dir, "ds-ros1"))];
    expect(b.length).toBe(a.length);
    for (let i = 0; i < a.length; i++) {
      expect(Array.from(b[i].observations)).toEqual(Array.from(a[i].observations));
      expect(Array.from(b[i].actions)).toEqual(Array.from(a[i].actions));
      expect(Array.from(b[i].rewards)).toEqual(Array.from(a[i].rewards));
      expect(Array.from(b[i].timestamps)).toEqual(Array.from(a[i].timestamps));
    }
  });
});

/** A ROS 2 log rewritten as a ROS 1 bag (lz4 chunks): ROS 1 names and definitions, {sec, nsec} times. */
async function convertToRos1(file: string): Promise<Uint8Array> {
  const writer = new Ros1BagWriter({
    compression: "lz4",
    compress: (d) => lz4Compress(d),
    chunkMessages: 50,
  });
  const table = ros1 as Record<string, MessageDefinition>;
  const toRos1 = (value: unknown, def: MessageDefinition): unknown => {
    const v = (value ?? {}) as Record<string, unknown>;
    const field = (f: MessageDefinitionField, x: unknown): unknown => {
      if (f.type === "time" || f.type === "duration") {
        const t = (x ?? { sec: 0, nanosec: 0 }) as { sec: number; nanosec: number };
        return { sec: t.sec, nsec: t.nanosec };
      }
      if (f.isComplex) return toRos1(x, table[f.type]);
      return x ?? (f.type === "string" ? "" : 0);
    };
    return Object.fromEntries(
      def.definitions
        .filter((f) => !f.isConstant)
        .map((f) => [
          f.name,
          f.isArray && f.isComplex
            ? ((v[f.name] as unknown[]) ?? []).map((x) => field(f, x))
            : field(f, v[f.name]),
        ]),
    );
  };
  const bag = await openBag(file);
  try {
    const conns = new Map<string, { id: number; def: MessageDefinition }>();
    for (const t of bag.topics) {
      const type = shortTypeName(t.type);
      conns.set(t.name, { id: writer.addConnection(t.name, type), def: table[type] });
    }
    for await (const m of bag.messages()) {
      const c = conns.get(m.topic)!;
      writer.write(c.id, m.logTimeNs, toRos1(m.message, c.def));
    }
  } finally {
    await bag.close();
  }
  return writer.finish();
}

describe("bad and empty ROS 1 bags", () => {
  const bz2 = () => Buffer.from(readFileSync(fixture("bz2")));
  const write = (bytes: Uint8Array) => {
    const file = join(tempDir(), "bad.bag");
    writeFileSync(file, bytes);
    return file;
  };

  it("rejects a ROS 1 bag of format version 1.2, saying how to migrate it", async () => {
    const file = write(Buffer.concat([Buffer.from("#ROSBAG V1.2\n"), bz2().subarray(13)]));
    await expect(openBag(file)).rejects.toThrow(
      `${file} @0: ROS 1 bag format version 1.2 is not supported (only 2.0)\n` +
        "  hint: migrate it with ROS 1's `rosbag fix` (bags written by ROS Groovy or newer are 2.0)",
    );
  });

  it("rejects a .bag file that is not a ROS bag", async () => {
    const file = write(Buffer.from("this is not a bag at all"));
    await expect(openBag(file)).rejects.toThrow(`${file} @0: not a ROS 1 bag: no "#ROSBAG V" header`);
  });

  it("rejects an unindexed ROS 1 bag (index_pos 0), saying to reindex it", async () => {
    const bytes = bz2();
    bytes.writeBigUInt64LE(0n, bytes.indexOf("index_pos=") + "index_pos=".length);
    const file = write(bytes);
    await expect(openBag(file)).rejects.toThrow(
      `${file}: the ROS 1 bag is not indexed (index_pos is 0)\n` +
        "  hint: the recorder stopped before writing the index: run ROS 1's `rosbag reindex` on it",
    );
  });

  it("rejects a truncated ROS 1 bag with where its index should start", async () => {
    const bytes = bz2();
    const indexPos = bytes.readBigUInt64LE(bytes.indexOf("index_pos=") + "index_pos=".length);
    const file = write(bytes.subarray(0, 6000));
    await expect(openBag(file)).rejects.toThrow(
      `${file} @6000: truncated ROS 1 bag: its index starts at byte ${indexPos} but the file ends at byte 6000`,
    );
  });

  it("rejects a chunk compressed with a codec ROS 1 does not have, naming it", async () => {
    const writer = new Ros1BagWriter({ compression: "zstd" as "none", compress: (d) => d });
    writer.write(writer.addConnection("/a", "std_msgs/String"), 5n, { data: "x" });
    const file = write(writer.finish());
    const bag = await openBag(file);
    try {
      await expect(collect(bag)).rejects.toThrow(
        `${file}: ROS 1 bag chunk compression "zstd" is not supported (ROS 1 writes none, bz2 or lz4)`,
      );
    } finally {
      await bag.close();
    }
  });

  it("reads a ROS 1 bag without messages: its topics with count 0", async () => {
    const writer = new Ros1BagWriter({ compression: "none" });
    writer.addConnection("/a", "std_msgs/String");
    const bag = await openBag(write(writer.finish()));
    try {
      expect(bag.topics.map((t) => [t.name, t.messageCount])).toEqual([["/a", 0]]);
      expect([bag.messageCount, bag.startNs, (await collect(bag)).length]).toEqual([0, 0n, 0]);
    } finally {
      await bag.close();
    }
  });

  it("rejects a corrupt bz2 chunk when reading, naming the codec", async () => {
    const bytes = bz2();
    const at = bytes.indexOf("BZh") + 40;
    bytes[at] ^= 0xff;
    bytes[at + 1] ^= 0xff;
    const file = write(bytes);
    const bag = await openBag(file);
    try {
      await expect(collect(bag)).rejects.toThrow(
        `${file}: corrupt ROS 1 bag data: cannot decompress a bz2 chunk: Data error`,
      );
    } finally {
      await bag.close();
    }
  });
});
