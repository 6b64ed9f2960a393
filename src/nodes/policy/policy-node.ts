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
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import { ConfigError } from "../../core/errors.js";
import type { JointState } from "../../msgs/types.js";
import { commandTopic, type RobotSpec } from "../../robot/spec.js";
import type { PolicyPackage } from "../../policy/package.js";
import type { PolicyRunner } from "../../policy/runner.js";
import { LATCHED_QOS, type Node, type NodeHandle } from "../../ros/node.js";
import { guardCallbacks, type CallbackFault, type CallbackFaultHandler } from "../../ros/callback-guard.js";
import { safetyEvent } from "../../safety/events.js";
import type { Controller } from "../../safety/fallback.js";
import { ArrayRunLog, type RunLog } from "../../safety/run-log.js";
import { SafetyCore } from "../../safety/safety-core.js";
import { toDiagnosticArray } from "../../safety/diagnostics.js";
import { SignalAssembler, subscribeTaskTopics } from "../behavior/signal-assembler.js";
import { buildPolicyStack, DEFAULT_SHIELD_PARAMS } from "./build-shield.js";
import { DiagnosticsThrottle } from "./diagnostics-throttle.js";
import { JsonlRunLog, teeRunLog } from "./jsonl-run-log.js";

export const DIAGNOSTICS_TOPIC = "/diagnostics";
const DEFAULT_EPISODE_TOPIC = "/episode";

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
}

