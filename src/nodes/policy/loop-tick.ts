/**
 * The policy node's control tick in the real-time loop worker (realtime-worker.ts runs it every slot): the
 * node's SafetyCore (shield, monitors, e-stop latch) on a polled wall clock, with the policy in its own
 * worker (WorkerPolicy: past `policyTimeoutMs` the fallback acts). The state comes from the main thread
 * through shared memory under a seqlock; the command goes back the same way and the main thread publishes
 * it. No silent stops here either: a throw anywhere in the tick latches the e-stop, leaves zero effort as
 * the command and is reported to the main thread (a fatal node_callback event).
 */
import { parentPort, receiveMessageOnPort } from "node:worker_threads";
import { signalLayout } from "../../robot/signals.js";
import { EpisodeReturn } from "../../safety/episode-return.js";
import { safetyEvent } from "../../safety/events.js";
import type { RunLog } from "../../safety/run-log.js";
import { WorkerPolicy } from "../../safety/loop/worker-policy.js";
import type { PolicyTrace } from "../../safety/loop/policy-trace.js";
import { PolledWallClock } from "../../safety/loop/wall-clock.js";
import type { RealtimeTick } from "../../safety/loop/realtime-tick.js";
import type { SafetyCore } from "../../safety/safety-core.js";
import {
  LOOP,
  SOURCES,
  type ControlMessage,
  type EStopState,
  type LoopMessage,
  type PolicyLoopBuffers,
} from "./loop-shared.js";
import { loadPolicyCore, type PolicyCoreOptions } from "./policy-core.js";

export interface PolicyLoopOptions {
  core: PolicyCoreOptions;
  buffers: PolicyLoopBuffers;
  /** Longest wait for the policy's action, ms. */
  policyTimeoutMs: number;
  /** The policy worker busy-waits this long before each tick's request is due (0: sleeps until woken). */
  policySpinMs?: number;
  /**
   * The loop pre-wakes the policy worker this long before each slot (its `loop.prepareMs`; the worker then
   * spins for the request at most twice this long). 0 or absent: it sleeps until the request wakes it.
   */
  policyPrewakeMs?: number;
  /** Benchmarks: the policy hand-over's stamps (policy-trace.ts). */
  policyTrace?: PolicyTrace;
  /** WorkerPolicy module and options (default: the package's actor, policy-actor.ts). Fault injection. */
  policyModule?: string;
  policyOptions?: unknown;
  /** Fault injection: the tick throws after the core's tick number `throwAtTick`. */
  throwAtTick?: number;
}

