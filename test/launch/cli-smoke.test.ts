import { describe, expect, it, vi } from "vitest";
import { Command } from "commander";
import { registerBenchBus } from "../../src/cli/bench/bus.js";
import { registerLaunch } from "../../src/cli/commands/launch.js";
import { registerNode } from "../../src/cli/commands/node.js";
import { registerTopic } from "../../src/cli/commands/topic.js";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const tether = (...args: string[]) =>
  run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: ROOT, timeout: 60_000 }).then(
    (r) => r.stdout,
  );
const lastJson = (stdout: string): Record<string, unknown> =>
  JSON.parse(stdout.trim().split("\n").at(-1) ?? "");

describe("CLI smoke (tiny budgets)", () => {
  it("launch --print resolves launch/sim.launch.xml with arguments", async () => {
    const desc = JSON.parse(
      await tether("launch", "launch/sim.launch.xml", "--print", "robot:=pendulum", "level:=random"),
    );
    expect(desc.nodes.map((n: { fullName: string }) => n.fullName)).toEqual(["/sim_robot", "/behavior"]);
    expect(desc.nodes[0].parameters).toMatchObject({
      robot: "pendulum",
      mode: "lockstep",
      seed: 0,
      episodes: 0,
    });
    expect(desc.nodes[1].parameters).toMatchObject({ robot: "pendulum", level: "random" });
  }, 60_000);
});

/** Runs one registered command in-process (no tsx start-up), capturing stdout. */
async function inProcess(register: (p: Command) => void, args: string[]): Promise<string> {
  const program = new Command("tether").exitOverride();
  register(program);
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await program.parseAsync(["node", "tether", ...args]);
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  return out;
}

describe("CLI commands in-process (tiny budgets)", () => {
  it("topic list --json and node list --json report the sim graph; launch --duration returns", async () => {
    const topics = lastJson(
      await inProcess(registerTopic, [
        "topic",
        "list",
        "--launch",
        "launch/sim.launch.xml",
        "--duration",
        "0.3",
        "--json",
      ]),
    );
    expect((topics.topics as { name: string }[]).map((t) => t.name)).toEqual([
      "/clock",
      "/episode",
      "/forward_effort_controller/commands",
      "/goal",
      "/joint_states",
    ]);
    const nodes = lastJson(
      await inProcess(registerNode, [
        "node",
        "list",
        "--launch",
        "launch/sim.launch.xml",
        "--duration",
        "0.2",
        "--json",
      ]),
    );
    expect((nodes.nodes as { fullName: string }[]).map((n) => n.fullName)).toEqual([
      "/behavior",
      "/sim_robot",
    ]);
    const hz = lastJson(
      await inProcess(registerTopic, [
        "topic",
        "hz",
        "/clock",
        "--launch",
        "launch/sim.launch.xml",
        "--duration",
        "0.3",
        "--json",
      ]),
    );
    expect(hz).toMatchObject({
      topic: "/clock",
      type: "rosgraph_msgs/msg/Clock",
      stamp_rate_hz: expect.closeTo(50, 6),
    });
    await inProcess(registerLaunch, ["launch", "launch/sim.launch.xml", "--duration", "0.2"]);
  }, 60_000);

  it("bench bus --json ends with one JSON object", async () => {
    const registerBench = (p: Command) => registerBenchBus(p.command("bench"));
    const r = lastJson(
      await inProcess(registerBench, [
        "bench",
        "bus",
        "--json",
        "--messages",
        "20000",
        "--latency-samples",
        "200",
      ]),
    );
    expect(r).toMatchObject({ bench: "bus", jointstate_messages: 20000, jointstate_dropped: 0 });
    expect(typeof r.jointstate_msgs_per_s).toBe("number");
    expect(typeof r.latency_us_p99).toBe("number");
  }, 60_000);
});
