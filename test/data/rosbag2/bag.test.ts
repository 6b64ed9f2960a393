import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DatasetFormatError } from "../../../src/core/errors.js";
import { openBag, type Bag, type BagMessage } from "../../../src/data/rosbag2/bag.js";
import { readBagMetadata } from "../../../src/data/rosbag2/metadata.js";
import { bagPath, tempDir } from "./helpers.js";

async function collect(bag: Bag, topics?: string[]): Promise<BagMessage[]> {
  const out: BagMessage[] = [];
  for await (const m of bag.messages({ topics })) out.push(m);
  return out;
}

async function withBag<T>(
  path: string,
  fn: (bag: Bag) => Promise<T>,
  options?: { allowTruncated?: boolean },
): Promise<T> {
  const bag = await openBag(path, options);
  try {
    return await fn(bag);
  } finally {
    await bag.close();
  }
}

const ALL = ["talker_mcap", "talker_sqlite3", "cdr_test_mcap", "cdr_test_sqlite3"] as const;

describe("rosbag2 bags recorded by rosbag2", () => {
  for (const name of ALL) {
    it(`${name}: message counts equal metadata.yaml, per topic and in total`, async () => {
      const meta = readBagMetadata(join(bagPath(name), "metadata.yaml"));
      await withBag(bagPath(name), async (bag) => {
        expect(bag.storage).toBe(meta.storage);
        expect(bag.messageCount).toBe(meta.messageCount);
        expect(bag.startNs).toBe(meta.startNs);
        expect(bag.endNs - bag.startNs).toBe(meta.durationNs);
        for (const t of meta.topics) {
          const topic = bag.topics.find((x) => x.name === t.name);
          expect(topic, t.name).toBeDefined();
          expect(topic!.type).toBe(t.type);
          expect(topic!.messageCount).toBe(t.messageCount);
        }
        const messages = await collect(bag);
        expect(messages.length).toBe(meta.messageCount);
        for (const t of meta.topics)
          expect(messages.filter((m) => m.topic === t.name).length).toBe(t.messageCount);
        // Log-time order.
        for (let i = 1; i < messages.length; i++)
          expect(messages[i].logTimeNs >= messages[i - 1].logTimeNs).toBe(true);
      });
    });
  }

  for (const name of ["talker_mcap", "talker_sqlite3"] as const) {
    it(`${name}: decodes std_msgs/String and rcl_interfaces/Log`, async () => {
      await withBag(bagPath(name), async (bag) => {
        const strings = (await collect(bag, ["/topic"])).map((m) => (m.message as { data: string }).data);
        expect(strings).toEqual(Array.from({ length: 10 }, (_, i) => `Hello, world! ${i}`));
        const logs = (await collect(bag, ["/rosout"])).map(
          (m) => m.message as { msg: string; name: string; level: number; stamp: { sec: number } },
        );
        expect(logs.map((l) => l.msg)).toEqual(strings.map((s) => `Publishing: '${s}'`));
        expect(new Set(logs.map((l) => l.name))).toEqual(new Set(["minimal_publisher"]));
        expect(logs[0].level).toBe(20); // INFO
        expect(logs[0].stamp.sec).toBe(1585866235);
      });
    });
  }

  it("talker_sqlite3: a stub definition in message_definitions falls back to the builtin one and says so", async () => {
    await withBag(bagPath("talker_sqlite3"), async (bag) => {
      await collect(bag, ["/rosout"]).then((ms) => ms.map((m) => m.message));
      expect(bag.warnings).toEqual([
        "topic /rosout (rcl_interfaces/msg/Log): the bag definition reads 5 of 176 bytes; decoded with Tether's builtin definition instead",
      ]);
      expect(bag.topics.find((t) => t.name === "/rosout")!.definitionSource).toBe("builtin");
      expect(bag.topics.find((t) => t.name === "/topic")!.definitionSource).toBe("bag");
    });
  });

  for (const name of ["cdr_test_mcap", "cdr_test_sqlite3"] as const) {
    it(`${name}: decodes test_msgs BasicTypes and Arrays`, async () => {
      await withBag(bagPath(name), async (bag) => {
        const basic = (await collect(bag, ["/test_topic"])).map((m) => m.message as Record<string, unknown>);
        expect(basic).toHaveLength(3);
        for (const b of basic) {
          expect(b.int32_value).toBe(123);
          expect(b.bool_value).toBe(false);
          expect(b.int64_value).toBe(0n);
        }
        const arrays = (await collect(bag, ["/array_topic"])).map(
          (m) => m.message as Record<string, unknown>,
        );
        expect(arrays).toHaveLength(4);
        const a = arrays[0];
        expect(a.bool_values).toEqual([true, false, true]);
        expect(a.string_values).toEqual(["Complex Hello1", "Complex Hello2", "Complex Hello3"]);
        expect(Array.from(a.float64_values_default as Float64Array)).toEqual([3.1415, 0, -3.1415]);
        expect(Array.from(a.uint64_values_default as BigUint64Array)).toEqual([
          0n,
          1n,
          18446744073709551615n,
        ]);
        expect(Array.from(a.int8_values_default as Int8Array)).toEqual([0, 127, -128]);
        expect(a.string_values_default).toEqual(["", "max value", "min value"]);
        const defaults = (a.defaults_values as Record<string, unknown>[])[0];
        expect(defaults.float32_value).toBe(1.125);
        expect(defaults.int64_value).toBe(-40000000n);
      });
    });
  }

  it("MCAP and sqlite3 copies of the same recording decode to the same messages", async () => {
    for (const [m, s] of [
      ["talker_mcap", "talker_sqlite3"],
      ["cdr_test_mcap", "cdr_test_sqlite3"],
    ] as const) {
      const fromMcap = await withBag(bagPath(m), async (bag) =>
        (await collect(bag)).map((x) => [x.topic, x.logTimeNs, x.message]),
      );
      const fromDb3 = await withBag(bagPath(s), async (bag) =>
        (await collect(bag)).map((x) => [x.topic, x.logTimeNs, x.message]),
      );
      expect(fromDb3).toEqual(fromMcap);
    }
  });

  it("opens a single storage file without metadata.yaml, and a folder holding only storage files", async () => {
    const single = await withBag(join(bagPath("talker_mcap"), "talker.mcap"), async (bag) => {
      expect(bag.metadata).toBeUndefined();
      return bag.topics.map((t) => [t.name, t.messageCount]);
    });
    expect(single).toEqual([
      ["/parameter_events", 0],
      ["/rosout", 10],
      ["/topic", 10],
    ]);
    const dir = tempDir();
    copyFileSync(join(bagPath("cdr_test_sqlite3"), "cdr_test_0.db3"), join(dir, "cdr_test_0.db3"));
    await withBag(dir, async (bag) => {
      expect(bag.storage).toBe("sqlite3");
      expect(bag.messageCount).toBe(7);
      expect((await collect(bag)).length).toBe(7);
    });
  });
});

