/**
 * A Controller whose policy runs in its own worker thread, so a stuck or slow policy call cannot hold the
 * control thread past its deadline. The control thread hands the observation over through shared memory and
 * waits at most `timeoutMs` for the action; past that, or while the worker is still busy with an earlier
 * tick, `act` throws at once and SafetyCore's fallback chain acts this tick (as for any policy error).
 *
 * Shared memory, not messages: no allocation and no event-loop turn per tick on either side. A result is
 * taken only when its sequence number is the one just requested, so a late answer to an abandoned tick (or
 * one computed from an observation overwritten meanwhile) is never used.
 */
import { performance } from "node:perf_hooks";
import type { Worker } from "node:worker_threads";
import { TetherError } from "../../core/errors.js";
import { startTsWorker } from "../../core/ts-worker.js";
import { PolicyTimeoutError, type Controller } from "../fallback.js";

/** Int32 slots of the control block. */
export const CTRL = { request: 0, done: 1, failed: 2, stop: 3, messageLength: 4, episode: 5 } as const;
export const CTRL_SLOTS = 6;
export const MESSAGE_BYTES = 512;

/** The worker's shared buffers (see worker-policy-body.ts). */
export interface WorkerPolicyBuffers {
  ctrl: Int32Array;
  obs: Float32Array;
  signals: Float64Array;
  action: Float64Array;
  message: Uint8Array;
}

export interface WorkerPolicyOptions {
  /** URL (href) of a module exporting `createController(options)` (a Controller, or a Promise of one). */
  module: string;
  options?: unknown;
  obsDim: number;
  sigDim: number;
  actDim: number;
  /** Longest wait for the action, ms: leave the fallback and the shield time before the deadline. */
  timeoutMs: number;
}

export class WorkerPolicy implements Controller {
  private constructor(
    private readonly worker: Worker,
    private readonly buf: WorkerPolicyBuffers,
    private readonly timeoutMs: number,
  ) {}

  static async start(options: WorkerPolicyOptions): Promise<WorkerPolicy> {
    const sab = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(bytes);
    const buf: WorkerPolicyBuffers = {
      ctrl: new Int32Array(sab(4 * CTRL_SLOTS)),
      obs: new Float32Array(sab(4 * options.obsDim)),
      signals: new Float64Array(sab(8 * options.sigDim)),
      action: new Float64Array(sab(8 * options.actDim)),
      message: new Uint8Array(sab(MESSAGE_BYTES)),
    };
    const entry = new URL("./worker-policy-body.ts", import.meta.url);
    const worker = startTsWorker(entry, { module: options.module, options: options.options, buffers: buf });
    const failed = (why: string): TetherError =>
      new TetherError("POLICY_WORKER", `policy worker failed to start: ${why}`);
    try {
      await new Promise<void>((resolve, reject) => {
        worker.once("message", (msg: { type: string; error?: { message: string } }) => {
          if (msg.type === "ready") resolve();
          else reject(failed(msg.error?.message ?? msg.type));
        });
        worker.once("error", (err) => reject(failed(err.message)));
        worker.once("exit", (code) => reject(failed(`exited with code ${code}`)));
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new WorkerPolicy(worker, buf, options.timeoutMs);
  }

  act(obs: Float32Array, signals: Float64Array, out: Float64Array): void {
    const { ctrl, action } = this.buf;
    const last = Atomics.load(ctrl, CTRL.request);
    if (Atomics.load(ctrl, CTRL.done) !== last)
      throw new PolicyTimeoutError(`policy still busy with an earlier tick (request ${last})`);
    this.buf.obs.set(obs);
    this.buf.signals.set(signals);
    const seq = last + 1;
    Atomics.store(ctrl, CTRL.request, seq);
    Atomics.notify(ctrl, CTRL.request);
    // Spin rather than Atomics.wait: a timed wait overshot a 1 ms timeout by ~0.5 ms here, and the control
    // thread has nothing else to do. The clock is read every ~1 µs (each read allocates).
    const deadline = performance.now() + this.timeoutMs;
    while (Atomics.load(ctrl, CTRL.done) !== seq) {
      if (performance.now() >= deadline)
        throw new PolicyTimeoutError(`policy output not ready within ${this.timeoutMs} ms`);
      for (let i = 0; i < 100; i++) Atomics.load(ctrl, CTRL.done);
    }
    if (Atomics.load(ctrl, CTRL.failed) !== 0) throw new Error(this.lastMessage());
    for (let i = 0; i < out.length; i++) out[i] = action[i];
  }

  /** A new episode: the worker resets its controller before its next action (see Controller.reset). */
  reset(): void {
    Atomics.add(this.buf.ctrl, CTRL.episode, 1);
  }

  private lastMessage(): string {
    const n = Atomics.load(this.buf.ctrl, CTRL.messageLength);
    return new TextDecoder().decode(this.buf.message.slice(0, n));
  }

  async close(): Promise<void> {
    Atomics.store(this.buf.ctrl, CTRL.stop, 1);
    Atomics.notify(this.buf.ctrl, CTRL.request);
    await this.worker.terminate();
  }
}
