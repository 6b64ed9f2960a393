/**
 * Older and odd bag layouts: metadata.yaml version 1 (2018), Git LFS pointers in place of storage files,
 * service definitions rosbag2 stores as `.srv` text, and the malformed inputs of each, with their messages.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseMsgDefinition } from "@foxglove/rosmsg";
import { describe, expect, it } from "vitest";
import { openBag } from "../../../src/data/rosbag2/bag.js";
import { readBagMetadata } from "../../../src/data/rosbag2/metadata.js";
import {
  SERVICE_EVENT_INFO,
  serviceEventDefinition,
  serviceOf,
} from "../../../src/data/rosbag2/service-events.js";
import { decompressMessage } from "../../../src/data/rosbag2/storage-file.js";
import { fixtureBag, tempDir } from "./helpers.js";

const LFS_POINTER =
  "version https://git-lfs.github.com/spec/v1\n" +
  "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n" +
  "size 104857600\n";

/** A Crystal-era (2018) metadata.yaml: version 1, no compression fields, no QoS, no per-file list. */
function versionOneBag(version: string | number = 1): string {
  const dir = tempDir();
  const meta = readBagMetadata(join(fixtureBag("joint_states_sqlite3"), "metadata.yaml"));
  copyFileSync(join(fixtureBag("joint_states_sqlite3"), meta.relativeFilePaths[0]), join(dir, "bag_0.db3"));
  writeFileSync(
    join(dir, "metadata.yaml"),
    `rosbag2_bagfile_information:
  version: ${version}
  storage_identifier: sqlite3
  serialization_format: cdr
  relative_file_paths:
    - bag_0.db3
  duration:
    nanoseconds: ${meta.durationNs}
  starting_time:
    nanoseconds_since_epoch: ${meta.startNs}
  message_count: 12
  topics_with_message_count:
    - topic_metadata:
        name: /joint_states
        type: sensor_msgs/msg/JointState
        serialization_format: cdr
      message_count: 12
`,
  );
  return dir;
}

describe("metadata.yaml versions", () => {
  it("reads a version 1 metadata.yaml (2018): counts, start and duration", async () => {
    const dir = versionOneBag();
    const meta = readBagMetadata(join(dir, "metadata.yaml"));
    expect([meta.version, meta.compressionMode, meta.messageCount]).toEqual([1, "", 12]);
    const bag = await openBag(dir);
    try {
      expect(bag.messageCount).toBe(12);
      expect(bag.startNs).toBe(meta.startNs);
      expect(bag.endNs - bag.startNs).toBe(meta.durationNs);
      let n = 0;
      for await (const m of bag.messages()) {
        expect(Array.from((m.message as { position: Float64Array }).position)).toEqual([0.5, -1.25]);
        n++;
      }
      expect(n).toBe(12);
    } finally {
      await bag.close();
    }
  });

  it("rejects metadata version 0, naming the field and the versions rosbag2 has", () => {
    const dir = versionOneBag(0);
    expect(() => readBagMetadata(join(dir, "metadata.yaml"))).toThrow(
      `${join(dir, "metadata.yaml")}: rosbag2_bagfile_information.version: metadata version 0 is not a rosbag2 metadata version (1 to 9)`,
    );
  });

  it("rejects a newer metadata version whose layout changed, naming the version", () => {
    const dir = versionOneBag(10);
    const file = join(dir, "metadata.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("  message_count: 12\n  topics", "  topics"));
    expect(() => readBagMetadata(file)).toThrow(
      `${file}: rosbag2_bagfile_information.message_count: Invalid input (metadata version 10; Tether reads versions 1 to 9)`,
    );
  });
});

describe("Git LFS pointers", () => {
  for (const name of ["bag_0.mcap", "bag_0.db3", "log.bag"]) {
    it(`rejects a ${name.split(".")[1]} file that is a Git LFS pointer, naming it as such`, async () => {
      const file = join(tempDir(), name);
      writeFileSync(file, LFS_POINTER);
      await expect(openBag(file)).rejects.toThrow(
        `${file} @0: this is a Git LFS pointer (sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393, 104857600 bytes), not the bag data\n` +
          "  hint: fetch the real file with `git lfs pull` (or `git lfs fetch && git lfs checkout`)",
      );
    });
  }

  it("rejects a bag folder whose metadata.yaml is a Git LFS pointer", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "metadata.yaml"), LFS_POINTER);
    await expect(openBag(dir)).rejects.toThrow(`${join(dir, "metadata.yaml")} @0: this is a Git LFS pointer`);
  });

  it("rejects a bag folder whose metadata.yaml lists a Git LFS pointer", async () => {
    const dir = tempDir();
    copyFileSync(join(fixtureBag("joint_states_mcap"), "metadata.yaml"), join(dir, "metadata.yaml"));
    const file = join(dir, "joint_states_mcap_0.mcap");
    writeFileSync(file, LFS_POINTER);
    await expect(openBag(dir)).rejects.toThrow(`${file} @0: this is a Git LFS pointer`);
  });
});