describe("bags without message definitions (rosbag2 before Iron)", () => {
  it("decodes a Humble sqlite3 bag with the builtin definitions of the distro it names, and says so", async () => {
    const { serializeMessage } = await import("../../../src/msgs/registry.js");
    const initSqlJs = (await import("sql.js")).default;
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run("CREATE TABLE schema(schema_version INTEGER PRIMARY KEY, ros_distro TEXT NOT NULL)");
    db.run("INSERT INTO schema VALUES (3, 'humble')");
    db.run(
      "CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT, type TEXT, serialization_format TEXT, offered_qos_profiles TEXT)",
    );
    db.run("CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER, timestamp INTEGER, data BLOB)");
    db.run("INSERT INTO topics VALUES (1, '/joint_states', 'sensor_msgs/msg/JointState', 'cdr', '')");
    const stmt = db.prepare("INSERT INTO messages VALUES (?, 1, ?, ?)");
    for (let i = 0; i < 3; i++) {
      const data = serializeMessage("sensor_msgs/msg/JointState", {
        header: { stamp: { sec: 1, nanosec: i }, frame_id: "base" },
        name: ["a", "b"],
        position: [i, -i],
        velocity: [],
        effort: [],
      });
      stmt.run([i + 1, 1_000_000_000 + i, data]);
    }
    stmt.free();
    const file = join(tempDir(), "humble.db3");
    writeFileSync(file, db.export());
    await withBag(file, async (bag) => {
      expect(bag.rosDistro).toBe("humble");
      expect(bag.topics[0].definitionSource).toBe("builtin");
      const positions = (await collect(bag)).map((m) =>
        Array.from((m.message as { position: Float64Array }).position),
      );
      expect(positions).toEqual([
        [0, -0],
        [1, -1],
        [2, -2],
      ]);
    });
  });
});

