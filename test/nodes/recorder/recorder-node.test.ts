import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedRuntime } from "../../../src/ros/runtime.js";
import { timeFromNanos } from "../../../src/msgs/time.js";
import { createRecorderNode } from "../../../src/nodes/recorder/recorder-node.js";
import { loadTransitions, openDataset } from "../../../src/data/dataset-reader.js";

const LAYOUT = { dim: [], data_offset: 0 };

describe("recorder node (embedded runtime)", () => {
  it("records /joint_states, commands and the goal topic into a dataset", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "tether-recnode-")), "ds");
    const logs: string[] = [];
    const runtime = embeddedRuntime({ logSink: (rec) => logs.push(JSON.stringify(rec)) });
    const ctx = runtime.embedded!;
    try {
      const rec = await createRecorderNode(
        await runtime.createNode("recorder", {
          parameters: { robot: "reacher2", out, behavior: "scripted" },
        }),
      );
      const pub = await runtime.createNode("robot");
      const states = pub.createPublisher("sensor_msgs/msg/JointState", "/joint_states");
      const commands = pub.createPublisher(
        "std_msgs/msg/Float64MultiArray",
        "/forward_effort_controller/commands",
      );
      const goal = pub.createPublisher("std_msgs/msg/Float64MultiArray", "/goal", {
        qos: { depth: 1, durability: "transient_local" },
      });
      goal.publish({ layout: LAYOUT, data: [0.1, 0.2] });
      for (let k = 0; k < 30; k++) {
        states.publish({
          header: { stamp: timeFromNanos(BigInt(k) * 20_000_000n), frame_id: "" },
          name: ["elbow_joint", "shoulder_joint"],
          position: [0.5, 0.01 * k],
          velocity: [0, 0.5],
          effort: [0, 0],
        });
        ctx.spinSome();
        commands.publish({ layout: LAYOUT, data: [0.02, -0.02] });
        ctx.spinSome();
      }
      await rec.close();
      const stats = rec.finalStats()!;
      expect(rec.received()).toBe(61);
      expect(stats.missing_topics).toEqual([]);
      expect(stats.transitions).toBe(29);
      const ds = openDataset(out);
      expect(ds.manifest.source).toBe("recorder");
      expect(ds.manifest.behavior).toBe("scripted");
      const cols = loadTransitions(ds);
      expect(cols.size).toBe(29);
      // obs[0] = cos(shoulder), obs[2] = cos(elbow): the name mapping put 0.5 on the elbow.
      expect(cols.observations[2]).toBeCloseTo(Math.cos(0.5), 6);
      expect(cols.observations[0]).toBeCloseTo(1, 6);
      // 0.02 N·m normalized by the shoulder range.
      expect(ds.manifest.actionRanges.length).toBe(2);
    } finally {
      runtime.shutdown();
    }
  });

  it("rejects missing required parameters with the parameter name", async () => {
    const runtime = embeddedRuntime({ logSink: () => {} });
    try {
      await expect(createRecorderNode(await runtime.createNode("recorder"))).rejects.toThrow(
        /robot: is required/,
      );
      await expect(
        createRecorderNode(await runtime.createNode("recorder2", { parameters: { robot: "reacher2" } })),
      ).rejects.toThrow(/out: is required/);
      await expect(
        createRecorderNode(
          await runtime.createNode("recorder3", {
            parameters: { robot: "reacher2", out: "/tmp/x", stamp_source: "bogus" },
          }),
        ),
      ).rejects.toThrow(/stamp_source: unknown value "bogus"/);
    } finally {
      runtime.shutdown();
    }
  });
});
