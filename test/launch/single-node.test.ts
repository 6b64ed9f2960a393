import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
      "--log-level",
      "debug",
    ]);
    expect(d.nodes[0]).toMatchObject({
      executable: "sim_robot",
      name: "sim",
      namespace: "/arm",
      fullName: "/arm/sim",
      parameters: { mode: "realtime", seed: 3 },
      remaps: [{ from: "cmd", to: "/x" }],
      args: ["--fast"],
      logLevels: ["debug"],
    });
  });

  it("reads --params-file like ros2 launch passes <param>s: files in order, then -p on top", () => {
    const dir = mkdtempSync(join(tmpdir(), "tether-single-node-"));
    try {
      const a = join(dir, "a.yaml");
      const b = join(dir, "b.yaml");
      // The shapes launch_ros writes: "/**" for a node it cannot name in full, else the full name.
      writeFileSync(a, "/**:\n  ros__parameters:\n    seed: 1\n    mode: lockstep\n    rate: 2.0\n");
      writeFileSync(
        b,
        "/arm/sim:\n  ros__parameters:\n    seed: 2\nother:\n  ros__parameters:\n    seed: 9\n",
      );
      const d = nodeDescriptionFromArgs("sim_robot", [
        "--ros-args",
        "-r",
        "__node:=sim",
        "-p",
        "mode:=realtime",
        "--params-file",
        a,
        "-r",
        "__ns:=/arm",
        "--params-file",
        b,
      ]);
      expect(d.nodes[0].parameters).toEqual({ seed: 2, mode: "realtime", rate: 2 });
      expect(d.nodes[0].parameterFiles).toEqual([a, b]);
      expect(() =>
        nodeDescriptionFromArgs("x", ["--ros-args", "--params-file", join(dir, "none.yaml")]),
      ).toThrow(/--params-file .*none\.yaml: cannot read it/);
      writeFileSync(a, "/**:\n  seed: 1\n");
      expect(() => nodeDescriptionFromArgs("x", ["--params-file", a])).toThrow(
        /needs a ros__parameters mapping/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects malformed ROS arguments", () => {
    expect(() => nodeDescriptionFromArgs("x", ["-p", "seed"])).toThrow(/-p expects name:=value, got "seed"/);
    expect(() => nodeDescriptionFromArgs("x", ["--ros-args", "--enclave", "/e"])).toThrow(
      /unsupported ROS argument "--enclave"/,
    );
  });
});
