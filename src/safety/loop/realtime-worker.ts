/**
 * Worker thread body of a real-time loop (started by realtime-runner.ts through src/core/ts-worker.ts):
 * builds the tick from `workerData.module`, runs the loop into the shared LoopRecord, then posts the
 * tick's result and this isolate's GC pauses. Nothing is posted while the loop runs.
 */
import { parentPort, workerData } from "node:worker_threads";
import { watchGcPauses } from "./gc-pauses.js";
import { runRealtimeLoop, type LoopRecord, type RealtimeLoopOptions } from "./realtime-loop.js";
import type { RealtimeTickModule } from "./realtime-tick.js";
import type { WorkerDone } from "./realtime-runner.js";

interface RealtimeWorkerData {
  module: string;
  options: unknown;
  loop: RealtimeLoopOptions;
  record: LoopRecord;
}

const port = parentPort;
if (!port) throw new Error("realtime-worker.ts must run in a worker thread");
const data = workerData as RealtimeWorkerData;

async function main(): Promise<WorkerDone> {
  const mod = (await import(data.module)) as RealtimeTickModule;
  const rt = await mod.createRealtimeTick(data.options);
  const gc = watchGcPauses();
  const prepare = rt.prepare !== undefined ? (slot: number) => rt.prepare!(slot) : undefined;
  const after = rt.after !== undefined ? (slot: number) => rt.after!(slot) : undefined;
  runRealtimeLoop((slot) => rt.tick(slot), data.loop, data.record, prepare, after);
  return { type: "done", result: rt.finish(), gc: await gc.stop() };
}

main().then(
  (done) => port.postMessage(done),
  (e: unknown) =>
    port.postMessage({
      id: -1,
      type: "error",
      error: {
        name: e instanceof Error ? e.name : "Error",
        message: String((e instanceof Error && e.stack) || e),
      },
    }),
);
