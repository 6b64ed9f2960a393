/**
 * What the parallel IQL learner's threads share: the messages, and the step memory (one mini-batch plus
 * the two B-float columns the workers hand each other) laid out in one SharedArrayBuffer.
 */
import type { MessagePort } from "node:worker_threads";
import type { BackendName } from "../backend.js";
import type { ThreadCpu } from "../thread-cpu.js";
import type { IqlConfig } from "./iql.js";
import type { Batch, LearnerDims, StateDict } from "./learner.js";

export type WorkerRole = "q" | "value-actor";

export interface IqlWorkerData {
  role: WorkerRole;
  backend: BackendName;
  config: IqlConfig;
  dims: LearnerDims;
  /** Seeds of the networks this worker owns (q: [q]; value-actor: [v, actor]). */
  seeds: number[];
  port: MessagePort;
  doorbell: Int32Array;
  /** Two Int32 step counters: [min target-Q published, V(s') published]. */
  handoff: Int32Array;
}

/** Indices in `handoff`; a counter set to ABORTED means its writer failed this step. */
export const Q_TARGET_READY = 0;
export const NEXT_V_READY = 1;
export const ABORTED = -1;

export type WorkerRequest =
  | { type: "update"; seq: number; size: number; memory?: SharedArrayBuffer; capacity?: number }
  | { type: "act"; observations: Float32Array }
  | { type: "actorWeights" }
  | { type: "stateDict" }
  | { type: "loadStateDict"; state: StateDict }
  | { type: "liveTensors" }
  | { type: "timings" }
  | { type: "exit" };

/** Milliseconds summed since the last `timings` request, per network and waiting for the other worker. */
export interface WorkerTimings {
  updates: number;
  phases: Partial<Record<"v" | "actor" | "q", number>>;
  waitMs: number;
  /** This thread's CPU and run-queue time over the window (Linux only). */
  thread?: ThreadCpu;
}

/** Typed views of the step memory for a batch capacity. */
export class StepMemory {
  readonly observations: Float32Array;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  readonly nextObservations: Float32Array;
  readonly terminals: Float32Array;
  /** min target-Q(s, a) of the batch, written by the q worker. */
  readonly qTarget: Float32Array;
  /** V(s') of the batch, written by the value-actor worker. */
  readonly nextV: Float32Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly capacity: number,
    readonly obsDim: number,
    readonly actDim: number,
  ) {
    let offset = 0;
    const take = (n: number): Float32Array => {
      const view = new Float32Array(buffer, offset * 4, n);
      offset += n;
      return view;
    };
    this.observations = take(capacity * obsDim);
    this.actions = take(capacity * actDim);
    this.rewards = take(capacity);
    this.nextObservations = take(capacity * obsDim);
    this.terminals = take(capacity);
    this.qTarget = take(capacity);
    this.nextV = take(capacity);
  }

  static floats(capacity: number, obsDim: number, actDim: number): number {
    return capacity * (2 * obsDim + actDim + 4);
  }

  static allocate(capacity: number, obsDim: number, actDim: number): StepMemory {
    const buffer = new SharedArrayBuffer(4 * StepMemory.floats(capacity, obsDim, actDim));
    return new StepMemory(buffer, capacity, obsDim, actDim);
  }

  write(batch: Batch): void {
    const n = batch.size;
    this.observations.set(batch.observations);
    this.actions.set(batch.actions);
    this.rewards.set(batch.rewards.subarray(0, n));
    this.nextObservations.set(batch.nextObservations);
    this.terminals.set(batch.terminals.subarray(0, n));
  }

  /** The first `n` rows as a Batch of private copies (tensors are built from them). */
  read(n: number): Batch {
    const { obsDim, actDim } = this;
    return {
      size: n,
      observations: this.observations.slice(0, n * obsDim),
      actions: this.actions.slice(0, n * actDim),
      rewards: this.rewards.slice(0, n),
      nextObservations: this.nextObservations.slice(0, n * obsDim),
      terminals: this.terminals.slice(0, n),
    };
  }
}
