/**
 * policy: runs a policy package on a robot behind the safety shield, as a ROS 2 node.
 *
 * Subscribes to /joint_states (+ the robot's task topics, latched), ticks at the robot's control rate,
 * computes the observation with the robot spec (compileTask), asks the policy for an action and publishes
 * the shielded command (actuator units, std_msgs/msg/Float64MultiArray) on the robot's command topic.
 * Every safety event goes to /diagnostics (diagnostic_msgs/msg/DiagnosticArray, throttled per monitor) and
 * to the run log. The e-stop latch clears only through the service `~/reset_estop` (std_srvs/srv/Trigger:
 * `ros2 service call /policy/reset_estop std_srvs/srv/Trigger`), which answers what it did.
 *
 * Parameters
 *   robot            robot name under robots/ or a folder with robot.yaml (required)
 *   model            policy package folder, or a name under models/ (required)
 *   shadow           true: compute and report, never publish a command
 *   fallback         auto | bc | behavior:<random|medium|expert> | none   (auto: bc if the package has a
 *                    behavior model, else the robot's expert behavior, else hold the last safe command)
 *   rate_hz          control rate (0: robot.yaml control.rate_hz)
 *   max_delta        largest command change per tick, normalized units
 *   support_k        support clamp half-width in behavior std devs (0: off)
 *   state_k          out-of-distribution box half-width in dataset std devs
 *   box_margin       action box widening, fraction of the quantile width
 *   frozen_repeats   ticks the same /joint_states stamp may repeat before the state counts as frozen
 *   diagnostics_period_ms   repeat period of an ongoing event on /diagnostics
 *   run_log          JSONL file for the run log ("" : none)
 *   return_window, return_baseline, return_max_drop   return-collapse monitor over episodes (window 0: off)
 *   target_return    decision-transformer packages: the return each episode is conditioned on, lowered by
 *                    each reward (default, and what `ros2 param get` shows: the package's, the dataset's best
 *                    episode return); must be finite; for any other package it stays 0 (another value is
 *                    an error)
 *   loop             auto | worker | timer (auto: worker, except in shadow mode, which drives nothing, and
 *                    with use_sim_time: the worker's clock is the wall clock)
 *                    worker: the tick runs in the real-time loop (src/safety/loop) in a worker thread, with
 *                    the policy in a further worker (policy_timeout_ms, then the fallback); the node's
 *                    thread only moves /joint_states in and the command out, through shared memory.
 *                    timer: the tick runs on a timer of the node's own event loop (the old path).
 *   loop_spin_ms     worker: busy-wait this long before each slot (< 0: the whole period, one core)
 *   policy_timeout_ms  worker: longest wait for the policy's action (0: half a period)
 *   policy_spin_ms   worker: the policy's worker busy-waits from this long before each tick's request is due
 *                    until it comes, so it starts without a wake-up (0, default: it sleeps until woken; at
 *                    most a quarter period; for a machine with a core to spare)
 *   policy_prewake_ms  worker: the loop wakes the policy's worker this long before each slot, so it is
 *                    running (it spins, at most twice this long) when the observation lands (0: off; at most
 *                    a quarter period)
 */
import { performance } from "node:perf_hooks";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import { ConfigError } from "../../core/errors.js";
import type { JointState } from "../../msgs/types.js";
import { commandTopic } from "../../robot/spec.js";
import { compileTask } from "../../robot/task-functions.js";
import { LATCHED_QOS, type Node, type NodeHandle } from "../../ros/node.js";
import { guardCallbacks, type CallbackFault, type CallbackFaultHandler } from "../../ros/callback-guard.js";
import { EpisodeReturn } from "../../safety/episode-return.js";
import { safetyEvent, type SafetyEvent } from "../../safety/events.js";
import { ArrayRunLog, type RunLog } from "../../safety/run-log.js";
import type { SafetyCore } from "../../safety/safety-core.js";
import { toDiagnosticArray } from "../../safety/diagnostics.js";
import type { LoopSummary } from "../../safety/loop/realtime-loop.js";
import type { PolicyTrace } from "../../safety/loop/policy-trace.js";
import { SignalAssembler, subscribeTaskTopics } from "../behavior/signal-assembler.js";
import { DEFAULT_SHIELD_PARAMS } from "./build-shield.js";
import { conditionPolicy, loadPolicyCore, type PolicyCoreOptions } from "./policy-core.js";
import type { EStopState } from "./loop-shared.js";
import { startPolicyLoop, type PolicyLoop } from "./policy-loop.js";
import { DiagnosticsThrottle } from "./diagnostics-throttle.js";
import { JsonlRunLog, teeRunLog } from "./jsonl-run-log.js";

