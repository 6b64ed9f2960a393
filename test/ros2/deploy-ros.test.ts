/**
 * launch/deploy.launch.xml under --ros (sim_robot + the policy node behind the shield, no behavior): the
 * policy drives the robot over DDS, its shield events reach /diagnostics, its parameters are typed ROS 2
 * parameters, and SIGINT leaves no node behind.
 */
import { afterAll, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writePolicyPackage } from "../../src/policy/package.js";
import { DEFAULT_QUANTILE_LEVELS } from "../../src/policy/support.js";
import { describeRos2, nodeList, ros2Env, run, startTether, waitUntil, type Proc } from "./ros2-env.js";

const DOMAIN = 216;

/** A pendulum policy that always asks for 1.9 N·m: far outside the behavior's support, so the shield acts. */
function writeConstantPolicy(dir: string): void {
  writePolicyPackage(dir, {
    robot: "pendulum",
    obsNames: ["cos_angle", "sin_angle", "angular_velocity"],
    actNames: ["pendulum_effort"],
    actionLow: [-2],
    actionHigh: [2],
    actor: {
      kind: "deterministic",
      obsDim: 3,
      actDim: 1,
      network: {
        layers: [
          {
            weight: new Float32Array(3),
            bias: Float32Array.of(0.95),
            inDim: 3,
            outDim: 1,
            activation: "linear",
          },
        ],
      },
      obsMean: [0, 0, 0],
      obsStd: [1, 1, 1],
    },
    support: { quantiles: { levels: [...DEFAULT_QUANTILE_LEVELS], values: [[-0.6, -0.5, 0, 0.5, 0.6]] } },
    provenance: { algorithm: "test", datasetHash: "0".repeat(8), config: {}, metrics: {} },
  });
}

describeRos2("deploy.launch.xml under --ros", () => {
  let launch: Proc | undefined;
  afterAll(async () => {
    await launch?.interrupt();
  });

  it("the policy drives sim_robot over DDS, reports to /diagnostics, and shuts down cleanly", async () => {
    const env = ros2Env(DOMAIN);
    const dir = mkdtempSync(join(tmpdir(), "tether-ros2-deploy-"));
    writeConstantPolicy(join(dir, "model"));
    launch = startTether(
      [
        "launch",
        "launch/deploy.launch.xml",
        "--ros",
        `model:=${join(dir, "model")}`,
        "shadow:=false",
        "episodes:=0",
        `run_log:=${join(dir, "run.jsonl")}`,
      ],
      env,
    );
    await waitUntil(
      async () => (await nodeList(env)).join(" ") === "/policy /sim_robot",
      "/policy and /sim_robot in ros2 node list",
      90_000,
    );
    const cmd = await run(
      "ros2",
      [
        "topic",
        "echo",
        "--once",
        "--no-daemon",
        "/forward_effort_controller/commands",
        "std_msgs/msg/Float64MultiArray",
      ],
      env,
    );
    expect(cmd.code, cmd.out).toBe(0);
    // The shield keeps the command inside the behavior's support (the policy asks for 1.9).
    const value = Number(/data:\n- (-?[\d.e-]+)/.exec(cmd.out)?.[1]);
    expect(Math.abs(value)).toBeLessThan(1.9);
    const diag = await run(
      "ros2",
      ["topic", "echo", "--once", "--no-daemon", "/diagnostics", "diagnostic_msgs/msg/DiagnosticArray"],
      env,
    );
    expect(diag.code, diag.out).toBe(0);
    expect(diag.out).toMatch(/status:\n- level: /);
    expect(diag.out).toMatch(/name: /);

    const get = async (name: string) =>
      (await run("ros2", ["param", "get", "--no-daemon", "/policy", name], env)).out.trim();
    // deploy.launch.xml passes "2.0" and "0.125": doubles, as ros2 launch would give them.
    expect(await get("support_k")).toBe("Double value is: 2.0");
    expect(await get("max_delta")).toBe("Double value is: 0.125");
    expect(await get("shadow")).toBe("Boolean value is: False");

    expect(await launch.interrupt()).toBe(0);
    expect(await nodeList(env)).toEqual([]);
  });
});
