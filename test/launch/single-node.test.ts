import { describe, expect, it } from "vitest";
import { nodeDescriptionFromArgs } from "../../src/launch/single-node.js";

describe("tether node run arguments", () => {
  it("reads -p, -r, __ns and __node like ros2 run --ros-args", () => {
    const d = nodeDescriptionFromArgs("sim_robot", [
      "--fast",
      "--ros-args",
      "-p",
      "mode:=realtime",
      "-p",
      "seed:=3",
      "-r",
      "__ns:=/arm",
      "-r",
      "__node:=sim",
      "-r",
      "cmd:=/x",
    ]);
    expect(d.nodes[0]).toMatchObject({
      executable: "sim_robot",
      name: "sim",
      namespace: "/arm",
      fullName: "/arm/sim",
      parameters: { mode: "realtime", seed: 3 },
      remaps: [{ from: "cmd", to: "/x" }],
      args: ["--fast"],
    });
  });

  it("rejects malformed ROS arguments", () => {
    expect(() => nodeDescriptionFromArgs("x", ["-p", "seed"])).toThrow(/-p expects name:=value, got "seed"/);
    expect(() => nodeDescriptionFromArgs("x", ["--ros-args", "--log-level", "debug"])).toThrow(
      /unsupported ROS argument "--log-level"/,
    );
  });
});
