/**
 * A Controller whose policy runs in its own worker thread, so a stuck or slow policy call cannot hold the
 * control thread past its deadline. The control thread hands the observation over through shared memory and
 * waits at most `timeoutMs` for the action; past that, or while the worker is still busy with an earlier
 * tick, `act` throws at once and SafetyCore's fallback chain acts this tick (as for any policy error).
 *
 * Shared memory, not messages: no allocation and no event-loop turn per tick on either side. A result is
 * taken only when its sequence number is the one just requested, so a late answer to an abandoned tick (or
 * one computed from an observation overwritten meanwhile) is never used.
 *
 * `begin` hands the observation over without waiting (SafetyCore runs its state monitors and the support
 * model meanwhile); `act` then waits for that request, the timeout counted from the hand-over. `prewake`,
 * called by the control loop shortly before a tick, wakes the worker so that it is already running (it
 * busy-waits, at most `prewakeSpinMs`) when the observation lands: a sleeping thread's wake-up is most of
 * the hand-over on a virtual machine whose idle cores halt (docs/benchmarks.md, bench loop).
 *
 * A policy with memory (`Controller.observe`: a decision transformer's context) must see every tick, also
 * those it was not asked to act on: a tick that finds the worker busy, and every e-stop tick (`observe`).
 * Their inputs go into a ring of skipped ticks in shared memory, each tagged with the last request sent
 * and the episode count, which the worker takes into its controller, in order, before its next action (or
 * at once when it is idle). A full ring is an error of that tick, not a silent gap in the context.
 */
import { performance } from "node:perf_hooks";
import type { Worker } from "node:worker_threads";
import { TetherError } from "../../core/errors.js";
import { startTsWorker } from "../../core/ts-worker.js";
import { PolicyTimeoutError, type Controller } from "../fallback.js";
import { stamp, TRACE, type PolicyTrace } from "./policy-trace.js";

/** Int32 slots of the control block. */
export const CTRL = {
  request: 0,
  done: 1,
  failed: 2,
  stop: 3,
  messageLength: 4,
  episode: 5,
  /** Skipped ticks written into the ring (by the control thread) and taken by the worker. */
  skipped: 6,
  drained: 7,
} as const;
export const CTRL_SLOTS = 8;
export const MESSAGE_BYTES = 512;
/** Default capacity of the skipped-tick ring: ~0.5 s at 500 Hz of a worker that does not drain it. */
export const SKIP_CAPACITY = 256;

/** The worker's shared buffers (see worker-policy-body.ts). */
export interface WorkerPolicyBuffers {
  ctrl: Int32Array;
  obs: Float32Array;
  signals: Float64Array;
  action: Float64Array;
  message: Uint8Array;
  /** The skipped-tick ring: [capacity, obsDim], [capacity, sigDim], [capacity, 2] (request, episode). */
  skipObs: Float32Array;
  skipSignals: Float64Array;
  skipTags: Int32Array;
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
  /**
   * Requests come every `periodMs` (a control loop): the worker busy-waits from `spinMs` before each
   * expected request until it comes (at most `spinMs` after), so it starts without a wake-up, which takes
   * ~10 µs on an idle core and more when the thread has to wait for one. 0 (default): sleep until woken.
   */
  spinMs?: number;
  periodMs?: number;
  /**
   * After a `prewake()`, the worker busy-waits at most this long for the request before it sleeps again
   * (a tick that calls no policy: e-stop). 0 (default): a pre-wake is ignored (the worker sleeps on).
   */
  prewakeSpinMs?: number;
  /** Benchmarks: stamps each request's hand-over, wake-up, answer and answer seen (policy-trace.ts). */
  trace?: PolicyTrace;
  /** Skipped ticks the ring holds for a controller with memory (default SKIP_CAPACITY). */
  skipCapacity?: number;
}

