import { readFileSync } from "node:fs";
import { join } from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { describe, expect, it } from "vitest";
import { openBag } from "../../../src/data/rosbag2/bag.js";
import { DECOMPRESS_HANDLERS } from "../../../src/data/rosbag2/decompress.js";
import { RunLogWriter } from "../../../src/data/runlog/run-log-writer.js";
import { importBag } from "../../../src/data/import/import-bag.js";
import { readEpisodes } from "../../../src/data/dataset-reader.js";
import { tempDir } from "../rosbag2/helpers.js";
import { ARM2_DIR } from "../import/helpers.js";

async function indexedReader(file: string): Promise<McapIndexedReader> {
  const buf = readFileSync(file);
  return McapIndexedReader.Initialize({
    readable: {
      size: async () => BigInt(buf.length),
      read: async (o, n) => buf.subarray(Number(o), Number(o + n)),
    },
    decompressHandlers: DECOMPRESS_HANDLERS,
  });
}

describe("MCAP run logs", () => {
  for (const compression of ["lz4", "none"] as const) {
    it(`writes an indexed ros2/cdr MCAP (${compression}) that Foxglove-style readers open`, async () => {
      const file = join(tempDir(), "run.mcap");
      const log = await RunLogWriter.create(file, {
        compression,
        chunkSize: 4096,
        metadata: { robot: "arm2" },
      });
      for (let k = 0; k < 200; k++) {
        const t = BigInt(k) * 20_000_000n;
        log.clock(t);
        log.jointState(t, ["shoulder_joint", "elbow_joint"], [k * 0.01, -k * 0.01], [1, 2], [0, 0]);
        log.command("/forward_effort_controller/commands", t, [0.1, -0.1]);
      }
      log.diagnostics(1_000_000_000n, [
        {
          level: 1,
          name: "shield/velocity",
          message: "clamped",
          hardware_id: "arm2",
          values: [{ key: "joint", value: "elbow_joint" }],
        },
      ]);
      const summary = await log.close();
      expect(summary.messages).toBe(601);
      expect(summary.topics).toEqual({
        "/clock": 200,
        "/joint_states": 200,
        "/forward_effort_controller/commands": 200,
        "/diagnostics": 1,
      });

      const reader = await indexedReader(file);
      expect(reader.header.profile).toBe("ros2");
      expect(reader.chunkIndexes.length).toBeGreaterThan(1);
      expect(new Set(reader.chunkIndexes.map((c) => c.compression))).toEqual(
        new Set([compression === "none" ? "" : "lz4"]),
      );
      expect([...reader.schemasById.values()].map((s) => [s.name, s.encoding]).sort()).toEqual([
        ["diagnostic_msgs/msg/DiagnosticArray", "ros2msg"],
        ["rosgraph_msgs/msg/Clock", "ros2msg"],
        ["sensor_msgs/msg/JointState", "ros2msg"],
        ["std_msgs/msg/Float64MultiArray", "ros2msg"],
      ]);
      expect(new Set([...reader.channelsById.values()].map((c) => c.messageEncoding))).toEqual(
        new Set(["cdr"]),
      );
      expect(reader.statistics?.messageCount).toBe(601n);
      const meta = [];
      for await (const m of reader.readMetadata()) meta.push([m.name, Object.fromEntries(m.metadata)]);
      expect(meta).toEqual([["tether", { robot: "arm2" }]]);

      // Read back with Tether's bag reader: decoded values equal what was written.
      const bag = await openBag(file);
      const states: {
        position: Float64Array;
        name: string[];
        header: { stamp: { sec: number; nanosec: number } };
      }[] = [];
      let diag: unknown;
      for await (const m of bag.messages({ topics: ["/joint_states", "/diagnostics"] })) {
        if (m.topic === "/diagnostics") diag = m.message;
        else states.push(m.message as (typeof states)[number]);
      }
      await bag.close();
      expect(states).toHaveLength(200);
      expect(states[57].name).toEqual(["shoulder_joint", "elbow_joint"]);
      expect(Array.from(states[57].position)).toEqual([57 * 0.01, -57 * 0.01]);
      expect(states[57].header.stamp).toEqual({ sec: 1, nanosec: 140_000_000 });
      expect(diag).toEqual({
        header: { stamp: { sec: 1, nanosec: 0 }, frame_id: "" },
        status: [
          {
            level: 1,
            name: "shield/velocity",
            message: "clamped",
            hardware_id: "arm2",
            values: [{ key: "joint", value: "elbow_joint" }],
          },
        ],
      });
    });
  }

  it("round trip: run log -> bag reader -> tether import -> dataset", async () => {
    const dir = tempDir();
    const file = join(dir, "sim.mcap");
    const log = await RunLogWriter.create(file);
    log.command("/goal", 0n, [0.1, -0.1]);
    for (let k = 0; k < 30; k++) {
      const t = BigInt(k) * 20_000_000n;
      log.clock(t);
      log.jointState(t, ["shoulder_joint", "elbow_joint"], [k * 0.01, 0.2], [0.5, 0], [0, 0]);
      log.command("/forward_effort_controller/commands", t, [0.05, -0.05]);
    }
    await log.close();
    const report = await importBag({ bag: file, robot: ARM2_DIR, out: join(dir, "ds") });
    expect([report.episodes, report.transitions]).toEqual([1, 29]);
    const [ep] = [...readEpisodes(join(dir, "ds"))];
    expect(Array.from(ep.observations.subarray(4 * 29, 4 * 30))).toEqual(
      [0.29, 0.2, 0.5, 0.1].map(Math.fround),
    );
    expect(Array.from(ep.actions.subarray(0, 2))).toEqual([0.05, -0.05].map(Math.fround));
    // reward(S_1) = -|0.01 - 0.1| - |0.2 + 0.1| - (0.05^2 + 0.05^2)
    expect(ep.rewards[0]).toBeCloseTo(-0.09 - 0.3 - 0.005, 6);
  });

  it("rejects writing a second message type on a topic", async () => {
    const file = join(tempDir(), "run.mcap");
    const log = await RunLogWriter.create(file);
    log.clock(0n);
    expect(() => log.command("/clock", 1n, [1])).toThrow(
      `${file}: topic /clock already carries rosgraph_msgs/msg/Clock, cannot write std_msgs/msg/Float64MultiArray`,
    );
    await log.close();
  });

  it("rejects writing after close", async () => {
    const file = join(tempDir(), "run.mcap");
    const log = await RunLogWriter.create(file);
    await log.close();
    expect(() => log.clock(0n)).toThrow(`${file}: run log is closed`);
  });
});
