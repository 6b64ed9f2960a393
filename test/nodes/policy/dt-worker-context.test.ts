/**
 * The policy node's live path with a decision transformer in its policy worker (loop-tick.ts's set-up: the
 * node's SafetyCore over a WorkerPolicy, the BC fallback), driving MuJoCo's pendulum: a deadline miss, the
 * ticks that then find the worker busy and a run of e-stop ticks all hand the tick to something else, and the
 * transformer's context must still hold every tick, with the command the robot applied and its reward.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SHIELD_PARAMS } from "../../../src/nodes/policy/build-shield.js";
import { loadPolicyCore, type PolicyCoreOptions } from "../../../src/nodes/policy/policy-core.js";
import { loadRobot } from "../../../src/robot/load.js";
import { signalLayout } from "../../../src/robot/signals.js";
import { safetyEvent } from "../../../src/safety/events.js";
import { ClockScheduler } from "../../../src/safety/loop/clock-scheduler.js";
import { WorkerPolicy } from "../../../src/safety/loop/worker-policy.js";
import { MujocoEnv } from "../../../src/sim/mujoco-env.js";
import { pendulumColumns } from "../../policy/fixtures/pendulum-columns.js";
import { trainTinyDtPackage } from "../../policy/fixtures/tiny-dt-package.js";

const robot = loadRobot("pendulum");
const [lo, hi] = robot.spec.actuators[0].range;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tether-dt-worker-"));
  await trainTinyDtPackage(
    dir,
    pendulumColumns(200, (rng) => rng.uniform(0, 1)),
  );
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("decision transformer in the policy worker", () => {
  it("a deadline miss, busy ticks and e-stop ticks still join the context with the applied command and reward", async () => {
    const N = 60;
    const gateAt = 10; // this tick's action blocks until after tick 14: it times out, 11..14 find it busy
    const openAfter = 14;
    const estopFrom = 30; // ticks 30..39 under the e-stop, reset before tick 40
    const estopTo = 40;
    const options: PolicyCoreOptions = {
      where: "test",
      robot: "pendulum",
      model: dir,
      fallback: "bc",
      rateHz: 0,
      params: DEFAULT_SHIELD_PARAMS,
      frozenRepeats: 0,
      returnWindow: 0,
      returnBaseline: 0,
      returnMaxDrop: 0,
      shadow: false,
    };
    const parts = await loadPolicyCore(options);
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const steps = new Int32Array(new SharedArrayBuffer(4));
    const probe = new Float64Array(new SharedArrayBuffer(8 * (N + 2)));
    const policy = await WorkerPolicy.start({
      module: new URL("./fixtures/probed-dt-policy.ts", import.meta.url).href,
      options: { core: options, gate, steps, probe },
      obsDim: parts.stack.runner.obsDim,
      sigDim: signalLayout(robot.spec).size,
      actDim: parts.stack.runner.actDim,
      timeoutMs: 100,
    });
    const scheduler = new ClockScheduler(0);
    const core = parts.makeCore(scheduler, { record: () => undefined }, policy);
    const env = await MujocoEnv.create(robot, { seed: 4 });
    const commands: number[] = [];
    const rewards: number[] = [];
    const sources: string[] = [];
    const messages: string[][] = [];
    try {
      env.reset(21);
      let simMs = 0;
      for (let t = 0; t < N; t++) {
        if (t === gateAt) Atomics.store(gate, 0, 1);
        if (t === estopFrom)
          core.raise(safetyEvent("test", "estop", "fatal", 0, 0, scheduler.now(), "test e-stop"));
        if (t === estopTo) expect(core.resetEStop("test")).toBe(true);
        simMs += core.periodMs;
        scheduler.advanceTo(simMs);
        const out = core.tick(simMs, env.signals());
        sources.push(out.source);
        messages.push(out.events.map((e) => e.message));
        commands.push(out.command[0]);
        if (t === openAfter) {
          Atomics.store(gate, 0, 0);
          Atomics.notify(gate, 0);
        }
        const step = env.stepActuators(out.command);
        rewards.push(step.reward);
        expect(step.terminated || step.truncated).toBe(false);
      }
      // The worker takes the last ticks in on its own time.
      for (let i = 0; i < 3000 && Atomics.load(steps, 0) < N; i++) await sleep(10);
    } finally {
      core.close();
      env.close();
      await policy.close();
    }

    // What the loop saw: the deadline miss and the busy ticks went to the fallback, the e-stop ticks to zero.
    expect(sources[gateAt]).toBe("fallback");
    for (let t = gateAt + 1; t <= openAfter; t++) {
      expect(sources[t], `tick ${t}`).toBe("fallback");
      expect(messages[t].join(" "), `tick ${t}`).toMatch(/still busy/);
    }
    for (let t = estopFrom; t < estopTo; t++) expect(sources[t], `tick ${t}`).toBe("estop");

    // Every tick is a step of the context, and every settled step holds the command the robot applied.
    expect(Atomics.load(steps, 0)).toBe(N);
    for (let t = 0; t < N - 1; t++) {
      const applied = (2 * (commands[t] - lo)) / (hi - lo) - 1;
      expect(probe[1 + t], `step ${t} (${sources[t]})`).toBeCloseTo(applied, 9);
    }
    // The return-to-go fell by the reward of every settled step (the last one's arrives with the next tick).
    const target = parts.pkg.transformer!.targetReturn;
    const collected = rewards.slice(0, N - 1).reduce((x, y) => x + y, 0);
    expect(Math.abs(target - collected - probe[0])).toBeLessThan(1e-6);
    expect(Math.abs(collected)).toBeGreaterThan(0.01);
  }, 180_000);
});
