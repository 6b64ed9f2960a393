/**
 * The policy node's side of its real-time loop: starts the loop worker (loop-tick.ts) on shared buffers,
 * writes each state in under the seqlock, and wakes on each command the loop leaves (Atomics.waitAsync, so
 * the node's event loop stays free between commands) to hand it to the node, which publishes it.
 */
import type { ControlSource } from "../../safety/fallback.js";
import { createLoopRecord, summarizeLoop, type LoopSummary } from "../../safety/loop/realtime-loop.js";
import { startRealtimeWorker, type RealtimeWorkerRun } from "../../safety/loop/realtime-runner.js";
import {
  createPolicyLoopBuffers,
  LOOP,
  SOURCES,
  type ControlMessage,
  type LoopMessage,
  type PolicyLoopBuffers,
} from "./loop-shared.js";
import type { PolicyLoopOptions } from "./loop-tick.js";

export interface PolicyLoopSpec {
  tick: Omit<PolicyLoopOptions, "buffers">;
  sigDim: number;
  actDim: number;
  rateHz: number;
  /** Busy-wait before each slot, ms (< 0: the whole period). */
  spinMs: number;
  /** Slots kept for `summary()` (a ring). */
  recordSlots: number;
  /** A command the loop left (a view on shared memory: copy what you keep). */
  onCommand(command: Float64Array): void;
  onMessage(message: LoopMessage): void;
  /** The loop worker failed or exited while the node was running: nothing ticks any more. */
  onDead(error: unknown): void;
}

export interface PolicyLoop {
  /** `stampMs` on the loop's clock (epoch ms, performance.timeOrigin + performance.now()). */
  writeState(stampMs: number, signals: Float64Array): void;
  /** The state's seqlock value after the last writeState (the loop's id of that state). */
  stateSeq(): number;
  /** The loop starts ticking (state and task topics have arrived). */
  setReady(): void;
  post(message: ControlMessage): void;
  stats(): { ticks: number; bySource: Record<string, number>; estop: boolean; faults: number };
  /** Slots the loop has gone through so far. */
  slots(): number;
  /** Deadline figures over the slots from `since` on that are still in the record. */
  summary(since?: number): LoopSummary;
  close(): Promise<void>;
}

/** Atomics.waitAsync (V8, Node >= 16); TypeScript's ES2023 lib does not declare it yet. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

export function startPolicyLoop(spec: PolicyLoopSpec): PolicyLoop {
  const buffers: PolicyLoopBuffers = createPolicyLoopBuffers(spec.sigDim, spec.actDim);
  const { ctrl, state, command } = buffers;
  const record = createLoopRecord(spec.recordSlots);
  const periodMs = 1000 / spec.rateHz;
  let closing = false;
  const run: RealtimeWorkerRun = startRealtimeWorker(
    {
      module: new URL("./loop-tick.ts", import.meta.url).href,
      options: { ...spec.tick, buffers } satisfies PolicyLoopOptions,
      loop: {
        periodMs,
        slots: Infinity,
        spinMs: spec.spinMs < 0 ? periodMs : spec.spinMs,
        // The tick's prepare pre-wakes the policy worker.
        prepareMs: spec.tick.policyPrewakeMs ?? 0,
      },
    },
    record,
    (m) => spec.onMessage(m as LoopMessage),
  );
  const done = run.done.then(
    () => {
      if (!closing) spec.onDead(new Error("the real-time loop worker stopped"));
    },
    (err: unknown) => {
      if (!closing) spec.onDead(err);
    },
  );

  const pump = (async (): Promise<void> => {
    let seen = 0;
    while (!closing) {
      const w = waitAsync(ctrl, LOOP.cmdSeq, seen);
      if (w.async) await w.value;
      const seq = Atomics.load(ctrl, LOOP.cmdSeq);
      if (closing || seq === seen) continue;
      seen = seq;
      spec.onCommand(command);
    }
  })();

  return {
    writeState(stampMs, signals) {
      Atomics.add(ctrl, LOOP.stateSeq, 1);
      state[0] = stampMs;
      state.set(signals, 1);
      Atomics.add(ctrl, LOOP.stateSeq, 1);
    },
    stateSeq() {
      return Atomics.load(ctrl, LOOP.stateSeq);
    },
    setReady() {
      Atomics.store(ctrl, LOOP.ready, 1);
    },
    post(message) {
      run.worker.postMessage(message);
      Atomics.add(ctrl, LOOP.control, 1);
    },
    stats() {
      const bySource: Record<string, number> = {};
      SOURCES.forEach((s: ControlSource, i) => {
        const n = Atomics.load(ctrl, LOOP.sources + i);
        if (n > 0) bySource[s] = n;
      });
      return {
        ticks: Atomics.load(ctrl, LOOP.ticks),
        bySource,
        estop: Atomics.load(ctrl, LOOP.estop) === 1,
        faults: Atomics.load(ctrl, LOOP.faults),
      };
    },
    slots() {
      return Atomics.load(record.progress, 0);
    },
    summary(since = 0) {
      const size = record.status.length;
      const end = Atomics.load(record.progress, 0);
      const start = Math.max(0, since, end - size);
      const copy = createLoopRecord(Math.max(0, end - start));
      for (let k = start; k < end; k++) {
        const i = k % size;
        copy.lateUs[k - start] = record.lateUs[i];
        copy.tickUs[k - start] = record.tickUs[i];
        copy.slotMs[k - start] = record.slotMs[i];
        copy.status[k - start] = record.status[i];
      }
      return summarizeLoop(copy, periodMs);
    },
    async close() {
      closing = true;
      Atomics.store(record.stop, 0, 1);
      Atomics.add(ctrl, LOOP.cmdSeq, 1);
      Atomics.notify(ctrl, LOOP.cmdSeq);
      await pump;
      await done;
    },
  };
}
