/**
 * The policy node's e-stop reset as a real ROS 2 service: states from `ros2 topic pub` trip the latch
 * (a velocity beyond the pendulum's limit), and `ros2 service call <ns>/policy/reset_estop
 * std_srvs/srv/Trigger` answers success and clears it, after which the shielded commands move again.
 */
import { afterAll, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeConstantPolicy } from "./constant-policy.js";
import {
  describeRos2,
  nodeList,
  ros2Env,
  run,
  start,
  startTether,
  waitUntil,
  type Proc,
} from "./ros2-env.js";

const DOMAIN = 231;

/** `ros2 topic pub` of pendulum joint states at 100 Hz, stamped now by the CLI (the policy checks their age). */
function publishStates(velocity: number, env: NodeJS.ProcessEnv): Proc {
  const msg = `{header: {stamp: now}, name: [pendulum_joint], position: [0.0], velocity: [${velocity}], effort: [0.0]}`;
  return start(
    "ros2",
    ["topic", "pub", "-r", "100", "/arm/joint_states", "sensor_msgs/msg/JointState", msg],
    env,
  );
}

async function lastCommand(env: NodeJS.ProcessEnv): Promise<number> {
  const echo = await run(
    "ros2",
    ["topic", "echo", "--once", "--no-daemon", "/arm/commands", "std_msgs/msg/Float64MultiArray"],
    env,
  );
  expect(echo.code, echo.out).toBe(0);
  return Number(/data:\n- (-?[\d.e-]+)/.exec(echo.out)?.[1]);
}

describeRos2("the policy node's ~/reset_estop service under real ROS 2", () => {
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs.reverse()) await p.interrupt();
  });

  it("ros2 service call std_srvs/srv/Trigger answers success and clears a latched e-stop", async () => {
    const env = ros2Env(DOMAIN);
    const dir = mkdtempSync(join(tmpdir(), "tether-ros2-estop-"));
    writeConstantPolicy(join(dir, "model"));
    const policy = startTether(
      [
        "node",
        "run",
        "policy",
        "--ros",
        "--ros-args",
        "-r",
        "__ns:=/arm",
        "-r",
        "/joint_states:=/arm/joint_states",
        "-r",
        "/forward_effort_controller/commands:=/arm/commands",
        "-p",
        "robot:=pendulum",
        "-p",
        `model:=${join(dir, "model")}`,
        "-p",
        "fallback:=none",
        "-p",
        "loop_spin_ms:=1.0", // the test machine's cores are shared: spin 1 ms per slot, not the whole period
      ],
      env,
    );
    procs.push(policy);
    await waitUntil(async () => (await nodeList(env)).includes("/arm/policy"), "/arm/policy", 90_000);

    // 20 rad/s is beyond the pendulum's velocity limit: the shield latches the e-stop.
    const fast = publishStates(20, env);
    procs.push(fast);
    await policy.waitFor(/E-STOP: .*call the service ~\/reset_estop to clear/, 60_000);
    await fast.interrupt();
    const calm = publishStates(0, env);
    procs.push(calm);
    // Latched: zero effort although the states are calm again.
    expect(await lastCommand(env)).toBe(0);

    const call = await run(
      "ros2",
      ["service", "call", "/arm/policy/reset_estop", "std_srvs/srv/Trigger"],
      env,
    );
    expect(call.code, call.out).toBe(0);
    // The cause is velocity, or stale state when `ros2 topic pub` paused after its first message: either trips.
    expect(call.out).toMatch(
      /success=True, message='e-stop cleared \(it tripped on: [^']*(velocity|no state for)/,
    );
    await policy.waitFor(/e-stop reset by service \/arm\/policy\/reset_estop/, 10_000);
    // The policy drives again (its constant 1.9 N·m request, rate-limited and shielded: positive, below 1.9).
    let value = 0;
    await waitUntil(async () => (value = await lastCommand(env)) > 0, "a non-zero command after the reset");
    expect(value).toBeLessThan(1.9);

    // Nothing latched now: a second call succeeds and says so.
    const again = await run(
      "ros2",
      ["service", "call", "/arm/policy/reset_estop", "std_srvs/srv/Trigger"],
      env,
    );
    expect(again.out).toMatch(/success=True, message='no e-stop was latched'/);
  });
});