export async function policyNode(rawNode: Node): Promise<PolicyNodeHandle> {
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
  if (robotParam === "")
    throw new ConfigError(where, "robot", "parameter is required (a robot name or folder)");
  if (modelParam === "")
    throw new ConfigError(
      where,
      "model",
      "parameter is required (a policy package folder or name under models/)",
    );

  const { loadRobot, REPO_ROOT } = await import("../../robot/load.js");
  const { loadPolicyPackage } = await import("../../policy/package.js");
  const spec = loadRobot(robotParam).spec;
  const modelDir = existsSync(join(modelParam, "policy.json"))
    ? modelParam
    : join(REPO_ROOT, "models", modelParam);
  const pkg = loadPolicyPackage(modelDir);
  const stack = buildPolicyStack(pkg, spec, params);
  const rateHz = rateParam > 0 ? rateParam : spec.control.rate_hz;
  const log = node.getLogger();

  const policy: Controller = { act: (obs, _signals, out) => stack.runner.act(obs, out) };
  const fallback = await makeFallback(fallbackParam, where, spec, pkg, stack.runner);

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

  let core: SafetyCore | undefined = undefined;
  let stateStampMs = 0;
  let haveState = false;
  let warnedClock = false;
  const pendingTasks = subscribeTaskTopics(node, spec, assembler);
  const stats = { ticks: 0, published: 0, faults: 0, bySource: {} as Record<string, number> };
  let episode: number | undefined = undefined;
  let episodeReturn = 0;
  // Shadow: agreement with whoever else commands the robot (mean |policy - live| in normalized units).
  const live = new Float64Array(spec.actuators.length);
  let haveLive = false;
  let agreementSum = 0;
  let agreementN = 0;

  const makeCore = (): SafetyCore =>
    new SafetyCore({
      spec,
      shield: stack.shield,
      policy,
      fallback,
      scheduler,
      budgetMs: 1000 / rateHz,
      frozenRepeats,
      stateBox: stack.stateBox,
      supportGap: { window: Math.max(1, Math.round(rateHz)), warnAbove: 0.05, errorAbove: 0.25 },
      returnCollapse:
        returnWindow > 0
          ? { window: returnWindow, baseline: returnBaseline, maxDrop: returnMaxDrop }
          : undefined,
      log: runLog,
      shadow,
    });

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
    if (core === undefined) core = makeCore();
    const engaged = core.raise(event);
    // Tell the operator, then stop the actuators; if one of the two throws, the other still happens.
    const failures: unknown[] = [];
    try {
      const send = throttle.select([event], nowMs);
      if (send.length > 0 || engaged) {
        const estop = { engaged: core.estop.engaged, cause: core.estop.cause, trips: core.estop.trips };
        diagPub.publish(toDiagnosticArray(send, nowMs / 1000, hardwareId, estop));
      }
    } catch (err) {
      failures.push(err);
    }
    try {
      if (cmdPub !== undefined) cmdPub.publish({ data: Array.from(stack.shield.limits.zero) });
    } catch (err) {
      failures.push(err);
    }
    if (failures.length > 0)
      throw new AggregateError(failures, `${where}: handling the fault in ${f.callback} failed too`);
  };

  node.createSubscription(
    "sensor_msgs/msg/JointState",
    spec.ros.joint_states_topic,
    {},
    function onJointState(msg: JointState) {
      if (!assembler.acceptJointState(msg, spec.ros.joint_states_topic, (t) => log.warn(t))) return;
      stateStampMs = (msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9) * 1000;
      haveState = true;
      if (!warnedClock && Math.abs(clockMs() - stateStampMs) > 60_000) {
        warnedClock = true;
        log.warn(
          `${spec.ros.joint_states_topic} stamps are ${((clockMs() - stateStampMs) / 1000).toFixed(0)} s off ` +
            "this node's clock: every state will count as stale; set use_sim_time to match the robot",
        );
      }
    },
  );
  node.createSubscription(
    "std_msgs/msg/Int32",
    spec.ros.episode_topic ?? DEFAULT_EPISODE_TOPIC,
    { qos: LATCHED_QOS },
    function onEpisode(m) {
      if (core !== undefined && episode !== undefined && m.data !== episode)
        core.endEpisode(episode, episodeReturn);
      episode = m.data;
      episodeReturn = 0;
    },
  );
  // A service, not a topic: the operator learns whether the latch was cleared (and why it tripped).
  const resetService = node.createService("std_srvs/srv/Trigger", "~/reset_estop", function onResetEStop() {
    const cause = core?.estop.cause?.message;
    if (core === undefined || !core.resetEStop(`service ${resetService.serviceName}`))
      return { success: true, message: "no e-stop was latched" };
    log.warn(`e-stop reset through ${resetService.serviceName}`);
    diagPub.publish(
      toDiagnosticArray([], clockMs() / 1000, hardwareId, {
        engaged: false,
        cause: undefined,
        trips: core.estop.trips,
      }),
    );
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

  const timer = node.createTimer(1000 / rateHz, function tick() {
    if (!haveState || pendingTasks.size > 0) return;
    if (core === undefined) core = makeCore();
    const wasEngaged = core.estop.engaged;
    const out = core.tick(stateStampMs, assembler.signals);
    stats.ticks++;
    stats.bySource[out.source] = (stats.bySource[out.source] ?? 0) + 1;
    if (out.publish && cmdPub !== undefined) {
      cmdPub.publish({ data: out.command.slice() });
      assembler.setAction(out.command);
      stats.published++;
      episodeReturn += core.task.reward(assembler.signals);
    }
    if (shadow && haveLive) {
      let d = 0;
      for (let i = 0; i < live.length; i++) d += Math.abs(out.action[i] - live[i]);
      agreementSum += d / live.length;
      agreementN++;
    }
    const nowMs = clockMs();
    const send = out.events.length > 0 ? throttle.select(out.events, nowMs) : [];
    const estopChanged = core.estop.engaged !== wasEngaged;
    if (send.length > 0 || estopChanged) {
      diagPub.publish(
        toDiagnosticArray(
          send,
          nowMs / 1000,
          hardwareId,
          estopChanged || core.estop.engaged
            ? { engaged: core.estop.engaged, cause: core.estop.cause, trips: core.estop.trips }
            : undefined,
        ),
      );
    }
    if (estopChanged)
      log.error(`E-STOP: ${core.estop.cause?.message ?? "engaged"}; call the service ~/reset_estop to clear`);
  });

  log.info(
    `${pkg.manifest.provenance.algorithm} policy ${modelDir} on ${spec.name} at ${rateHz} Hz -> ${shadow ? "(shadow: not publishing)" : cmdTopic}; fallback ${fallbackParam}`,
  );
  return {
    runLog: memoryLog,
    stats: () => ({
      ...stats,
      bySource: { ...stats.bySource },
      estop: core !== undefined && core.estop.engaged,
      shadowAgreement: agreementN > 0 ? agreementSum / agreementN : undefined,
    }),
    close() {
      timer.cancel();
      if (core !== undefined) core.close();
    },
  };
}

async function makeFallback(
  choice: string,
  where: string,
  spec: RobotSpec,
  pkg: PolicyPackage,
  runner: PolicyRunner,
): Promise<Controller | undefined> {
  const { SupportRunner } = await import("../../policy/runner.js");
  const behaviors = await import("../../robot/behaviors/index.js");
  const bc = (): Controller | undefined => {
    const sr = SupportRunner.fromPackage(pkg, runner);
    if (sr === undefined) return undefined;
    const std = new Float64Array(runner.actDim);
    return { act: (obs, _s, out) => sr.evaluate(obs, out, std) };
  };
  const behavior = (level: string): Controller => {
    if (!(behaviors.BEHAVIOR_LEVELS as readonly string[]).includes(level)) {
      throw new ConfigError(where, "fallback", `unknown behavior level "${level}"`, {
        expected: behaviors.BEHAVIOR_LEVELS.join("|"),
      });
    }
    const ctl = behaviors.makeBehavior(spec, level as (typeof behaviors.BEHAVIOR_LEVELS)[number], 0);
    return { act: (_obs, signals, out) => ctl.act(signals, out) };
  };
  if (choice === "none") return undefined;
  if (choice === "bc") {
    const c = bc();
    if (c === undefined)
      throw new ConfigError(
        where,
        "fallback",
        "bc needs a behavior model in the policy package (support.conditional)",
      );
    return c;
  }
  if (choice.startsWith("behavior:")) return behavior(choice.slice("behavior:".length));
  if (choice === "auto") {
    const c = bc();
    if (c !== undefined) return c;
    if (behaviors.hasExpertBehavior(spec.name)) return behavior("expert");
    return undefined;
  }
  throw new ConfigError(where, "fallback", `unknown fallback "${choice}"`, {
    expected: "auto | bc | behavior:<level> | none",
  });
}
