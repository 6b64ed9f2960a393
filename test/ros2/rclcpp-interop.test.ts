/**
 * C++ on the same graph: rclcpp's demo nodes (demo_nodes_cpp) and Tether's nodes exchange messages in both
 * directions. rclcpp `talker` -> Tether `run_log` (an MCAP that rosbag2's C++ reader counts), then that run
 * log -> Tether `replay` -> rclcpp `listener`, which must hear every recorded message.
 */
import { afterAll, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

const DOMAIN = 232;

/**
 * A demo_nodes_cpp executable, started directly rather than through `ros2 run`, which (outside a terminal)
 * does not pass SIGINT on to the node.
 */
async function demoNode(name: string, env: NodeJS.ProcessEnv): Promise<Proc> {
  const prefix = await run("ros2", ["pkg", "prefix", "demo_nodes_cpp"], env);
  expect(prefix.code, prefix.out).toBe(0);
  return start(join(prefix.out.trim(), "lib", "demo_nodes_cpp", name), [], env);
}

/** The k of every "<prefix>[Hello World: k]" line, in order. */
const helloNumbers = (out: string, prefix: RegExp): number[] =>
  [...out.matchAll(new RegExp(`${prefix.source}'?\\[?Hello World: (\\d+)`, "g"))].map((m) => Number(m[1]));

describeRos2("rclcpp (demo_nodes_cpp) and Tether nodes on one ROS 2 graph", () => {
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs.reverse()) await p.interrupt();
  });

  it("talker -> Tether run_log -> Tether replay -> listener carries every message", async () => {
    const env = ros2Env(DOMAIN);
    const dir = mkdtempSync(join(tmpdir(), "tether-ros2-rclcpp-"));
    const mcap = join(dir, "chatter.mcap");

    // rclcpp -> Tether: the run log records /chatter from the C++ talker.
    const runLog = startTether(
      [
        "node",
        "run",
        "run_log",
        "--ros",
        "--ros-args",
        "-p",
        `file:=${mcap}`,
        "-p",
        "topics:=/chatter:std_msgs/msg/String",
      ],
      env,
    );
    procs.push(runLog);
    await runLog.waitFor(/run_log: recording/, 60_000);
    const talker = await demoNode("talker", env);
    procs.push(talker);
    await talker.waitFor(/Publishing: 'Hello World: 4'/, 60_000);
    expect(await talker.interrupt()).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(await runLog.interrupt(), runLog.output()).toBe(0);
    const published = helloNumbers(talker.output(), /Publishing: /);
    expect(published.slice(0, 4)).toEqual([1, 2, 3, 4]);

    // rosbag2's own (C++) MCAP reader counts what Tether wrote: every message after discovery (the first may
    // go out before the talker matched the run log).
    const info = await run("ros2", ["bag", "info", mcap], env);
    expect(info.code, info.out).toBe(0);
    const count = Number(
      /Topic: \/chatter \| Type: std_msgs\/msg\/String \| Count: (\d+)/.exec(info.out)?.[1],
    );
    expect(count).toBeGreaterThanOrEqual(published.length - 1);
    expect(count).toBeLessThanOrEqual(published.length);
    const recorded = published.slice(published.length - count);

    // Tether -> rclcpp: the listener hears the replayed messages (looped, so one missed during discovery
    // comes round again).
    const listener = await demoNode("listener", env);
    procs.push(listener);
    await waitUntil(async () => (await nodeList(env)).includes("/listener"), "/listener in ros2 node list");
    const replay = startTether(
      [
        "node",
        "run",
        "replay",
        "--ros",
        "--ros-args",
        "-p",
        `bag:=${mcap}`,
        "-p",
        "rate:=4.0",
        "-p",
        "loop:=true",
      ],
      env,
    );
    procs.push(replay);
    await waitUntil(
      () => recorded.every((k) => helloNumbers(listener.output(), /I heard: /).includes(k)),
      `the listener hearing Hello World: ${recorded.join(", ")}`,
      60_000,
    );
    expect(await replay.interrupt()).toBe(0);
    expect(await listener.interrupt()).toBe(0);
    // Nothing the talker did not say, and in the recorded order within each pass.
    const heard = helloNumbers(listener.output(), /I heard: /);
    expect(new Set(heard)).toEqual(new Set(recorded));
    for (let i = 1; i < heard.length; i++)
      if (heard[i] !== recorded[0]) expect(heard[i]).toBe(heard[i - 1] + 1);
  });
});
