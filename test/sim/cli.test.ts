import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerRobot } from "../../src/cli/commands/robot.js";
import { registerSim } from "../../src/cli/commands/sim.js";

/** Runs `tether <args>` in-process and returns the JSON object on stdout's last line. */
async function runJson(args: string[]): Promise<Record<string, unknown>> {
  const program = new Command("tether").exitOverride();
  registerRobot(program);
  registerSim(program);
  const out: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  await program.parseAsync(["node", "tether", ...args]);
  vi.restoreAllMocks();
  const lines = out.join("").trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

afterEach(() => vi.restoreAllMocks());

describe("tether robot / sim (tiny budgets)", () => {
  it("robot list --json lists the robots", async () => {
    const r = await runJson(["robot", "list", "--json"]);
    expect((r.robots as { name: string }[]).map((x) => x.name)).toEqual(
      expect.arrayContaining(["pendulum", "reacher2", "pusher"]),
    );
  });

  it("robot show --json gives layouts and topics", async () => {
    const r = await runJson(["robot", "show", "reacher2", "--json"]);
    expect((r.actuators as { name: string }[]).map((a) => a.name)).toEqual([
      "shoulder_effort",
      "elbow_effort",
    ]);
    expect(r.topics).toMatchObject({
      command: "/forward_effort_controller/commands",
      tasks: [{ topic: "/goal", fields: ["x", "y"] }],
    });
    expect(r.observation).toHaveLength(10);
  });

  it("sim run --json prints returns, mean and normalized score", async () => {
    const r = await runJson([
      "sim",
      "run",
      "--robot",
      "pendulum",
      "--level",
      "expert",
      "--episodes",
      "2",
      "--seed",
      "3",
      "--workers",
      "0",
      "--json",
    ]);
    const returns = r.returns as number[];
    expect(returns).toHaveLength(2);
    expect(r.mean_return).toBeCloseTo((returns[0] + returns[1]) / 2, 9);
    expect(typeof r.normalized_score).toBe("number");
  });

  it("robot calibrate --dry-run measures without writing", async () => {
    const r = await runJson([
      "robot",
      "calibrate",
      "reacher2",
      "--episodes",
      "2",
      "--workers",
      "0",
      "--dry-run",
      "--json",
    ]);
    expect(r.written).toBe(false);
    expect(r.expert as number).toBeGreaterThan(r.random as number);
  });

  it("sim run rejects an unknown level", async () => {
    await expect(runJson(["sim", "run", "--robot", "pendulum", "--level", "godlike"])).rejects.toThrow(
      /--level expects random, medium or expert/,
    );
  });
});
