import { describe, expect, it } from "vitest";
import { loadRobot } from "../../src/robot/load.js";
import { envStepRun, rawStepRun } from "../../src/sim/bench.js";

// Smoke only: benchmarks measure speed, unit tests must not assert timings.
describe("bench sim building blocks", () => {
  it("runs the raw and env loops and reports positive finite rates", async () => {
    const robot = loadRobot("pusher");
    for (const make of [rawStepRun, envStepRun]) {
      const { run, dispose } = await make(robot, 2000);
      const rate = run();
      dispose();
      expect(Number.isFinite(rate.wall) && rate.wall > 0).toBe(true);
      expect(rate.cpu).toBeGreaterThan(0);
    }
  });
});