export async function createRealtimeTick(o: PolicyLoopOptions): Promise<RealtimeTick<null>> {
  const parts = await loadPolicyCore(o.core);
  const { spec, stack } = parts;
  const layout = signalLayout(spec);
  const nAct = spec.actuators.length;
  const post = (m: LoopMessage): void => parentPort?.postMessage(m);
  const log: RunLog = { record: (entry) => post({ type: "log", entry }) };
  const policy = await WorkerPolicy.start({
    module: o.policyModule ?? new URL("./policy-actor.ts", import.meta.url).href,
    options: o.policyModule !== undefined ? o.policyOptions : o.core,
    obsDim: stack.runner.obsDim,
    sigDim: layout.size,
    actDim: stack.runner.actDim,
    timeoutMs: o.policyTimeoutMs,
    spinMs: o.policySpinMs ?? 0,
    periodMs: 1000 / parts.rateHz,
    prewakeSpinMs: 2 * (o.policyPrewakeMs ?? 0),
    trace: o.policyTrace,
  });
  const clock = new PolledWallClock();
  const core: SafetyCore = parts.makeCore(clock, log, policy);
  const { ctrl, state, command } = o.buffers;
  const zero = stack.shield.limits.zero;
  const signals = new Float64Array(layout.size);
  const incoming = new Float64Array(layout.size);
  // The last published command stays in the signals (as SignalAssembler.setAction does on the timer path).
  const action = new Float64Array(nAct);
  let stampMs = 0;
  /** The seqlock value of the state in `signals` (its id for episodeReturn). */
  let readSeq = 0;
  let control = 0;
  let episode: number | undefined = undefined;
  const episodeReturn = new EpisodeReturn(core.task);
  let faulted = false;

  const estopState = (): EStopState => ({
    engaged: core.estop.engaged,
    cause: core.estop.cause,
    trips: core.estop.trips,
  });

  /** Copies the state unless the main thread is writing it (then the previous copy stays). */
  const readState = (): void => {
    const before = Atomics.load(ctrl, LOOP.stateSeq);
    if ((before & 1) !== 0) return;
    const stamp = state[0];
    for (let i = 0; i < incoming.length; i++) incoming[i] = state[1 + i];
    if (Atomics.load(ctrl, LOOP.stateSeq) !== before) return;
    stampMs = stamp;
    readSeq = before;
    signals.set(incoming);
    for (let i = 0; i < nAct; i++) signals[layout.action + i] = action[i];
  };

  const handle = (m: ControlMessage): void => {
    if (m.type === "reset") {
      if (core.resetEStop(m.by)) {
        faulted = false;
        post({ type: "reset", by: m.by, trips: core.estop.trips });
      }
    } else if (m.type === "episode") {
      // The ending episode's latest state as the main thread had it, with the command last sent.
      for (let i = 0; i < nAct; i++) m.signals[layout.action + i] = action[i];
      const ret = episodeReturn.end(m.signals, m.stateSeq);
      if (episode !== undefined && m.data !== episode) core.endEpisode(episode, ret);
      episode = m.data;
    } else core.raise(m.event);
  };

  /** The command goes out at once; the main thread is woken for it after the tick (`after`). */
  const publish = (units: ArrayLike<number>): void => {
    for (let i = 0; i < nAct; i++) command[i] = units[i];
    Atomics.add(ctrl, LOOP.cmdSeq, 1);
  };
  let notified = Atomics.load(ctrl, LOOP.cmdSeq);

  const step = (): void => {
    clock.poll();
    const c = Atomics.load(ctrl, LOOP.control);
    if (c !== control) {
      control = c;
      for (let m = receiveMessageOnPort(parentPort!); m !== undefined; m = receiveMessageOnPort(parentPort!))
        handle(m.message as ControlMessage);
    }
    if (Atomics.load(ctrl, LOOP.ready) === 0) return;
    readState();
    episodeReturn.settle(signals);
    const wasEngaged = core.estop.engaged;
    const out = core.tick(stampMs, signals);
    if (out.tick === o.throwAtTick) throw new Error(`injected fault at tick ${out.tick}`);
    Atomics.add(ctrl, LOOP.ticks, 1);
    Atomics.add(ctrl, LOOP.sources + SOURCES.indexOf(out.source), 1);
    Atomics.store(ctrl, LOOP.estop, core.estop.engaged ? 1 : 0);
    if (out.publish) {
      for (let i = 0; i < nAct; i++) action[i] = out.command[i];
      for (let i = 0; i < nAct; i++) signals[layout.action + i] = action[i];
      publish(out.command);
      episodeReturn.sent(readSeq);
    }
    const estopChanged = core.estop.engaged !== wasEngaged;
    if (out.events.length > 0 || estopChanged)
      post({ type: "tick", events: out.events, estop: estopState(), estopChanged });
  };

  const fault = (err: unknown): void => {
    Atomics.add(ctrl, LOOP.faults, 1);
    Atomics.store(ctrl, LOOP.estop, 1);
    publish(zero);
    if (faulted) return; // reported once until the operator resets, not once per slot
    faulted = true;
    const detail = err instanceof Error ? err.message : String(err);
    const event = safetyEvent(
      "node_callback",
      "real-time loop tick",
      "fatal",
      0,
      0,
      clock.now(),
      `${o.core.where}: real-time loop tick threw: ${detail}`,
    );
    try {
      core.raise(event);
    } finally {
      post({ type: "fault", event, estop: { engaged: true, cause: event, trips: core.estop.trips } });
    }
  };

  return {
    tick() {
      try {
        step();
      } catch (err) {
        fault(err);
      }
    },
    after() {
      // Waking the main thread (its waitAsync) costs this thread a system call: done once the command is
      // ready, outside the tick's time (docs/benchmarks.md, Loop: policy node tick latency).
      const seq = Atomics.load(ctrl, LOOP.cmdSeq);
      if (seq !== notified) {
        notified = seq;
        Atomics.notify(ctrl, LOOP.cmdSeq);
      }
    },
    prepare() {
      // Only when this slot's tick will ask the policy (not before the state arrived, not under e-stop).
      try {
        if (Atomics.load(ctrl, LOOP.ready) !== 0 && !core.estop.engaged) policy.prewake();
      } catch (err) {
        fault(err);
      }
    },
    finish() {
      core.close();
      void policy.close();
      return null;
    },
  };
}
