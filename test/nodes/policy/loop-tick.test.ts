/**
 * The policy node's real-time tick (loop-tick.ts) pre-wakes its policy worker before a slot only when that
 * slot's tick will ask the policy: not before the state has arrived, and never while the e-stop is latched,
 * whichever way it was latched (a fatal monitor, a fault in the tick). The tick runs here on the test's
 * thread with its real SafetyCore and a real WorkerPolicy thread; the pre-wakes are counted on WorkerPolicy.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import { DEFAULT_SHIELD_PARAMS } from "../../../src/nodes/policy/build-shield.js";
import { createPolicyLoopBuffers, LOOP, SOURCES } from "../../../src/nodes/policy/loop-shared.js";
import { createRealtimeTick } from "../../../src/nodes/policy/loop-tick.js";
import { loadRobot } from "../../../src/robot/load.js";
import { signalLayout } from "../../../src/robot/signals.js";
import type { RealtimeTick } from "../../../src/safety/loop/realtime-tick.js";
import { WorkerPolicy } from "../../../src/safety/loop/worker-policy.js";
import { writeConstantPolicy } from "../../ros2/constant-policy.js";

const spec = loadRobot("pendulum").spec;
const layout = signalLayout(spec);
const VELOCITY = layout.index.get("velocity.pendulum_joint")!;
// robots/pendulum/robot.yaml: 15 rad/s, past which joint_limits is fatal.
const VELOCITY_LIMIT = spec.safety.joints.pendulum_joint.velocity;
if (VELOCITY_LIMIT === undefined)
  throw new Error("robots/pendulum/robot.yaml: pendulum_joint has no velocity limit");

const dir = mkdtempSync(join(tmpdir(), "tether-loop-tick-"));
beforeAll(() => writeConstantPolicy(dir));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let prewakes: MockInstance<WorkerPolicy["prewake"]>;
let asks: MockInstance<WorkerPolicy["act"]>;
let rt: RealtimeTick<null> | undefined;
afterEach(() => {
  rt?.finish();
  rt = undefined;
  prewakes.mockRestore();
  asks.mockRestore();
});

/** The tick on fresh shared buffers, as the policy node starts it with policy_prewake_ms 1. */
async function start(throwAtTick?: number) {
  // Count the pre-wakes and the policy's actions, each passed on to the real worker.
  prewakes = vi.spyOn(WorkerPolicy.prototype, "prewake");
  asks = vi.spyOn(WorkerPolicy.prototype, "act");
  const buffers = createPolicyLoopBuffers(layout.size, spec.actuators.length);
  rt = await createRealtimeTick({
    core: {
      where: "node /policy",
      robot: "pendulum",
      model: dir,
      fallback: "none",
      rateHz: 0,
      params: DEFAULT_SHIELD_PARAMS,
      frozenRepeats: 2,
      returnWindow: 0,
      returnBaseline: 0,
      returnMaxDrop: 0,
      shadow: false,
    },
    buffers,
    // Generous, so that on a loaded machine each request is answered before the next one.
    policyTimeoutMs: 5000,
    policyPrewakeMs: 1,
    throwAtTick,
  });
  const { ctrl, state, command } = buffers;
  /** Writes a state in under the seqlock, as policy-loop.ts does, stamped now on the loop's clock. */
  const writeState = (velocity: number): void => {
    Atomics.add(ctrl, LOOP.stateSeq, 1);
    state.fill(0);
    state[0] = performance.timeOrigin + performance.now();
    state[1 + VELOCITY] = velocity;
    Atomics.add(ctrl, LOOP.stateSeq, 1);
  };
  const source = (s: (typeof SOURCES)[number]): number =>
    Atomics.load(ctrl, LOOP.sources + SOURCES.indexOf(s));
  let slot = 0;
  /** One slot as the loop runs it: prepare, then the tick. */
  const slotOnce = (): void => {
    rt!.prepare!(slot);
    rt!.tick(slot++);
  };
  return { ctrl, command, writeState, source, slotOnce };
}

describe("the policy loop tick's prepare (policy_prewake_ms)", () => {
  it.each([
    ["a fatal monitor (joint_limits)", undefined],
    ["a fault thrown in the tick", 1],
  ])(
    "pre-wakes the policy only for healthy ticks, never while the e-stop latched by %s holds",
    async (_, at) => {
      const { ctrl, command, writeState, source, slotOnce } = await start(at);
      expect(rt!.prepare).toBeDefined();

      // Before the state has arrived no tick asks the policy: no pre-wake either.
      slotOnce();
      expect(prewakes).not.toHaveBeenCalled();
      expect(Atomics.load(ctrl, LOOP.ticks)).toBe(0);

      // A healthy tick: pre-woken, then it asks the policy (whose answer may miss the deadline on a loaded
      // machine: the tick then holds, which is no e-stop).
      writeState(0);
      Atomics.store(ctrl, LOOP.ready, 1);
      slotOnce();
      expect(prewakes).toHaveBeenCalledTimes(1);
      expect(asks).toHaveBeenCalledTimes(1);
      expect(Atomics.load(ctrl, LOOP.estop)).toBe(0);

      // Latch the e-stop: the pendulum past its velocity limit, or the injected fault after core tick 1.
      if (at === undefined) writeState(VELOCITY_LIMIT + 10);
      slotOnce();
      // This slot's prepare came before its tick latched the e-stop, and the tick still asked the policy.
      expect(prewakes).toHaveBeenCalledTimes(2);
      expect(asks).toHaveBeenCalledTimes(2);
      expect(Atomics.load(ctrl, LOOP.estop)).toBe(1);

      // Latched, with the state healthy again: zero effort every slot, the policy neither asked nor pre-woken.
      writeState(0);
      for (let k = 0; k < 20; k++) slotOnce();
      expect(prewakes).toHaveBeenCalledTimes(2);
      expect(asks).toHaveBeenCalledTimes(2);
      expect(Atomics.load(ctrl, LOOP.estop)).toBe(1);
      expect(Array.from(command)).toEqual([0]);
      // The monitor's e-stop counts from the tick that saw the fault; the thrown tick is a fault instead.
      expect(source("estop")).toBe(at === undefined ? 21 : 20);
      expect(Atomics.load(ctrl, LOOP.faults)).toBe(at === undefined ? 0 : 1);
    },
  );
});
