/**
 * The worker loop's episode return (loop-tick.ts) equals MujocoEnv's for the same episode, within 1e-9. The
 * real tick runs here on the test's thread, with its real SafetyCore and policy worker; the main thread's
 * side (shared state under the seqlock, episode marks as messages) is played by the test, which applies
 * each command to a real MuJoCo pendulum as the lock-step sim robot does. parentPort is a MessageChannel
 * port here, so the marks reach the tick as they do in the loop worker.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { receiveMessageOnPort } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_SHIELD_PARAMS } from "../../../src/nodes/policy/build-shield.js";
import {
  createPolicyLoopBuffers,
  LOOP,
  type ControlMessage,
  type LoopMessage,
} from "../../../src/nodes/policy/loop-shared.js";
import { createRealtimeTick } from "../../../src/nodes/policy/loop-tick.js";
import { MujocoEnv } from "../../../src/sim/mujoco-env.js";
import { writeConstantPolicy } from "../../ros2/constant-policy.js";

// The loop worker's parentPort, played by one end of a channel whose other end is the main thread's.
const channel = await vi.hoisted(async () => {
  const { MessageChannel } = await import("node:worker_threads");
  return new MessageChannel();
});
vi.mock("node:worker_threads", async (original) => ({
  ...(await original<typeof import("node:worker_threads")>()),
  parentPort: channel.port1,
}));

const dir = mkdtempSync(join(tmpdir(), "tether-loop-tick-return-"));
beforeAll(() => writeConstantPolicy(dir));
afterAll(() => {
  channel.port1.close();
  channel.port2.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the worker loop's episode return", () => {
  it("equals the sim's on real MuJoCo pendulum episodes, whichever way each one ends", async () => {
    const env = await MujocoEnv.create("pendulum", { seed: 0 });
    const layout = env.task.layout;
    const buffers = createPolicyLoopBuffers(layout.size, env.actDim);
    const rt = await createRealtimeTick({
      core: {
        where: "node /policy",
        robot: "pendulum",
        model: dir,
        fallback: "none",
        rateHz: 0,
        params: DEFAULT_SHIELD_PARAMS,
        frozenRepeats: 2,
        returnWindow: 1,
        returnBaseline: 1e6,
        returnMaxDrop: 0,
        shadow: false,
      },
      buffers,
      // Generous, so that on a loaded machine each request is answered before the next one.
      policyTimeoutMs: 5000,
    });
    try {
      const { ctrl, state, command } = buffers;
      // The main thread's latest state (policy-node.ts: assembler.signals).
      let latest = env.signals();
      /** A new state into shared memory under the seqlock, as policy-loop.ts writes it. */
      const writeState = (): void => {
        latest = env.signals();
        Atomics.add(ctrl, LOOP.stateSeq, 1);
        state[0] = performance.timeOrigin + performance.now();
        state.set(latest, 1);
        Atomics.add(ctrl, LOOP.stateSeq, 1);
      };
      const post = (m: ControlMessage): void => {
        channel.port2.postMessage(m);
        Atomics.add(ctrl, LOOP.control, 1);
      };
      const mark = (data: number): void =>
        post({ type: "episode", data, stateSeq: Atomics.load(ctrl, LOOP.stateSeq), signals: latest.slice() });
      let slot = 0;
      /** One slot; returns the command it left. */
      const tick = (): number[] => {
        const before = Atomics.load(ctrl, LOOP.cmdSeq);
        rt.tick(slot++);
        expect(Atomics.load(ctrl, LOOP.cmdSeq), `a command in slot ${slot}`).toBe(before + 1);
        return Array.from(command);
      };

      env.reset(5);
      mark(0);
      writeState();
      Atomics.store(ctrl, LOOP.ready, 1);
      const simReturns: number[] = [];
      // Episode 0 ends as under the lock-step sim robot (a tick on the final state, whose command is never
      // applied); episode 1 as it may in real time (the final state arrives, then the mark, before the next
      // slot reads it).
      for (const episode of [0, 1]) {
        let simReturn = 0;
        for (;;) {
          const r = env.stepActuators(tick());
          simReturn += r.reward;
          writeState();
          if (r.terminated || r.truncated) break;
        }
        simReturns.push(simReturn);
        if (episode === 0) tick();
        mark(episode + 1);
        env.reset(6 + episode);
        writeState(); // the next episode's first state may already be in shared memory when the mark is read
      }
      tick(); // the last episode's event joins this tick

      const messages: LoopMessage[] = [];
      for (
        let m = receiveMessageOnPort(channel.port2);
        m !== undefined;
        m = receiveMessageOnPort(channel.port2)
      )
        messages.push(m.message as LoopMessage);
      const entries = messages.flatMap((m) => (m.type === "log" ? [m.entry] : []));
      expect(entries.find((e) => e.kind === "estop")).toBeUndefined();
      const returns = entries.flatMap((e) =>
        e.kind === "event" && e.event.monitor === "return_collapse" ? [e.event.observed] : [],
      );
      expect(returns).toHaveLength(2);
      for (let i = 0; i < 2; i++)
        expect(
          Math.abs(returns[i] - simReturns[i]),
          `episode ${i}: ${returns[i]} vs ${simReturns[i]}`,
        ).toBeLessThanOrEqual(1e-9);
    } finally {
      rt.finish();
      env.close();
    }
  }, 180_000);
});