export const DIAGNOSTICS_TOPIC = "/diagnostics";
const DEFAULT_EPISODE_TOPIC = "/episode";
/**
 * The policy worker's busy-wait before each request (policy_spin_ms), off by default: on a busy machine the
 * spinning worker spent its share of the core before the request came and was preempted, and the fallback
 * acted more often (docs/benchmarks.md, bench loop).
 */
export const DEFAULT_POLICY_SPIN_MS = 0;
/** The loop's pre-wake of the policy worker before each slot (policy_prewake_ms). */
export const DEFAULT_POLICY_PREWAKE_MS = 0;

export interface PolicyNodeHandle extends NodeHandle {
  /** Counters for tests and reports. */
  stats(): {
    ticks: number;
    published: number;
    bySource: Record<string, number>;
    estop: boolean;
    /** Node callbacks that threw (each one a fatal node_callback event). */
    faults: number;
    shadowAgreement?: number;
  };
  /** The in-memory run log (also written to `run_log` when set). */
  readonly runLog: ArrayRunLog;
  /** Stops the tick (and the loop worker, its policy worker). */
  close(): Promise<void>;
  /** Where the tick runs. */
  readonly loop: "worker" | "timer";
  /** Slots the real-time loop has gone through (worker loop only). */
  loopSlots(): number;
  /** Deadline figures of the real-time loop from slot `since` on, at most its last minute (worker loop only). */
  loopSummary(since?: number): LoopSummary | undefined;
}

/** Fault injection for tests and benchmarks (not ROS parameters: nothing on a robot should set these). */
export interface PolicyNodeTesting {
  /** Worker loop: a WorkerPolicy module (and its options) in place of the package's actor. */
  policyModule?: string;
  policyOptions?: unknown;
  /** Worker loop: the tick throws after the core's tick number `throwAtTick`. */
  throwAtTick?: number;
  /** Worker loop: stamps of each policy hand-over (benchmarks; policy-trace.ts). */
  policyTrace?: PolicyTrace;
}

export function policyNode(rawNode: Node): Promise<PolicyNodeHandle> {
  return startPolicyNode(rawNode, {});
}

