/**
 * Runs a real-time loop on the main thread or in a dedicated worker thread (its own isolate, GC and event
 * loop: the main thread's timers, I/O and collections cannot delay a slot; other processes still can).
 * Either way the tick is built by the same module (`createRealtimeTick`) on the thread that runs it, and
 * the slots are timed by the same loop (realtime-loop.ts). The worker reports progress through a shared
 * counter and its result once, after the last slot.
 */
import { startTsWorker } from "../../core/ts-worker.js";
import type { Worker } from "node:worker_threads";
import { TetherError } from "../../core/errors.js";
import { watchGcPauses } from "./gc-pauses.js";
import {
  createLoopRecord,
  runRealtimeLoop,
  summarizeLoop,
  type LoopRecord,
  type LoopSummary,
  type Pause,
  type RealtimeLoopOptions,
} from "./realtime-loop.js";
import type { RealtimeTickModule } from "./realtime-tick.js";

export type LoopThread = "main" | "worker";

export interface RealtimeRunSpec {
  /** URL (href) of a module exporting `createRealtimeTick`. */
  module: string;
  options: unknown;
  loop: RealtimeLoopOptions;
  thread: LoopThread;
  /** Slots done so far (worker thread only: the main thread is busy running the loop). */
  onProgress?: (done: number, total: number) => void;
}

export interface RealtimeRunResult<R> {
  thread: LoopThread;
  summary: LoopSummary;
  /** The tick's own report (`finish()`). */
  result: R;
}

/** @internal The worker's one message after the loop. */
export interface WorkerDone {
  type: "done";
  result: unknown;
  gc: Pause[];
}

interface WorkerFailed {
  id: -1;
  type: "error";
  error: { name: string; message: string };
}

export class RealtimeLoopError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("REALTIME_LOOP", message, {}, options);
  }
}

export async function runRealtime<R>(spec: RealtimeRunSpec): Promise<RealtimeRunResult<R>> {
  const record = createLoopRecord(spec.loop.slots);
  let result: unknown;
  let gc: Pause[];
  if (spec.thread === "main") {
    const mod = (await import(spec.module)) as RealtimeTickModule;
    const rt = await mod.createRealtimeTick(spec.options);
    const watch = watchGcPauses();
    const prepare = rt.prepare !== undefined ? (slot: number) => rt.prepare!(slot) : undefined;
    const after = rt.after !== undefined ? (slot: number) => rt.after!(slot) : undefined;
    runRealtimeLoop((slot) => rt.tick(slot), spec.loop, record, prepare, after);
    gc = await watch.stop();
    result = rt.finish();
  } else {
    ({ result, gc } = await runInWorker(spec, record));
  }
  return { thread: spec.thread, summary: summarizeLoop(record, spec.loop.periodMs, gc), result: result as R };
}

function runInWorker(spec: RealtimeRunSpec, record: LoopRecord): Promise<{ result: unknown; gc: Pause[] }> {
  const run = startRealtimeWorker(spec, record);
  const total = spec.loop.slots;
  const timer = spec.onProgress
    ? setInterval(() => spec.onProgress!(Atomics.load(record.progress, 0), total), 250)
    : undefined;
  return run.done.finally(() => {
    if (timer) clearInterval(timer);
  });
}

/** A loop running in its worker: `done` settles after the last slot (or `record.stop`), with the tick's result. */
export interface RealtimeWorkerRun {
  readonly worker: Worker;
  readonly done: Promise<{ result: unknown; gc: Pause[] }>;
}

/**
 * Starts the loop in a worker. Messages the tick posts while it runs (anything but the final `done`/`error`)
 * go to `onMessage`; the worker cannot receive events while it loops, so the tick reads what it needs from
 * shared memory (or with receiveMessageOnPort).
 */
export function startRealtimeWorker(
  spec: Pick<RealtimeRunSpec, "module" | "options" | "loop">,
  record: LoopRecord,
  onMessage?: (msg: unknown) => void,
): RealtimeWorkerRun {
  const entry = new URL("./realtime-worker.ts", import.meta.url);
  const worker = startTsWorker(entry, {
    module: spec.module,
    options: spec.options,
    loop: spec.loop,
    record,
  });
  const done = new Promise<{ result: unknown; gc: Pause[] }>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.on("message", (msg: WorkerDone | WorkerFailed | { type?: unknown }) => {
      if (msg.type === "done") {
        const d = msg as WorkerDone;
        settle(() => resolve({ result: d.result, gc: d.gc }));
      } else if (msg.type === "error" && (msg as WorkerFailed).id === -1) {
        const m = (msg as WorkerFailed).error.message;
        settle(() => reject(new RealtimeLoopError(`real-time loop worker failed: ${m}`)));
      } else onMessage?.(msg);
    });
    worker.on("error", (err) =>
      settle(() =>
        reject(new RealtimeLoopError(`real-time loop worker crashed: ${err.message}`, { cause: err })),
      ),
    );
    worker.on("exit", (code) =>
      settle(() => reject(new RealtimeLoopError(`real-time loop worker exited with code ${code}`))),
    );
  });
  return { worker, done };
}
