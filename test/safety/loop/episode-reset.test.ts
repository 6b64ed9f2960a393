/**
 * A new episode reaches a policy with memory (a decision transformer's context): SafetyCore.endEpisode
 * resets its policy, and WorkerPolicy carries the reset across to the controller in its worker.
 */
import { afterEach, describe, expect, it } from "vitest";
import { signalLayout } from "../../../src/robot/signals.js";
import { hardLimitsFromSpec } from "../../../src/safety/clamps/hard-limits.js";
import { Shield } from "../../../src/safety/clamps/shield.js";
import { ClockScheduler } from "../../../src/safety/loop/clock-scheduler.js";
import { SYNTHETIC_ARM } from "../../../src/safety/loop/synthetic-plant.js";
import { WorkerPolicy } from "../../../src/safety/loop/worker-policy.js";
import { SafetyCore } from "../../../src/safety/safety-core.js";

let policy: WorkerPolicy | undefined;
afterEach(async () => {
  await policy?.close();
  policy = undefined;
});

describe("episode resets", () => {
  it("WorkerPolicy: each reset reaches the worker's controller before its next action, once", async () => {
    policy = await WorkerPolicy.start({
      module: new URL("./fixtures/resetting-controller.ts", import.meta.url).href,
      obsDim: 1,
      sigDim: 1,
      actDim: 2,
      timeoutMs: 5000,
    });
    const out = new Float64Array(2);
    const act = (x: number): number[] => {
      policy!.act(Float32Array.of(x), new Float64Array(1), out);
      return Array.from(out);
    };
    expect(act(0.5)).toEqual([0, 0.5]);
    policy.reset();
    expect(act(0.25)).toEqual([1, 0.25]);
    expect(act(0.125)).toEqual([1, 0.125]);
    policy.reset();
    policy.reset();
    expect(act(1)).toEqual([2, 1]); // two resets between ticks clear the context once
  });

  it("SafetyCore.endEpisode resets its policy", () => {
    let resets = 0;
    const core = new SafetyCore({
      spec: SYNTHETIC_ARM,
      shield: new Shield({ limits: hardLimitsFromSpec(SYNTHETIC_ARM), maxDelta: 2 }),
      policy: { act: (_o, _s, out) => out.fill(0), reset: () => resets++ },
      scheduler: new ClockScheduler(0),
    });
    core.tick(0, new Float64Array(signalLayout(SYNTHETIC_ARM).size));
    core.endEpisode(0, 1.5);
    expect(resets).toBe(1);
    core.close();
  });
});