/** The policy node, with fault injection (`testing`). */
export async function startPolicyNode(rawNode: Node, testing: PolicyNodeTesting): Promise<PolicyNodeHandle> {
  // Every callback below runs behind the guard: a throw becomes a fatal node_callback event (onFault).
  let onFault: CallbackFaultHandler = (f) => {
    throw f.error; // before the node is wired up, a fault is the construction's own error
  };
  const node = guardCallbacks(rawNode, (f) => onFault(f));
  const where = `node ${node.fullyQualifiedName()}`;
  const robotParam = String(node.declareParameter("robot", ""));
  const modelParam = String(node.declareParameter("model", ""));
  const shadow = Boolean(node.declareParameter("shadow", false));
  const fallbackParam = String(node.declareParameter("fallback", "auto"));
  const rateParam = Number(node.declareParameter("rate_hz", 0, { double: true }));
  const params = {
    ...DEFAULT_SHIELD_PARAMS,
    maxDelta: Number(node.declareParameter("max_delta", DEFAULT_SHIELD_PARAMS.maxDelta, { double: true })),
    supportK: Number(node.declareParameter("support_k", DEFAULT_SHIELD_PARAMS.supportK, { double: true })),
    stateK: Number(node.declareParameter("state_k", DEFAULT_SHIELD_PARAMS.stateK, { double: true })),
    boxMargin: Number(node.declareParameter("box_margin", DEFAULT_SHIELD_PARAMS.boxMargin, { double: true })),
  };
  const frozenRepeats = Number(node.declareParameter("frozen_repeats", 2));
  const diagPeriod = Number(node.declareParameter("diagnostics_period_ms", 1000));
  const runLogFile = String(node.declareParameter("run_log", ""));
  const returnWindow = Number(node.declareParameter("return_window", 0));
  const returnBaseline = Number(node.declareParameter("return_baseline", 0, { double: true }));
  const returnMaxDrop = Number(node.declareParameter("return_max_drop", 0, { double: true }));
  const loopParam = String(node.declareParameter("loop", "auto"));
  const spinMs = Number(node.declareParameter("loop_spin_ms", -1, { double: true }));
  const policyTimeoutParam = Number(node.declareParameter("policy_timeout_ms", 0, { double: true }));
  const policySpinMs = Number(
    node.declareParameter("policy_spin_ms", DEFAULT_POLICY_SPIN_MS, { double: true }),
  );
  if (!(policySpinMs >= 0))
    throw new ConfigError(where, "policy_spin_ms", "must be >= 0", { actual: String(policySpinMs) });
  const policyPrewakeMs = Number(
    node.declareParameter("policy_prewake_ms", DEFAULT_POLICY_PREWAKE_MS, { double: true }),
  );
  if (!(policyPrewakeMs >= 0))
    throw new ConfigError(where, "policy_prewake_ms", "must be >= 0", { actual: String(policyPrewakeMs) });
  if (loopParam !== "auto" && loopParam !== "worker" && loopParam !== "timer")
    throw new ConfigError(where, "loop", `unknown loop "${loopParam}"`, {
      expected: "auto | worker | timer",
    });
  if (loopParam === "worker" && shadow)
    throw new ConfigError(where, "loop", "shadow mode drives nothing and runs on the timer loop");
  // The loop worker runs on the wall clock (it cannot follow /clock), so sim time stays on the timer loop.
  const simTime = node.hasParameter("use_sim_time") && node.getParameter("use_sim_time") === true;
  if (loopParam === "worker" && simTime)
    throw new ConfigError(
      where,
      "loop",
      "the worker loop runs on the wall clock; use_sim_time needs loop timer",
    );
  const loopKind: "worker" | "timer" = loopParam === "timer" || shadow || simTime ? "timer" : "worker";
  if (robotParam === "")
    throw new ConfigError(where, "robot", "parameter is required (a robot name or folder)");
  if (modelParam === "")
    throw new ConfigError(
      where,
      "model",
      "parameter is required (a policy package folder or name under models/)",
    );

  const coreOptions: PolicyCoreOptions = {
    where,
    robot: robotParam,
    model: modelParam,
    fallback: fallbackParam,
    rateHz: rateParam,
    params,
    frozenRepeats,
    returnWindow,
    returnBaseline,
    returnMaxDrop,
    shadow,
  };
  // Built here on both paths: a bad package or parameter fails the node's construction, named.
  const parts = await loadPolicyCore(coreOptions);
  const { spec, pkg, modelDir, stack, rateHz } = parts;
  // Declared once the package is known, so its default is the package's own target. Other packages get 0
  // (a parameter default must be a real value, NaN is none), and any other value is an error for them.
  const targetReturn = Number(
    node.declareParameter("target_return", pkg.transformer?.targetReturn ?? 0, { double: true }),
  );
  if (pkg.transformer !== undefined || targetReturn !== 0) {
    // loadPolicyCore again would reload the package: the stack is conditioned in place, and the loop's
    // policy worker builds its own from coreOptions.
    coreOptions.targetReturn = targetReturn;
    conditionPolicy(stack.runner, targetReturn, where, pkg);
  }
  const log = node.getLogger();

  const clockMs = (): number => node.getClock().nowSeconds() * 1000;
  const scheduler: SchedulerLike = {
    now: clockMs,
    schedule: asyncScheduler.schedule.bind(asyncScheduler) as SchedulerLike["schedule"],
  };
  const memoryLog = new ArrayRunLog();
  const runLog: RunLog = runLogFile === "" ? memoryLog : teeRunLog(memoryLog, new JsonlRunLog(runLogFile));
  const assembler = new SignalAssembler(spec);
  const cmdTopic = commandTopic(spec);
  const cmdPub = shadow ? undefined : node.createPublisher("std_msgs/msg/Float64MultiArray", cmdTopic);
  const diagPub = node.createPublisher("diagnostic_msgs/msg/DiagnosticArray", DIAGNOSTICS_TOPIC);
  const throttle = new DiagnosticsThrottle(diagPeriod);
  const hardwareId = spec.name;
  const zeroCommand = (): void => {
    if (cmdPub !== undefined) cmdPub.publish({ data: Array.from(stack.shield.limits.zero) });
  };

  let core: SafetyCore | undefined = undefined;
  let stateStampMs = 0;
  /** Joint states accepted so far: the id of the latest state, for episodeReturn. */
  let stateCount = 0;
  let haveState = false;
  let warnedClock = false;
  const pendingTasks = subscribeTaskTopics(node, spec, assembler);
  const stats = { ticks: 0, published: 0, faults: 0, bySource: {} as Record<string, number> };
  let episode: number | undefined = undefined;
  // Timer loop only (the worker loop keeps its own): each step scored from the state after it.
  const episodeReturn = new EpisodeReturn(compileTask(spec));
  // Shadow: agreement with whoever else commands the robot (mean |policy - live| in normalized units).
  const live = new Float64Array(spec.actuators.length);
  let haveLive = false;
  let agreementSum = 0;
  let agreementN = 0;

  const makeCore = (): SafetyCore => parts.makeCore(scheduler, runLog);

  /** Events of one tick to /diagnostics (throttled per monitor) and an e-stop change to the log. */
  const report = (events: SafetyEvent[], estop: EStopState, estopChanged: boolean): void => {
    const nowMs = clockMs();
    const send = events.length > 0 ? throttle.select(events, nowMs) : [];
    if (send.length > 0 || estopChanged) {
      diagPub.publish(
        toDiagnosticArray(send, nowMs / 1000, hardwareId, estopChanged || estop.engaged ? estop : undefined),
      );
    }
    if (estopChanged)
      log.error(`E-STOP: ${estop.cause?.message ?? "engaged"}; call the service ~/reset_estop to clear`);
  };

  // Worker loop: the main thread's own faults latch the loop's e-stop through a message; until the loop
  // confirms (its e-stop flag), this side publishes zero effort itself.
  let loop: PolicyLoop | undefined = undefined;
  let mainLatched = false;
  let loopDead = false;
  // The worker's e-stop as its last message said (every change of it comes with a message).
  let loopEStop: EStopState = { engaged: false, cause: undefined, trips: 0 };

  onFault = (f: CallbackFault): void => {
    stats.faults++;
    const detail = f.error instanceof Error ? f.error.message : String(f.error);
    const nowMs = clockMs();
    const event = safetyEvent(
      "node_callback",
      f.callback,
      "fatal",
      0,
      0,
      nowMs,
      `${f.node}: ${f.callback} threw: ${detail}`,
    );
    log.error(`E-STOP: ${event.message}; call the service ~/reset_estop to clear`);
    let engaged: boolean;
    let estop: EStopState;
    if (loop !== undefined) {
      mainLatched = true;
      engaged = true;
      // The loop's core logs the event and the latch; a dead loop cannot, so it is logged here.
      if (loopDead) runLog.record({ kind: "event", tick: 0, event });
      else loop.post({ type: "raise", event });
      estop = { engaged: true, cause: event, trips: 0 };
    } else {
      if (core === undefined) core = makeCore();
      engaged = core.raise(event);
      estop = { engaged: core.estop.engaged, cause: core.estop.cause, trips: core.estop.trips };
    }
    // Tell the operator, then stop the actuators; if one of the two throws, the other still happens.
    const failures: unknown[] = [];
    try {
      const send = throttle.select([event], nowMs);
      if (send.length > 0 || engaged)
        diagPub.publish(toDiagnosticArray(send, nowMs / 1000, hardwareId, estop));
    } catch (err) {
      failures.push(err);
    }
    try {
      zeroCommand();
    } catch (err) {
      failures.push(err);
    }
    if (failures.length > 0)
      throw new AggregateError(failures, `${where}: handling the fault in ${f.callback} failed too`);
  };

  // The loop's clock is epoch ms (performance.timeOrigin + now()); a stamp goes over as its age on this
  // node's clock, so the loop's stale-state watchdog sees the age the timer path would.
  const loopNowMs = (): number => performance.timeOrigin + performance.now();
  const stateToLoop = (): void => {
    if (loop === undefined) return;
    loop.writeState(loopNowMs() - (clockMs() - stateStampMs), assembler.signals);
    if (pendingTasks.size === 0) loop.setReady();
  };

  node.createSubscription(
    "sensor_msgs/msg/JointState",
    spec.ros.joint_states_topic,
    {},
    function onJointState(msg: JointState) {
      if (!assembler.acceptJointState(msg, spec.ros.joint_states_topic, (t) => log.warn(t))) return;
      stateStampMs = (msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9) * 1000;
      stateCount++;
      haveState = true;
      if (!warnedClock && Math.abs(clockMs() - stateStampMs) > 60_000) {
        warnedClock = true;
        log.warn(
          `${spec.ros.joint_states_topic} stamps are ${((clockMs() - stateStampMs) / 1000).toFixed(0)} s off ` +
            "this node's clock: every state will count as stale; set use_sim_time to match the robot",
        );
      }
      stateToLoop();
    },
  );
  node.createSubscription(
    "std_msgs/msg/Int32",
    spec.ros.episode_topic ?? DEFAULT_EPISODE_TOPIC,
    { qos: LATCHED_QOS },
    function onEpisode(m) {
      if (loop !== undefined) {
        loop.post({
          type: "episode",
          data: m.data,
          stateSeq: loop.stateSeq(),
          signals: assembler.signals.slice(),
        });
        return;
      }
      const ret = episodeReturn.end(assembler.signals, stateCount);
      if (core !== undefined && episode !== undefined && m.data !== episode) core.endEpisode(episode, ret);
      episode = m.data;
    },
  );
  const resetDiagnostics = (trips: number): void =>
    diagPub.publish(
      toDiagnosticArray([], clockMs() / 1000, hardwareId, { engaged: false, cause: undefined, trips }),
    );
  // A service, not a topic: the operator learns whether the latch was cleared (and why it tripped).
  const resetService = node.createService("std_srvs/srv/Trigger", "~/reset_estop", function onResetEStop() {
    const by = `service ${resetService.serviceName}`;
    if (loop !== undefined) {
      // The worker's latch clears on its next slot; the answer is from the e-stop state it last reported.
      if (loopDead) return { success: false, message: "the real-time loop has died: restart the node" };
      if (!loopEStop.engaged && !mainLatched) return { success: true, message: "no e-stop was latched" };
      const cause = loopEStop.cause?.message;
      loop.post({ type: "reset", by });
      loopEStop = { engaged: false, cause: undefined, trips: loopEStop.trips };
      return { success: true, message: `e-stop cleared (it tripped on: ${cause ?? "unknown"})` };
    }
    const cause = core?.estop.cause?.message;
    if (core === undefined || !core.resetEStop(by))
      return { success: true, message: "no e-stop was latched" };
    log.warn(`e-stop reset by ${by}`);
    resetDiagnostics(core.estop.trips);
    return { success: true, message: `e-stop cleared (it tripped on: ${cause ?? "unknown"})` };
  });
  if (shadow) {
    node.createSubscription("std_msgs/msg/Float64MultiArray", cmdTopic, {}, function onLiveCommand(m) {
      for (let i = 0; i < live.length; i++) {
        const [lo, hi] = spec.actuators[i].range;
        live[i] = (2 * ((m.data[i] ?? 0) - lo)) / (hi - lo) - 1;
      }
      haveLive = true;
    });
  }

  let timer: { cancel(): void } | undefined = undefined;
  if (loopKind === "worker") {
    const periodMs = 1000 / rateHz;
    loop = startPolicyLoop({
      tick: {
        core: coreOptions,
        policyTimeoutMs: policyTimeoutParam > 0 ? policyTimeoutParam : periodMs / 2,
        // At most a quarter period: the worker sleeps most of each period.
        policySpinMs: Math.min(policySpinMs, periodMs / 4),
        policyPrewakeMs: Math.min(policyPrewakeMs, periodMs / 4),
        policyTrace: testing.policyTrace,
        policyModule: testing.policyModule,
        policyOptions: testing.policyOptions,
        throwAtTick: testing.throwAtTick,
      },
      sigDim: assembler.signals.length,
      actDim: spec.actuators.length,
      rateHz,
      spinMs,
      recordSlots: Math.max(1, Math.round(rateHz * 60)),
      onCommand(command) {
        if (cmdPub === undefined) return;
        const zero = mainLatched || loopDead;
        // Not a node callback, so guarded here the same way: a throw latches the e-stop and is reported.
        try {
          cmdPub.publish({ data: zero ? Array.from(stack.shield.limits.zero) : Array.from(command) });
          if (!zero) stats.published++;
        } catch (error) {
          onFault({ node: node.fullyQualifiedName(), callback: "command publish", error });
        }
      },
      onMessage(m) {
        if (m.type === "log") runLog.record(m.entry);
        else if (m.type === "tick") {
          loopEStop = m.estop;
          report(m.events, m.estop, m.estopChanged);
        } else if (m.type === "fault") {
          stats.faults++;
          loopEStop = m.estop;
          report([m.event], m.estop, true);
        } else {
          loopEStop = { engaged: false, cause: undefined, trips: m.trips };
          mainLatched = false;
          log.warn(`e-stop reset by ${m.by}`);
          resetDiagnostics(m.trips);
        }
      },
      onDead(err) {
        loopDead = true;
        onFault({ node: node.fullyQualifiedName(), callback: "real-time loop", error: err });
      },
    });
  } else {
    timer = node.createTimer(1000 / rateHz, function tick() {
      if (!haveState || pendingTasks.size > 0) return;
      if (core === undefined) core = makeCore();
      // The last command's step, scored from this tick's state (with that command still in the signals).
      episodeReturn.settle(assembler.signals);
      const wasEngaged = core.estop.engaged;
      const out = core.tick(stateStampMs, assembler.signals);
      stats.ticks++;
      stats.bySource[out.source] = (stats.bySource[out.source] ?? 0) + 1;
      if (out.publish && cmdPub !== undefined) {
        cmdPub.publish({ data: out.command.slice() });
        assembler.setAction(out.command);
        stats.published++;
        episodeReturn.sent(stateCount);
      }
      if (shadow && haveLive) {
        let d = 0;
        for (let i = 0; i < live.length; i++) d += Math.abs(out.action[i] - live[i]);
        agreementSum += d / live.length;
        agreementN++;
      }
      if (out.events.length > 0 || core.estop.engaged !== wasEngaged)
        report(
          out.events,
          { engaged: core.estop.engaged, cause: core.estop.cause, trips: core.estop.trips },
          core.estop.engaged !== wasEngaged,
        );
    });
  }

  log.info(
    `${pkg.manifest.provenance.algorithm} policy ${modelDir} on ${spec.name} at ${rateHz} Hz -> ${shadow ? "(shadow: not publishing)" : cmdTopic}; fallback ${fallbackParam}; ${loopKind} loop`,
  );
  return {
    runLog: memoryLog,
    loop: loopKind,
    loopSlots: () => loop?.slots() ?? 0,
    loopSummary: (since) => loop?.summary(since),
    stats: () => {
      if (loop !== undefined) {
        const l = loop.stats();
        return {
          ...l,
          published: stats.published,
          estop: l.estop || mainLatched || loopDead,
          faults: stats.faults,
        };
      }
      return {
        ...stats,
        bySource: { ...stats.bySource },
        estop: core !== undefined && core.estop.engaged,
        shadowAgreement: agreementN > 0 ? agreementSum / agreementN : undefined,
      };
    },
    async close() {
      timer?.cancel();
      if (core !== undefined) core.close();
      await loop?.close();
    },
  };
}
