/**
 * Worker thread body of WorkerPolicy: builds the controller from `workerData.module`, then answers each
 * request found in the shared control block (the latest one, if several came while it was busy). With
 * `spinMs` it busy-waits through the window the next request is due in (one period after the last), and
 * sleeps otherwise; a request that does not come in its window (e-stop: no policy calls) is waited for
 * asleep. Woken without a request (WorkerPolicy.prewake: one is due shortly), it busy-waits for it at most
 * `prewakeSpinMs`, then sleeps again.
 *
 * A controller with memory (`observe`) also takes in the ticks the control thread skipped (worker busy,
 * e-stop; see worker-policy.ts): before each action and whenever it wakes, the ring's entries tagged with a
 * request already answered, in order. An entry of an earlier episode than the controller's is dropped (its
 * context was cleared), of a later one resets it first. A throw there fails the next request with its message.
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
  const { ctrl, obs, signals, action, message, skipObs, skipSignals, skipTags } = data.buffers;
  const encoder = new TextEncoder();
  const observe = controller.observe?.bind(controller);
  const cap = skipTags.length / 2;
  // One view per ring slot, made once: taking a skipped tick in allocates nothing.
  const obsDim = obs.length;
  const sigDim = signals.length;
  const skippedObs = Array.from({ length: cap }, (_, i) => skipObs.subarray(i * obsDim, (i + 1) * obsDim));
  const skippedSignals = Array.from({ length: cap }, (_, i) =>
    skipSignals.subarray(i * sigDim, (i + 1) * sigDim),
  );
  /** A throw while taking in a skipped tick, reported as the next request's failure. */
  let observeError: string | undefined = undefined;
  // Read before saying ready: the first request may arrive right after, and must not be taken as seen.
  let seen = Atomics.load(ctrl, CTRL.request);
  let episodes = Atomics.load(ctrl, CTRL.episode);
  /** Takes in the skipped ticks written before any request not yet answered (tag <= seen). */
  const drain = (): void => {
    if (observe === undefined) return;
    for (;;) {
      const r = Atomics.load(ctrl, CTRL.drained);
      if (r === Atomics.load(ctrl, CTRL.skipped)) return;
      const slot = r & (cap - 1);
      if (((skipTags[2 * slot] - seen) | 0) > 0) return;
      const later = (skipTags[2 * slot + 1] - episodes) | 0;
      try {
        if (later > 0) {
          episodes = skipTags[2 * slot + 1];
          controller.reset?.();
        }
        if (later >= 0) observe(skippedObs[slot], skippedSignals[slot]);
      } catch (err) {
        observeError ??= `policy threw in its worker taking in a skipped tick: ${err instanceof Error ? err.message : String(err)}`;
      }
      Atomics.store(ctrl, CTRL.drained, (r + 1) | 0);
    }
  };
  port!.postMessage({ type: "ready", observes: observe !== undefined });
  const { spinMs, periodMs, prewakeSpinMs, trace } = data;
  /** performance.now() when the last request was seen (NaN: none yet). */
  let seenAt = NaN;
  for (;;) {
    drain();
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
    drain();
    try {
      const e = Atomics.load(ctrl, CTRL.episode);
      if (e !== episodes) {
        episodes = e;
        controller.reset?.();
      }
      controller.act(obs, signals, action);
      if (observeError !== undefined) throw new Error(observeError);
    } catch (err) {
      failed = 1;
      const text =
        observeError ?? `policy threw in its worker: ${err instanceof Error ? err.message : String(err)}`;
      observeError = undefined;
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