describe("service event definitions", () => {
  const ros2File = "/opt/ros/jazzy/share/service_msgs/msg/ServiceEventInfo.msg";
  it.skipIf(!existsSync(ros2File))("ServiceEventInfo is ROS 2's own (fields and constants)", () => {
    const fields = (text: string) =>
      parseMsgDefinition(text, { ros2: true })[0].definitions.map((f) => [
        f.name,
        f.type,
        f.isArray ?? false,
      ]);
    expect(fields(SERVICE_EVENT_INFO)).toEqual(fields(readFileSync(ros2File, "utf8")));
  });

  it("builds the event of a service whose types come from MSG sections", () => {
    const srv =
      "================================================================================\n" +
      "SRV: nav_demo/srv/Plan\ngeometry_msgs/Point goal\n---\nbool ok\nstring reason\n" +
      "================================================================================\n" +
      "MSG: geometry_msgs/Point\nfloat64 x\nfloat64 y\nfloat64 z\n";
    const def = serviceEventDefinition("f.mcap", "/plan/_service_event", "nav_demo/srv/Plan_Event", srv);
    const parsed = parseMsgDefinition(def.text, { ros2: true });
    expect(parsed.map((d) => d.name ?? "(root)")).toEqual([
      "(root)",
      "service_msgs/ServiceEventInfo",
      "nav_demo/Plan_Request",
      "nav_demo/Plan_Response",
      "geometry_msgs/Point",
    ]);
    expect(parsed[0].definitions.map((f) => [f.name, f.type, f.arrayUpperBound])).toEqual([
      ["info", "service_msgs/ServiceEventInfo", undefined],
      ["request", "nav_demo/Plan_Request", 1],
      ["response", "nav_demo/Plan_Response", 1],
    ]);
    expect(parsed[3].definitions.map((f) => f.name)).toEqual(["ok", "reason"]);
  });

  it("names a service event topic only for <service>/_service_event of a /srv/ ..._Event type", () => {
    expect(serviceOf("/a/b/_service_event", "pkg/srv/Do_Event")).toEqual({
      name: "/a/b",
      type: "pkg/srv/Do",
    });
    expect(serviceOf("/a/b", "pkg/srv/Do_Event")).toBeUndefined();
    expect(serviceOf("/a/_service_event", "pkg/msg/Do_Event")).toBeUndefined();
  });

  it("decodes service events whose stored .srv text is labelled ros2msg", async () => {
    const { McapWriter, TempBuffer } = await import("@mcap/core");
    const source = await openBag(fixtureBag("services_mcap"));
    const events: { logTimeNs: bigint; data: Uint8Array }[] = [];
    try {
      for await (const m of source.messages({ topics: ["/add_two_ints/_service_event"] }))
        events.push({ logTimeNs: m.logTimeNs, data: m.data });
    } finally {
      await source.close();
    }
    const buffer = new TempBuffer();
    const writer = new McapWriter({ writable: buffer });
    await writer.start({ profile: "ros2", library: "test" });
    const schemaId = await writer.registerSchema({
      name: "example_interfaces/srv/AddTwoInts_Event",
      encoding: "ros2msg",
      data: new TextEncoder().encode("int64 a\nint64 b\n---\nint64 sum\n"),
    });
    const channelId = await writer.registerChannel({
      topic: "/add_two_ints/_service_event",
      messageEncoding: "cdr",
      schemaId,
      metadata: new Map(),
    });
    for (const [i, e] of events.entries())
      await writer.addMessage({
        channelId,
        sequence: i,
        logTime: e.logTimeNs,
        publishTime: e.logTimeNs,
        data: e.data,
      });
    await writer.end();
    const file = join(tempDir(), "events.mcap");
    writeFileSync(file, buffer.get());
    const bag = await openBag(file);
    try {
      const sums: bigint[] = [];
      for await (const m of bag.messages()) {
        const e = m.message as { response: { sum: bigint }[] };
        sums.push(...e.response.map((r) => r.sum));
      }
      expect(sums.length).toBeGreaterThan(0);
      expect(new Set(sums)).toEqual(new Set([5n]));
      expect(bag.warnings).toEqual([]);
    } finally {
      await bag.close();
    }
  });

  it("rejects a service definition without the --- line between request and response", () => {
    expect(() =>
      serviceEventDefinition("f.db3", "/s/_service_event", "pkg/srv/S_Event", "SRV: pkg/srv/S\nint64 a\n"),
    ).toThrow(
      'f.db3: topic /s/_service_event: the bag\'s definition of pkg/srv/S has no "---" line between request and response',
    );
  });

  it("rejects a service definition that has only MSG sections", () => {
    expect(() =>
      serviceEventDefinition("f.db3", "/s/_service_event", "pkg/srv/S_Event", "MSG: pkg/A\nint8 x\n"),
    ).toThrow("f.db3: topic /s/_service_event: the bag's definition of pkg/srv/S has no service section");
  });

  it("a bag whose stored .srv is malformed still opens: the topic warns, then fails to decode by name", async () => {
    const { McapWriter, TempBuffer } = await import("@mcap/core");
    const buffer = new TempBuffer();
    const writer = new McapWriter({ writable: buffer });
    await writer.start({ profile: "ros2", library: "test" });
    const schemaId = await writer.registerSchema({
      name: "pkg/srv/S_Event",
      encoding: "unknown",
      data: new TextEncoder().encode("SRV: pkg/srv/S\nint64 a\n"),
    });
    const channelId = await writer.registerChannel({
      topic: "/s/_service_event",
      messageEncoding: "cdr",
      schemaId,
      metadata: new Map(),
    });
    await writer.addMessage({
      channelId,
      sequence: 0,
      logTime: 5n,
      publishTime: 5n,
      data: new Uint8Array([0, 1, 0, 0]),
    });
    await writer.end();
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "s.mcap");
    writeFileSync(file, buffer.get());
    const bag = await openBag(file);
    try {
      expect(bag.warnings).toEqual([
        `${file}: topic /s/_service_event: the bag's definition of pkg/srv/S has no "---" line between request and response`,
      ]);
      expect(bag.topics[0].service).toEqual({ name: "/s", type: "pkg/srv/S" });
      expect(() => bag.decoder("/s/_service_event")).toThrow(
        `${file}: topic /s/_service_event: unknown message type pkg/srv/S_Event: the bag carries no definition and Tether has none built in`,
      );
    } finally {
      await bag.close();
    }
  });
});

