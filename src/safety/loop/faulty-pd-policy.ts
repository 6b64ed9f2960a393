/**
 * The fault-injection harness's PD "policy" for the synthetic arm, built inside a policy worker
 * (WorkerPolicy): the harness arms a fault through a shared flag, and the policy reports through the same
 * block whether it is stuck right now, so the harness can see what the loop published meanwhile.
 */
import { performance } from "node:perf_hooks";
import { signalLayout } from "../../robot/signals.js";
import type { Controller } from "../fallback.js";
import { SYNTHETIC_ARM, pdAction } from "./synthetic-plant.js";

/** Int32 slots of the fault block. */
export const FAULT = { armed: 0, stuck: 1 } as const;
export const ARMED = { none: 0, latencySpike: 1, crash: 2 } as const;

export interface FaultyPdOptions {
  /** Int32Array over a SharedArrayBuffer, FAULT slots. */
  block: Int32Array;
  target: number[];
  kp: number;
  kd: number;
  /** How long the latency spike holds the policy call, ms. */
  spikeMs: number;
}

export function createController(options: FaultyPdOptions): Controller {
  const layout = signalLayout(SYNTHETIC_ARM);
  const { block, target, kp, kd, spikeMs } = options;
  let spiked = false;
  return {
    act(_obs, signals, out) {
      const armed = Atomics.load(block, FAULT.armed);
      if (armed === ARMED.crash) throw new Error("injected policy crash");
      if (armed === ARMED.latencySpike && !spiked) {
        spiked = true;
        Atomics.store(block, FAULT.stuck, 1);
        // A call blocked for spikeMs (on a lock, a device, a page fault) without burning a core: on a shared
        // 2-core machine a spinning stand-in would preempt the control thread it is meant to test.
        const until = performance.now() + spikeMs;
        for (let left = spikeMs; left > 0; left = until - performance.now())
          Atomics.wait(block, FAULT.stuck, 1, left);
        Atomics.store(block, FAULT.stuck, 0);
      }
      pdAction(signals, layout, target, kp, kd, out);
    },
  };
}