export class WorkerPolicy implements Controller {
  /** What `begin` did for the coming `act`: nothing yet, sent the request, or found the worker busy. */
  private begun: "none" | "sent" | "busy" = "none";
  /** performance.now() at that request. */
  private begunAt = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly buf: WorkerPolicyBuffers,
    private readonly timeoutMs: number,
    private readonly trace: PolicyTrace | undefined,
    private readonly prewakes: boolean,
    /** The worker's controller has memory (`observe`): skipped ticks go into the ring. */
    private readonly observes: boolean,
  ) {}

  static async start(options: WorkerPolicyOptions): Promise<WorkerPolicy> {
    const sab = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(bytes);
    const cap = options.skipCapacity ?? SKIP_CAPACITY;
    if (!Number.isInteger(cap) || cap < 1 || (cap & (cap - 1)) !== 0)
      throw new TetherError("POLICY_WORKER", `policy worker: skipCapacity (${cap}) must be a power of two`);
    const buf: WorkerPolicyBuffers = {
      ctrl: new Int32Array(sab(4 * CTRL_SLOTS)),
      obs: new Float32Array(sab(4 * options.obsDim)),
      signals: new Float64Array(sab(8 * options.sigDim)),
      action: new Float64Array(sab(8 * options.actDim)),
      message: new Uint8Array(sab(MESSAGE_BYTES)),
      skipObs: new Float32Array(sab(4 * cap * options.obsDim)),
      skipSignals: new Float64Array(sab(8 * cap * options.sigDim)),
      skipTags: new Int32Array(sab(4 * cap * 2)),
    };
    const entry = new URL("./worker-policy-body.ts", import.meta.url);
    const spinMs = options.spinMs ?? 0;
    const periodMs = options.periodMs ?? 0;
    const prewakeSpinMs = options.prewakeSpinMs ?? 0;
    if (!(spinMs >= 0) || !(periodMs >= 0) || (spinMs > 0 && !(periodMs > 0)))
      throw new TetherError(
        "POLICY_WORKER",
        `policy worker: spinMs (${spinMs}) needs periodMs (${periodMs}) > 0, both >= 0`,
      );
    if (!(prewakeSpinMs >= 0))
      throw new TetherError("POLICY_WORKER", `policy worker: prewakeSpinMs (${prewakeSpinMs}) must be >= 0`);
    const worker = startTsWorker(entry, {
      module: options.module,
      options: options.options,
      buffers: buf,
      spinMs,
      periodMs,
      prewakeSpinMs,
      trace: options.trace,
    });
    const failed = (why: string): TetherError =>
      new TetherError("POLICY_WORKER", `policy worker failed to start: ${why}`);
    let observes = false;
    try {
      await new Promise<void>((resolve, reject) => {
        worker.once("message", (msg: { type: string; observes?: boolean; error?: { message: string } }) => {
          observes = msg.observes === true;
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
    return new WorkerPolicy(worker, buf, options.timeoutMs, options.trace, prewakeSpinMs > 0, observes);
  }

  /**
   * The next request is due shortly: wakes the worker if it sleeps, so it spins for it (see prewakeSpinMs)
   * instead of waking up once it has come. Harmless when the worker is busy or already spinning; nothing
   * without prewakeSpinMs.
   */
  prewake(): void {
    if (this.prewakes) Atomics.notify(this.buf.ctrl, CTRL.request);
  }

  begin(obs: Float32Array, signals: Float64Array): void {
    this.begun = this.request(obs, signals) ? "sent" : "busy";
    this.begunAt = performance.now();
  }

  act(obs: Float32Array, signals: Float64Array, out: Float64Array): void {
    const { ctrl, action } = this.buf;
    let sent = this.begun === "sent";
    let since = this.begunAt;
    if (this.begun === "none") {
      sent = this.request(obs, signals);
      since = performance.now();
    }
    this.begun = "none";
    const seq = Atomics.load(ctrl, CTRL.request);
    if (!sent) {
      // The worker's controller still takes this tick into its memory, after the request it is busy with.
      // The notify wakes a worker that went idle since (it takes the tick in at once).
      if (this.observes && this.skip(obs, signals)) Atomics.notify(ctrl, CTRL.request);
      else if (this.observes)
        throw new Error(
          `policy still busy with an earlier tick (request ${seq}), and ${this.fullMessage()}: its memory misses this tick`,
        );
      throw new PolicyTimeoutError(`policy still busy with an earlier tick (request ${seq})`);
    }
    // Spin rather than Atomics.wait: a timed wait overshot a 1 ms timeout by ~0.5 ms here, and the control
    // thread has nothing else to do. The answer is seen at once; the clock, whose every read allocates, is
    // read only every ~1,000 loads (~10 µs, the timeout's resolution).
    const deadline = since + this.timeoutMs;
    while (Atomics.load(ctrl, CTRL.done) !== seq) {
      if (performance.now() >= deadline)
        throw new PolicyTimeoutError(`policy output not ready within ${this.timeoutMs} ms`);
      for (let i = 0; i < 1000 && Atomics.load(ctrl, CTRL.done) !== seq; i++);
    }
    if (this.trace !== undefined) stamp(this.trace, seq, TRACE.seen);
    if (Atomics.load(ctrl, CTRL.failed) !== 0) throw new Error(this.lastMessage());
    for (let i = 0; i < out.length; i++) out[i] = action[i];
  }

  /**
   * Copies the inputs over and wakes the worker with the next request number (this thread is the only one
   * that writes it); false, sending nothing, while the worker is still busy with an earlier request.
   */
  private request(obs: Float32Array, signals: Float64Array): boolean {
    const { ctrl } = this.buf;
    const last = Atomics.load(ctrl, CTRL.request);
    if (Atomics.load(ctrl, CTRL.done) !== last) return false;
    this.buf.obs.set(obs);
    this.buf.signals.set(signals);
    if (this.trace !== undefined) stamp(this.trace, (last + 1) | 0, TRACE.handed);
    // `| 0`: wraps as the Int32 slot does after 2^31 requests (~50 days at 500 Hz), so the comparison with
    // `done` still matches.
    Atomics.store(ctrl, CTRL.request, (last + 1) | 0);
    Atomics.notify(ctrl, CTRL.request);
    return true;
  }

  /**
   * A tick this policy does not act on (the e-stop is engaged): a controller with memory takes it in, the
   * worker woken for it if idle (Controller.observe). Throws when the ring is full.
   */
  observe(obs: Float32Array, signals: Float64Array): void {
    if (!this.observes) return;
    if (!this.skip(obs, signals)) throw new Error(`${this.fullMessage()}: its memory misses this tick`);
    Atomics.notify(this.buf.ctrl, CTRL.request);
  }

  /**
   * Writes a skipped tick into the ring, tagged with the last request sent and the episode count (this
   * thread is the only writer of `skipped`); false, writing nothing, when the worker has not drained it.
   */
  private skip(obs: Float32Array, signals: Float64Array): boolean {
    const { ctrl, skipObs, skipSignals, skipTags } = this.buf;
    const cap = skipTags.length / 2;
    const w = Atomics.load(ctrl, CTRL.skipped);
    if (((w - Atomics.load(ctrl, CTRL.drained)) | 0) >= cap) return false;
    const slot = w & (cap - 1); // cap is a power of two: the slots stay in order across the Int32 wrap
    skipObs.set(obs, slot * obs.length);
    skipSignals.set(signals, slot * signals.length);
    skipTags[2 * slot] = Atomics.load(ctrl, CTRL.request);
    skipTags[2 * slot + 1] = Atomics.load(ctrl, CTRL.episode);
    Atomics.store(ctrl, CTRL.skipped, (w + 1) | 0);
    return true;
  }

  private fullMessage(): string {
    return `the policy worker has not taken in the ${this.buf.skipTags.length / 2} ticks it skipped before`;
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
