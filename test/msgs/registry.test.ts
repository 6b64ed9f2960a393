import { describe, expect, it } from "vitest";
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import {
  MessageTypeError,
  deserializeMessage,
  isKnownMessageType,
  messageDefinitionText,
  normalizeTypeName,
  registerMessageDefinition,
  serializeMessage,
} from "../../src/msgs/registry.js";
import { nanosFromTime, secondsFromTime, timeFromNanos, timeFromSeconds } from "../../src/msgs/time.js";
import type { JointState } from "../../src/msgs/types.js";

const jointState: JointState = {
  header: { stamp: { sec: 12, nanosec: 500_000_000 }, frame_id: "base" },
  name: ["shoulder", "elbow"],
  position: [0.25, -1.5],
  velocity: [0.1, 0.2],
  effort: [],
};

describe("message registry", () => {
  it("knows the stack's types in both name forms", () => {
    for (const t of [
      "sensor_msgs/msg/JointState",
      "std_msgs/msg/Float64MultiArray",
      "std_msgs/msg/Header",
      "builtin_interfaces/msg/Time",
      "rosgraph_msgs/msg/Clock",
      "diagnostic_msgs/msg/DiagnosticArray",
      "diagnostic_msgs/msg/DiagnosticStatus",
      "diagnostic_msgs/msg/KeyValue",
      "std_msgs/msg/String",
      "std_msgs/msg/Int32",
    ]) {
      expect(isKnownMessageType(t), t).toBe(true);
    }
    expect(normalizeTypeName("sensor_msgs/JointState")).toBe("sensor_msgs/msg/JointState");
    expect(isKnownMessageType("my_msgs/msg/Nope")).toBe(false);
  });

  it("rejects unknown and malformed type names", () => {
    expect(() => serializeMessage("my_msgs/msg/Nope", {})).toThrow(MessageTypeError);
    expect(() => normalizeTypeName("JointState")).toThrow(/expected "package\/msg\/Name"/);
  });

  it("round-trips a JointState through CDR", () => {
    const bytes = serializeMessage("sensor_msgs/msg/JointState", jointState);
    expect(bytes[1]).toBe(1); // CDR little-endian encapsulation
    const back = deserializeMessage<JointState>("sensor_msgs/msg/JointState", bytes);
    expect(back.header).toEqual(jointState.header);
    expect(back.name).toEqual(jointState.name);
    expect(Array.from(back.position)).toEqual([0.25, -1.5]);
    expect(Array.from(back.effort)).toEqual([]);
  });

  it("round-trips a DiagnosticArray with nested statuses", () => {
    const msg = {
      header: { stamp: { sec: 1, nanosec: 2 }, frame_id: "" },
      status: [
        {
          level: 2,
          name: "joint_limits",
          message: "tripped",
          hardware_id: "arm",
          values: [{ key: "k", value: "v" }],
        },
      ],
    };
    expect(
      deserializeMessage(
        "diagnostic_msgs/msg/DiagnosticArray",
        serializeMessage("diagnostic_msgs/msg/DiagnosticArray", msg),
      ),
    ).toEqual(msg);
  });

  it("writes ros2msg definition text that decodes what it describes", () => {
    const text = messageDefinitionText("sensor_msgs/msg/JointState");
    expect(text.split("\n")[0]).toBe("std_msgs/Header header");
    expect(text).toContain(
      `${"=".repeat(80)}\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id`,
    );
    expect(text).toContain("MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec");
    const reader = new MessageReader(parse(text, { ros2: true }));
    const back = reader.readMessage<JointState>(serializeMessage("sensor_msgs/msg/JointState", jointState));
    expect(back.name).toEqual(["shoulder", "elbow"]);
    expect(messageDefinitionText("diagnostic_msgs/msg/DiagnosticStatus")).toContain("uint8 ERROR=2");
  });

  it("registers a custom type from ros2msg text (MSG: pkg/msg/Name accepted)", () => {
    registerMessageDefinition(
      "tether_test_msgs/msg/Pair",
      `tether_test_msgs/Half a\nfloat64 b\n${"=".repeat(80)}\nMSG: tether_test_msgs/msg/Half\nint32 x\n`,
    );
    const msg = { a: { x: 7 }, b: 0.5 };
    expect(
      deserializeMessage("tether_test_msgs/msg/Pair", serializeMessage("tether_test_msgs/msg/Pair", msg)),
    ).toEqual(msg);
  });
});

describe("time conversions", () => {
  it("converts seconds and nanoseconds both ways", () => {
    expect(timeFromSeconds(1.5)).toEqual({ sec: 1, nanosec: 500_000_000 });
    expect(timeFromSeconds(2.9999999999)).toEqual({ sec: 3, nanosec: 0 });
    expect(secondsFromTime({ sec: 3, nanosec: 250_000_000 })).toBeCloseTo(3.25, 12);
    expect(nanosFromTime({ sec: 2, nanosec: 5 })).toBe(2_000_000_005n);
    expect(timeFromNanos(2_000_000_005n)).toEqual({ sec: 2, nanosec: 5 });
    expect(timeFromNanos(-1n)).toEqual({ sec: -1, nanosec: 999_999_999 });
  });
});
