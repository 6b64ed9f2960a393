/**
 * Fault injection on a running loop: the synthetic plant, a PD "policy", a gentler PD fallback controller,
 * the Shield and the SafetyCore, on a manual clock. Each fault starts at `injectTick`; the result says how
 * many control periods passed until the loop stopped trusting the policy (0 = the same tick) and how many
 * published commands an independent checker found unsafe.
 */
import { actionBoxFromQuantiles } from "../clamps/action-box.js";
import { hardLimitsFromSpec } from "../clamps/hard-limits.js";
import { Shield } from "../clamps/shield.js";
import type { Controller, ControlSource } from "../fallback.js";
import { ArrayRunLog } from "../run-log.js";
import { SafetyCore } from "../safety-core.js";
import { ClockScheduler } from "./clock-scheduler.js";
import { CommandChecker } from "./command-checker.js";
import { SYNTHETIC_ARM, SyntheticPlant, pdAction } from "./synthetic-plant.js";

export const FAULTS = [
  "none",
  "nan_policy",
  "frozen_sensor",
  "latency_spike",
  "ood_state",
  "policy_crash",
  "joint_limit_breach",
] as const;
export type FaultName = (typeof FAULTS)[number];

export interface FaultResult {
  fault: FaultName;
  injected_tick: number;
  /** Ticks from injection to the first tick not driven by the policy; null when it never happened. */
  reaction_periods: number | null;
  /** What took over: fallback, hold or estop. */
  reacted_with: ControlSource | null;
  unsafe_commands: number;
  published: number;
  /** Ticks skipped because their slot had passed (after a latency spike). */
  missed_ticks: number;
  ticks_not_policy: number;
  estop: boolean;
  /** Monitors that reported errors (or worse), in order of first report. */
  monitors: string[];
  unsafe_reasons: string[];
}

export interface FaultRunOptions {
  ticks?: number;
  injectTick?: number;
  /** Latency spike length in control periods. */
  spikePeriods?: number;
}

const BOX_Q = { lo: [-0.8, -0.8], hi: [0.8, 0.8] };
const MAX_DELTA = 0.2;
const TARGET = [0.5, -0.5];

export function runFault(fault: FaultName, options: FaultRunOptions = {}): FaultResult {
  const ticks = options.ticks ?? 200;
  const injectTick = options.injectTick ?? 100;
  const spikePeriods = options.spikePeriods ?? 3;
  const spec = SYNTHETIC_ARM;
  const scheduler = new ClockScheduler(0);
  const plant = new SyntheticPlant(spec);
  plant.reset([0.3, -0.2]);
  const periodMs = 1000 / spec.control.rate_hz;
  const limits = hardLimitsFromSpec(spec);
  const box = actionBoxFromQuantiles(BOX_Q.lo, BOX_Q.hi, { margin: 0, minMargin: 0 });
  const shield = new Shield({ limits, box, maxDelta: MAX_DELTA });
  let tick = 0;

  const policy: Controller = {
    act(_obs, signals, out) {
      if (tick >= injectTick) {
        if (fault === "nan_policy") {
          out.fill(NaN);
          return;
        }
        if (fault === "policy_crash") throw new Error("injected policy crash");
        if (fault === "latency_spike" && tick === injectTick) scheduler.advanceBy(spikePeriods * periodMs);
      }
      pdAction(signals, plant.layout, TARGET, 2.0, 0.3, out);
    },
  };
  const fallback: Controller = {
    act(_obs, signals, out) {
      pdAction(signals, plant.layout, TARGET, 1.0, 0.5, out);
    },
  };
  const log = new ArrayRunLog();
  const core = new SafetyCore({
    spec,
    shield,
    policy,
    fallback,
    scheduler,
    stateBox: { lo: [-1.2, -1.2, -3, -3], hi: [1.2, 1.2, 3, 3] },
    supportGap: { window: 50, warnAbove: 0.05, errorAbove: 0.2 },
    log,
  });
  const checker = new CommandChecker({ spec, box, maxDelta: MAX_DELTA });
  const sensor = new Float64Array(plant.signals.length);
  let sensorStamp = 0;
  let reaction: number | null = null;
  let reactedWith: ControlSource | null = null;
  let notPolicy = 0;
  let published = 0;
  const monitors: string[] = [];
  const L = plant.layout;

  const held = new Float64Array(limits.zero);
  let missed = 0;
  for (tick = 0; tick < ticks; tick++) {
    scheduler.advanceTo(tick * periodMs);
    const now = scheduler.now();
    if (now > tick * periodMs) {
      // A drift-free scheduler skips ticks whose slot already passed; the actuator holds its last command.
      missed++;
      plant.step(held, periodMs / 1000);
      continue;
    }
    if (fault === "ood_state" && tick === injectTick) plant.signals[L.velocity] = 5.0; // a shove: within joint limits, far outside the data
    if (fault === "joint_limit_breach" && tick === injectTick) plant.signals[L.position + 1] = 2.05;
    const frozen = fault === "frozen_sensor" && tick >= injectTick;
    if (!frozen) {
      sensor.set(plant.signals);
      sensorStamp = now;
    }
    const out = core.tick(sensorStamp, sensor);
    for (const e of out.events) {
      if ((e.severity === "error" || e.severity === "fatal") && !monitors.includes(e.monitor))
        monitors.push(e.monitor);
    }
    if (out.source !== "policy") {
      notPolicy++;
      if (tick >= injectTick && reaction === null && fault !== "none") {
        reaction = tick - injectTick;
        reactedWith = out.source;
      }
    }
    if (out.publish) {
      published++;
      checker.check(out.command, out.source === "estop", tick);
      held.set(out.command);
    }
    plant.step(held, periodMs / 1000);
  }
  core.close();
  return {
    fault,
    injected_tick: injectTick,
    reaction_periods: reaction,
    reacted_with: reactedWith,
    unsafe_commands: checker.unsafe,
    published,
    missed_ticks: missed,
    ticks_not_policy: notPolicy,
    estop: core.estop.trips > 0,
    monitors,
    unsafe_reasons: checker.reasons,
  };
}
