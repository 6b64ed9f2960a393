/**
 * IQL on two worker threads, the same computation as IqlLearner (same seeds and batches give the same
 * parameters and metrics): a "q" worker owns the twin Q networks and targets, a "value-actor" worker owns V
 * and the actor. IQL's three updates all read the pre-update parameters, so per step each worker only needs
 * one B-float column from the other (min target-Q(s, a) for V and the actor's advantage, V(s') for Q's
 * target), handed over in shared memory; the two halves then run at the same time on two cores.
 *
 * The Learner interface stays synchronous: update() writes the batch into shared memory, wakes both workers
 * and blocks until both reply (sync-channel.ts). Start with `await ParallelIqlLearner.start(...)`.
 */
import { MessageChannel, type Worker } from "node:worker_threads";
import { ShapeMismatchError, TetherError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import { startTsWorker, WorkerError } from "../../core/ts-worker.js";
import type { BackendName } from "../backend.js";
import type { ThreadCpu } from "../thread-cpu.js";
import type { ActorWeights } from "../networks/weights-format.js";
import { createDoorbell, SyncCaller } from "../sync-channel.js";
import { IQL_DEFAULTS, type IqlConfig } from "./iql.js";
import { iqlMetrics } from "./iql-tfjs.js";
import {
  StepMemory,
  type IqlWorkerData,
  type WorkerRequest,
  type WorkerRole,
  type WorkerTimings,
} from "./iql-parallel-shared.js";
import {
  completeDims,
  type Batch,
  type Learner,
  type LearnerDims,
  type Metrics,
  type StateDict,
} from "./learner.js";

export interface ParallelIqlOptions {
  /** The tensor backend every worker activates (the main thread's). */
  backend: BackendName;
  /** Rows of shared batch memory allocated up front (grown if a bigger batch arrives). */
  batchCapacity?: number;
}

/** Timings of the last `timings()` window, as each worker measured it. */
export interface ParallelTimings {
  updates: number;
  /** ms per update of each network's own work. */
  ms: { v: number; actor: number; q: number };
  /** ms per update each worker spent waiting for the other's hand-over. */
  waitMs: { q: number; valueActor: number };
  /** Each worker thread's CPU and run-queue ms per update (Linux only). */
  thread?: { q: ThreadCpu; valueActor: ThreadCpu };
}

interface Thread {
  worker: Worker;
  channel: SyncCaller;
}

async function startThread(
  role: WorkerRole,
  fields: Omit<IqlWorkerData, "role" | "seeds" | "port" | "doorbell">,
  seeds: number[],
): Promise<Thread> {
  const { port1, port2 } = new MessageChannel();
  const doorbell = createDoorbell();
  const data: IqlWorkerData = { ...fields, role, seeds, port: port2, doorbell };
  const worker = startTsWorker(new URL("./iql-worker.ts", import.meta.url), { ...data }, [port2]);
  const who = `IQL ${role} worker`;
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error): void => {
      void worker.terminate();
      reject(err);
    };
    worker.once("message", (msg: { type: string; error?: { message: string } }) => {
      if (msg.type === "ready") resolve();
      else fail(new WorkerError(`${who} did not start: ${msg.error?.message ?? JSON.stringify(msg)}`));
    });
    worker.once("error", (err) =>
      fail(new WorkerError(`${who} crashed: ${err.message}`, undefined, { cause: err })),
    );
    worker.once("exit", (code) => fail(new WorkerError(`${who} exited with code ${code} while starting`)));
  });
  worker.removeAllListeners();
  worker.unref();
  return { worker, channel: new SyncCaller(port1, doorbell, who) };
}

export class ParallelIqlLearner implements Learner {
  readonly algo = "iql" as const;
  step = 0;
  private seq = 0;
  private memory: StepMemory;
  private memorySent = false;
  private failure: Error | undefined;
  private disposed = false;

  private constructor(
    readonly config: IqlConfig,
    readonly dims: Required<LearnerDims>,
    private readonly q: Thread,
    private readonly valueActor: Thread,
    capacity: number,
  ) {
    this.memory = StepMemory.allocate(capacity, dims.obsDim, dims.actDim);
  }

  static async start(
    config: Partial<IqlConfig>,
    learnerDims: LearnerDims,
    rng: Rng,
    options: ParallelIqlOptions,
  ): Promise<ParallelIqlLearner> {
    const full = { ...IQL_DEFAULTS, ...config };
    const dims = completeDims(learnerDims);
    // IqlLearner forks its rng for q, v, actor in this order; fork() is `new Rng(rng.nextUint32())`.
    const [qSeed, vSeed, actorSeed] = [rng.nextUint32(), rng.nextUint32(), rng.nextUint32()];
    const handoff = new Int32Array(new SharedArrayBuffer(8));
    const fields = { backend: options.backend, config: full, dims, handoff };
    const started = await Promise.allSettled([
      startThread("q", fields, [qSeed]),
      startThread("value-actor", fields, [vSeed, actorSeed]),
    ]);
    const failed = started.find((s) => s.status === "rejected");
    if (failed) {
      for (const s of started) if (s.status === "fulfilled") void s.value.worker.terminate();
      throw failed.reason;
    }
    const [q, va] = started.map((s) => (s as PromiseFulfilledResult<Thread>).value);
    return new ParallelIqlLearner(full, dims, q, va, options.batchCapacity ?? 256);
  }

