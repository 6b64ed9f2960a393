/**
 * launch/deploy.launch.xml under --ros (sim_robot + the policy node behind the shield, no behavior): the
 * policy drives the robot over DDS, its shield events reach /diagnostics, its parameters are typed ROS 2
 * parameters, and SIGINT leaves no node behind.
 */
import { afterAll, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeConstantPolicy } from "./constant-policy.js";
import { describeRos2, nodeList, ros2Env, run, startTether, waitUntil, type Proc } from "./ros2-env.js";

const DOMAIN = 216;

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
