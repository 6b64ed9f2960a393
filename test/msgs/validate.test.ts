import { describe, expect, it } from "vitest";
import {
  MessageShapeError,
  completeMessage,
  defaultMessage,
  messageValidator,
} from "../../src/msgs/validate.js";

const js = messageValidator("sensor_msgs/msg/JointState");
const good = {
  header: { stamp: { sec: 1, nanosec: 0 }, frame_id: "" },
  name: ["a"],
  position: new Float64Array([1]),
  velocity: [0],
  effort: [],
};

describe("message validation", () => {
  it("accepts complete messages with plain or typed arrays", () => {
    expect(js.check(good, "/joint_states")).toBe(false);
  });

  it("reports missing fields as incomplete, and completeMessage fills ROS defaults", () => {
    expect(js.check({ name: ["a"], position: [1] }, "/joint_states")).toBe(true);
    const full = completeMessage("sensor_msgs/msg/JointState", { name: ["a"], position: [1] });
    expect(full).toEqual({
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: "" },
      name: ["a"],
      position: [1],
      velocity: [],
      effort: [],
    });
    expect(js.check(full, "x")).toBe(false);
    expect(defaultMessage("std_msgs/msg/Float64MultiArray")).toEqual({
      layout: { dim: [], data_offset: 0 },
      data: [],
    });
  });

  it("rejects a wrong element type with the path to it", () => {
    expect(() => js.check({ ...good, position: [1, "2"] }, "/joint_states")).toThrow(
      "/joint_states: message of type sensor_msgs/msg/JointState: position[1]: expected float64, got string",
    );
  });

  it("rejects unknown field names", () => {
    expect(() => js.check({ ...good, positions: [1] }, "/t")).toThrow(/unknown field "positions"/);
  });

  it("rejects bad nested time", () => {
    const bad = { ...good, header: { stamp: { sec: 1, nanosec: 1e9 }, frame_id: "" } };
    expect(() => js.check(bad, "/t")).toThrow(/header\.stamp\.nanosec: expected an integer in \[0, 1e9\)/);
  });

  it("rejects non-arrays, out-of-range integers and wrong strings", () => {
    expect(() => js.check({ ...good, name: "a" }, "/t")).toThrow(/name: expected an array, got string/);
    const i32 = messageValidator("std_msgs/msg/Int32");
    expect(() => i32.check({ data: 2 ** 31 }, "/e")).toThrow(MessageShapeError);
    expect(() => i32.check({ data: 1.5 }, "/e")).toThrow(/expected int32/);
    const status = messageValidator("diagnostic_msgs/msg/DiagnosticArray");
    expect(() =>
      status.check(
        { status: [{ level: 0, name: "a", message: "", hardware_id: "", values: [{ key: 1 }] }] },
        "/diagnostics",
      ),
    ).toThrow(/status\[0\]\.values\[0\]\.key: expected string, got number/);
    expect(() => js.check(null, "/t")).toThrow(/expected a message object, got null/);
  });
});
