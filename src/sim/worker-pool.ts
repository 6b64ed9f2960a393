/**
 * Starts src/sim/vector-worker.ts in worker threads (through core/ts-worker.ts, which loads TypeScript
 * under tsx, vitest or plain node).
 */
import type { Worker } from "node:worker_threads";
import { startTsWorker, WorkerError } from "../core/ts-worker.js";
import { compileMujocoWasm } from "./mujoco.js";
import type { WorkerRequest, WorkerResponse } from "./worker-protocol.js";

type RequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

export class SimWorker {
  private nextId = 1;
  private pending = new Map<
    number,
    {
      resolve: (m: WorkerResponse) => void;
      reject: (e: Error) => void;
      onEvent?: (m: WorkerResponse) => void;
    }
  >();
  private failed: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (msg: WorkerResponse) => this.onMessage(msg));
    worker.on("error", (err) =>
      this.failAll(new WorkerError(`sim worker crashed: ${err.message}`, undefined, { cause: err })),
    );
    worker.on("exit", (code) => {
      if (this.pending.size) this.failAll(new WorkerError(`sim worker exited with code ${code}`));
    });
  }

  static async start(): Promise<SimWorker> {
    const mujocoWasm = await compileMujocoWasm();
    const worker = startTsWorker(new URL("./vector-worker.ts", import.meta.url), { mujocoWasm });
    const sim = new SimWorker(worker);
    return new Promise<SimWorker>((resolve, reject) => {
      sim.pending.set(-1, {
        resolve: () => resolve(sim),
        reject: (e) => {
          void worker.terminate();
          reject(e);
        },
      });
    });
  }

  /** Sends one request; `onEvent` sees intermediate messages (episodes) before the final one. */
  request(
    body: RequestBody,
    transfer: ArrayBuffer[] = [],
    onEvent?: (m: WorkerResponse) => void,
  ): Promise<WorkerResponse> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.worker.postMessage({ ...body, id }, transfer);
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private onMessage(msg: WorkerResponse): void {
    const entry = this.pending.get(msg.id);
    if (!entry) return;
    if (msg.type === "error") {
      this.pending.delete(msg.id);
      entry.reject(new WorkerError(msg.error.message, msg.error.code));
      return;
    }
    if (msg.type === "episode") {
      entry.onEvent?.(msg);
      return;
    }
    this.pending.delete(msg.id);
    entry.resolve(msg);
  }

  private failAll(err: Error): void {
    this.failed = err;
    for (const entry of this.pending.values()) entry.reject(err);
    this.pending.clear();
  }
}

/** Starts `n` workers in parallel; if one fails, the others are stopped. */
export async function startWorkers(n: number): Promise<SimWorker[]> {
  const started = await Promise.allSettled(Array.from({ length: n }, () => SimWorker.start()));
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.all(started.map((r) => (r.status === "fulfilled" ? r.value.terminate() : undefined)));
    throw failed.reason;
  }
  return started.map((r) => (r as PromiseFulfilledResult<SimWorker>).value);
}