describe("rejects bad bags", () => {
  it("rejects a path that does not exist", async () => {
    await expect(openBag("/nonexistent/bag")).rejects.toThrow(
      "/nonexistent/bag: no such bag (file or folder)",
    );
  });

  it("rejects a truncated MCAP file with the offset of the last complete record", async () => {
    const dir = tempDir();
    const full = readFileSync(join(bagPath("talker_mcap"), "talker.mcap"));
    const file = join(dir, "talker.mcap");
    writeFileSync(file, full.subarray(0, 6000));
    const err = await openBag(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFormatError);
    const e = err as DatasetFormatError;
    expect(e.file).toBe(file);
    expect(e.offset).toBeLessThan(6000);
    expect(e.message).toBe(
      `${file} @${e.offset}: truncated MCAP file: it ends at byte 6000 inside a record; the last complete record ends at offset ${e.offset} (20 messages before it)\n` +
        "  hint: the recorder was probably killed mid-write; pass --allow-truncated to read its complete records (or run `mcap recover`)",
    );
  });

  it("reads the complete records of a truncated MCAP file when allowTruncated is set, and warns", async () => {
    const { RunLogWriter } = await import("../../../src/data/runlog/run-log-writer.js");
    const dir = tempDir();
    const file = join(dir, "run.mcap");
    const log = await RunLogWriter.create(file, { chunkSize: 512 });
    for (let k = 0; k < 100; k++) log.jointState(BigInt(k) * 1000n, ["a"], [k], [0], [0]);
    await log.close();
    const full = readFileSync(file);
    const cut = Math.floor(full.length * 0.6);
    writeFileSync(file, full.subarray(0, cut));
    await withBag(
      file,
      async (bag) => {
        const positions = (await collect(bag)).map(
          (m) => (m.message as { position: Float64Array }).position[0],
        );
        expect(positions.length).toBe(bag.messageCount);
        expect(positions.length).toBeGreaterThan(10);
        expect(positions.length).toBeLessThan(100);
        expect(positions).toEqual(Array.from({ length: positions.length }, (_, i) => i));
        expect(bag.warnings).toHaveLength(1);
        expect(bag.warnings[0]).toMatch(
          new RegExp(
            `^${file} @\\d+: truncated MCAP file \\(ends at byte ${cut} inside a record\\); read the ${positions.length} messages of its complete records$`,
          ),
        );
      },
      { allowTruncated: true },
    );
  });

  it("rejects a truncated sqlite3 file naming the declared and actual sizes", async () => {
    const dir = tempDir();
    const full = readFileSync(join(bagPath("talker_sqlite3"), "talker.db3"));
    const file = join(dir, "talker.db3");
    writeFileSync(file, full.subarray(0, 10000));
    await expect(openBag(file)).rejects.toThrow(
      `${file} @10000: truncated sqlite3 bag: the header declares 7 pages of 4096 bytes (28672 bytes) but the file ends at byte 10000`,
    );
  });

  it("rejects metadata.yaml naming a storage file that does not exist", async () => {
    const dir = tempDir();
    const meta = readFileSync(join(bagPath("cdr_test_mcap"), "metadata.yaml"), "utf8");
    writeFileSync(join(dir, "metadata.yaml"), meta);
    await expect(openBag(dir)).rejects.toThrow(
      `${join(dir, "metadata.yaml")}: relative_file_paths names cdr_test_0.mcap, which does not exist in ${dir}`,
    );
  });

  it("rejects metadata.yaml with a malformed field, naming the field", async () => {
    const dir = tempDir();
    const meta = readFileSync(join(bagPath("cdr_test_mcap"), "metadata.yaml"), "utf8").replace(
      "message_count: 7\n  topics",
      "message_count: seven\n  topics",
    );
    writeFileSync(join(dir, "metadata.yaml"), meta);
    await expect(openBag(dir)).rejects.toThrow(
      `${join(dir, "metadata.yaml")}: rosbag2_bagfile_information.message_count:`,
    );
  });

  it("rejects a topic whose type has no definition in the bag nor built in", async () => {
    const initSqlJs = (await import("sql.js")).default;
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run(
      "CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT, type TEXT, serialization_format TEXT, offered_qos_profiles TEXT)",
    );
    db.run("CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER, timestamp INTEGER, data BLOB)");
    db.run("INSERT INTO topics VALUES (1, '/gripper', 'acme_msgs/msg/Gripper', 'cdr', '')");
    db.run("INSERT INTO messages VALUES (1, 1, 1000, x'0001000000000000')");
    const dir = tempDir();
    const file = join(dir, "old.db3");
    writeFileSync(file, db.export());
    await withBag(file, async (bag) => {
      expect(bag.topics[0].definitionSource).toBe("none");
      const [m] = await collect(bag);
      expect(() => m.message).toThrow(
        `${file}: topic /gripper: unknown message type acme_msgs/msg/Gripper: the bag carries no definition and Tether has none built in`,
      );
    });
  });

  it("rejects a file-compressed bag file that is not zstd data, naming the file", async () => {
    const file = join(tempDir(), "talker_0.mcap.zstd");
    writeFileSync(file, "not zstd");
    await expect(openBag(file)).rejects.toThrow(
      `${file}: cannot decompress this zstd file-compressed bag file: invalid zstd data`,
    );
  });

  it("rejects whole-file compression other than zstd, naming it", async () => {
    const file = join(tempDir(), "talker_0.mcap.lz4");
    writeFileSync(file, "x");
    await expect(openBag(file)).rejects.toThrow(
      `${file}: whole-file compression "lz4" is not supported (rosbag2 writes zstd: .mcap.zstd or .db3.zstd)`,
    );
  });

  it("rejects a storage file of unknown extension", async () => {
    const dir = tempDir();
    const file = join(dir, "bag.bin");
    writeFileSync(file, "x");
    await expect(openBag(file)).rejects.toThrow(
      `${file}: unknown storage file extension ".bin" (expected .mcap, .db3, their .zstd file-compressed forms, or a ROS 1 .bag)`,
    );
  });
});