describe("compression_mode: message", () => {
  it("rejects a payload that starts like a zstd frame but is cut short, naming topic and time", () => {
    expect(() =>
      decompressMessage(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 1, 2]), "b.db3", "/js", 42n),
    ).toThrow("b.db3: topic /js: cannot decompress the zstd message logged at 42 ns: unexpected EOF");
  });

  it("rejects a message of a rosbag2 zstd-per-message bag whose frame was cut, naming file, topic and time", async () => {
    const initSqlJs = (await import("sql.js")).default;
    const SQL = await initSqlJs();
    const src = join(
      fixtureBag("joint_states_sqlite3_zstd_message"),
      "joint_states_sqlite3_zstd_message_0.db3",
    );
    const db = new SQL.Database(readFileSync(src));
    const [[id, stamp]] = db.exec(
      "SELECT id, CAST(timestamp AS TEXT) FROM messages ORDER BY timestamp LIMIT 1 OFFSET 3",
    )[0].values as [number, string][];
    db.run("UPDATE messages SET data = substr(data, 1, 20) WHERE id = ?", [id]);
    const file = join(tempDir(), "cut.db3");
    writeFileSync(file, db.export());
    db.close();
    const bag = await openBag(file);
    try {
      const read = async () => {
        for await (const m of bag.messages()) void m;
      };
      await expect(read()).rejects.toThrow(
        `${file}: topic /joint_states: cannot decompress the zstd message logged at ${stamp} ns: unexpected EOF`,
      );
    } finally {
      await bag.close();
    }
  });
});
