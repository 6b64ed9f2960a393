/**
 * Worker thread body of WorkerPolicy: builds the controller from `workerData.module`, then answers each
 * request found in the shared control block (the latest one, if several came while it was busy). With
 * `spinMs` it busy-waits through the window the next request is due in (one period after the last), and
 * sleeps otherwise; a request that does not come in its window (e-stop: no policy calls) is waited for
 * asleep. Woken without a request (WorkerPolicy.prewake: one is due shortly), it busy-waits for it at most
 * `prewakeSpinMs`, then sleeps again.
 */
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import type { Controller } from "../fallback.js";
import { CTRL, MESSAGE_BYTES, type WorkerPolicyBuffers } from "./worker-policy.js";
import { stamp, TRACE, type PolicyTrace } from "./policy-trace.js";

interface Data {
  module: string;
  options: unknown;
  buffers: WorkerPolicyBuffers;
  spinMs: number;
  periodMs: number;
  prewakeSpinMs: number;
  trace?: PolicyTrace;
}

const port = parentPort;
if (!port) throw new Error("worker-policy-body.ts must run in a worker thread");
const data = workerData as Data;

async function main(): Promise<void> {
  const mod = (await import(data.module)) as {
    createController(options: unknown): Controller | Promise<Controller>;
  };
  const controller = await mod.createController(data.options);
  const { ctrl, obs, signals, action, message } = data.buffers;
  const encoder = new TextEncoder();
  // Read before saying ready: the first request may arrive right after, and must not be taken as seen.
  let seen = Atomics.load(ctrl, CTRL.request);
  let episodes = Atomics.load(ctrl, CTRL.episode);
  port!.postMessage({ type: "ready" });
  const { spinMs, periodMs, prewakeSpinMs, trace } = data;
  /** performance.now() when the last request was seen (NaN: none yet). */
  let seenAt = NaN;
  for (;;) {
    if (spinMs > 0 && seenAt === seenAt) {
      const due = seenAt + periodMs;
      const sleep = due - spinMs - performance.now();
      if (sleep > 0) Atomics.wait(ctrl, CTRL.request, seen, sleep);
      const until = due + spinMs;
      while (
        Atomics.load(ctrl, CTRL.request) === seen &&
        Atomics.load(ctrl, CTRL.stop) === 0 &&
        performance.now() < until
      ) {
        for (let i = 0; i < 100; i++) Atomics.load(ctrl, CTRL.request);
      }
    }
    Atomics.wait(ctrl, CTRL.request, seen);
    if (Atomics.load(ctrl, CTRL.stop) !== 0) return;
    if (Atomics.load(ctrl, CTRL.request) === seen) {
      // Pre-woken: the request is due shortly. Spin for it, at most prewakeSpinMs (then wait again).
      const until = performance.now() + prewakeSpinMs;
      while (
        Atomics.load(ctrl, CTRL.request) === seen &&
        Atomics.load(ctrl, CTRL.stop) === 0 &&
        performance.now() < until
      ) {
        for (let i = 0; i < 100; i++) Atomics.load(ctrl, CTRL.request);
      }
      continue;
    }
    const seq = Atomics.load(ctrl, CTRL.request);
    if (trace !== undefined) stamp(trace, seq, TRACE.woke);
    seenAt = performance.now();
    let failed = 0;
    try {
      const e = Atomics.load(ctrl, CTRL.episode);
      if (e !== episodes) {
        episodes = e;
        controller.reset?.();
      }
      controller.act(obs, signals, action);
    } catch (err) {
      failed = 1;
      const text = `policy threw in its worker: ${err instanceof Error ? err.message : String(err)}`;
      Atomics.store(
        ctrl,
        CTRL.messageLength,
        encoder.encodeInto(text, message.subarray(0, MESSAGE_BYTES)).written,
      );
    }
    Atomics.store(ctrl, CTRL.failed, failed);
    if (trace !== undefined) stamp(trace, seq, TRACE.done);
    Atomics.store(ctrl, CTRL.done, seq);
    Atomics.notify(ctrl, CTRL.done);
    seen = seq;
  }
}

main().catch((e: unknown) =>
  port.postMessage({
    id: -1,
    type: "error",
    error: { name: "Error", message: String((e instanceof Error && e.stack) || e) },
  }),
);