describe("split bags", () => {
  it("reads a bag split over two MCAP files listed in metadata.yaml, in order, with summed counts", async () => {
    const { RunLogWriter } = await import("../../../src/data/runlog/run-log-writer.js");
    const dir = tempDir();
    let k = 0;
    for (const part of ["split_0.mcap", "split_1.mcap"]) {
      const log = await RunLogWriter.create(join(dir, part));
      for (let i = 0; i < 25; i++, k++) {
        log.jointState(BigInt(k) * 10_000_000n, ["a"], [k], [0], [0]);
        if (k % 5 === 0) log.clock(BigInt(k) * 10_000_000n);
      }
      await log.close();
    }
    writeFileSync(
      join(dir, "metadata.yaml"),
      [
        "rosbag2_bagfile_information:",
        "  version: 5",
        "  storage_identifier: mcap",
        "  relative_file_paths: [split/split_0.mcap, split/split_1.mcap]",
        "  duration: {nanoseconds: 490000000}",
        "  starting_time: {nanoseconds_since_epoch: 0}",
        "  message_count: 60",
        "  topics_with_message_count:",
        "    - {message_count: 50, topic_metadata: {name: /joint_states, type: sensor_msgs/msg/JointState, serialization_format: cdr}}",
        "    - {message_count: 10, topic_metadata: {name: /clock, type: rosgraph_msgs/msg/Clock, serialization_format: cdr}}",
      ].join("\n"),
    );
    await withBag(dir, async (bag) => {
      expect(bag.files.map((f) => f.slice(dir.length + 1))).toEqual(["split_0.mcap", "split_1.mcap"]);
      expect(bag.messageCount).toBe(60);
      expect(bag.topics.map((t) => [t.name, t.messageCount])).toEqual([
        ["/clock", 10],
        ["/joint_states", 50],
      ]);
      expect([bag.startNs, bag.endNs]).toEqual([0n, 490_000_000n]);
      const positions = (await collect(bag, ["/joint_states"])).map(
        (m) => (m.message as { position: Float64Array }).position[0],
      );
      expect(positions).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });
  });
});