  update(batch: Batch): Metrics {
    this.usable();
    const n = batch.size;
    const { obsDim, actDim } = this.dims;
    if (batch.observations.length !== n * obsDim)
      throw new ShapeMismatchError("batch observations", n * obsDim, batch.observations.length);
    if (batch.actions.length !== n * actDim)
      throw new ShapeMismatchError("batch actions", n * actDim, batch.actions.length);
    if (batch.nextObservations.length !== n * obsDim)
      throw new ShapeMismatchError("batch next observations", n * obsDim, batch.nextObservations.length);
    if (n > this.memory.capacity) {
      this.memory = StepMemory.allocate(n, obsDim, actDim);
      this.memorySent = false;
    }
    this.memory.write(batch);
    const req: WorkerRequest = { type: "update", seq: ++this.seq, size: n };
    if (!this.memorySent) Object.assign(req, { memory: this.memory.buffer, capacity: this.memory.capacity });
    this.memorySent = true;
    this.q.channel.send(req);
    this.valueActor.channel.send(req);
    const [q, va] = this.both<Metrics>(
      () => this.q.channel.receive(),
      () => this.valueActor.channel.receive(),
    );
    this.step += 1;
    return iqlMetrics<number>(
      {
        valueLoss: va["loss/value"],
        actorLoss: va["loss/actor"],
        vMean: va["values/v"],
        advWeight: va["values/adv_weight"],
        advEss: va["values/adv_ess"],
      },
      q["loss/critic"],
      q["values/q"],
    );
  }

  act(observations: Float32Array): Float32Array {
    this.usable();
    return this.valueActor.channel.call<Float32Array>({ type: "act", observations } satisfies WorkerRequest);
  }

  stateDict(): StateDict {
    this.usable();
    const parts = [this.q, this.valueActor].map((t) =>
      t.channel.call<StateDict>({ type: "stateDict" } satisfies WorkerRequest),
    );
    const state: StateDict = { algo: this.algo, step: this.step, arrays: {}, scalars: {} };
    for (const p of parts) {
      Object.assign(state.arrays, p.arrays);
      Object.assign(state.scalars, p.scalars);
    }
    return state;
  }

  loadStateDict(state: StateDict): void {
    this.usable();
    const forQ = (name: string): boolean => name.startsWith("q/");
    const part = (keep: (name: string) => boolean): StateDict => ({
      ...state,
      arrays: Object.fromEntries(Object.entries(state.arrays).filter(([k]) => keep(k))),
      scalars: Object.fromEntries(Object.entries(state.scalars).filter(([k]) => keep(k))),
    });
    this.q.channel.call({ type: "loadStateDict", state: part(forQ) } satisfies WorkerRequest);
    this.valueActor.channel.call({
      type: "loadStateDict",
      state: part((k) => !forQ(k)),
    } satisfies WorkerRequest);
    this.step = state.step;
  }

  actorWeights(): ActorWeights {
    this.usable();
    return this.valueActor.channel.call<ActorWeights>({ type: "actorWeights" } satisfies WorkerRequest);
  }

  /** Live tensors in both workers (the leak checks of the single-thread learners, across threads). */
  liveTensors(): number {
    this.usable();
    return [this.q, this.valueActor].reduce(
      (sum, t) => sum + t.channel.call<number>({ type: "liveTensors" } satisfies WorkerRequest),
      0,
    );
  }

  /** Per-network and waiting time since the last call, per update, as each worker measured it. */
  timings(): ParallelTimings {
    this.usable();
    const [q, va] = [this.q, this.valueActor].map((t) =>
      t.channel.call<WorkerTimings>({ type: "timings" } satisfies WorkerRequest),
    );
    const per = (ms: number | undefined): number => (ms ?? 0) / Math.max(1, q.updates);
    return {
      updates: q.updates,
      ms: { v: per(va.phases.v), actor: per(va.phases.actor), q: per(q.phases.q) },
      waitMs: { q: per(q.waitMs), valueActor: per(va.waitMs) },
      thread:
        q.thread && va.thread
          ? {
              q: { cpuMs: per(q.thread.cpuMs), queuedMs: per(q.thread.queuedMs) },
              valueActor: { cpuMs: per(va.thread.cpuMs), queuedMs: per(va.thread.queuedMs) },
            }
          : undefined,
    };
  }

  /**
   * Stops both workers; returns the tensors still alive in them after disposing the networks (0). Never
   * throws: it runs on error paths, where a failed worker must not hide the original error.
   */
  dispose(): number {
    if (this.disposed) return 0;
    this.disposed = true;
    let left = 0;
    for (const t of [this.q, this.valueActor]) {
      try {
        if (!this.failure) left += t.channel.call<number>({ type: "exit" } satisfies WorkerRequest);
      } catch {
        // The worker is terminated below either way.
      } finally {
        void t.worker.terminate();
      }
    }
    return left;
  }

  /** Receives both replies even when the first throws, so no reply is left queued; throws the root cause. */
  private both<T>(a: () => T, b: () => T): [T, T] {
    const results = [a, b].map((f) => {
      try {
        return { ok: true as const, value: f() };
      } catch (err) {
        return { ok: false as const, err: err as Error };
      }
    });
    const errors = results.filter((r) => !r.ok).map((r) => (r as { err: Error }).err);
    if (errors.length) {
      // The worker that failed first is the cause; the other reports that its hand-over never came.
      const cause = errors.find((e) => !/the other IQL worker failed/.test(e.message)) ?? errors[0];
      this.failure = cause;
      throw cause;
    }
    return results.map((r) => (r as { value: T }).value) as [T, T];
  }

  private usable(): void {
    if (this.disposed) throw new TetherError("DISPOSED", "the parallel IQL learner was disposed");
    if (this.failure)
      throw new TetherError(
        "WORKER",
        `the parallel IQL learner failed in an earlier update: ${this.failure.message}`,
      );
  }
}
