/**
 * Worker thread body of WorkerPolicy: builds the controller from `workerData.module`, then answers each
 * request found in the shared control block (the latest one, if several came while it was busy). With
 * `spinMs` it busy-waits through the window the next request is due in (one period after the last), and
 * sleeps otherwise; a request that does not come in its window (e-stop: no policy calls) is waited for
 * asleep.
 */
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import type { Controller } from "../fallback.js";
import { CTRL, MESSAGE_BYTES, type WorkerPolicyBuffers } from "./worker-policy.js";

interface Data {
  module: string;
  options: unknown;
  buffers: WorkerPolicyBuffers;
  spinMs: number;
  periodMs: number;
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
  port!.postMessage({ type: "ready" });
  const { spinMs, periodMs } = data;
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
    const seq = Atomics.load(ctrl, CTRL.request);
    seenAt = performance.now();
    let failed = 0;
    try {
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
