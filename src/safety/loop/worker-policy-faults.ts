/**
 * Policy faults on the wall clock with the policy in its own worker thread (WorkerPolicy): a latency spike
 * (the policy call hangs for `spikePeriods`) or a crash. Unlike faults.ts (manual clock, policy on the
 * control thread, where the fallback acts only once the slow call has returned), this measures whether the
 * fallback's command goes out within the period *while* the policy call is still stuck.
 *
 * Synthetic plant, PD policy (faulty-pd-policy.ts) in the worker, a gentler PD fallback on the control
 * thread, the Shield, a SafetyCore on a polled wall clock, the drift-free loop of realtime-loop.ts on the
 * calling thread; an independent CommandChecker looks at every published command.
 */
import { actionBoxFromQuantiles } from "../clamps/action-box.js";
import { hardLimitsFromSpec } from "../clamps/hard-limits.js";
import { Shield } from "../clamps/shield.js";
import type { Controller, ControlSource } from "../fallback.js";
import { SafetyCore } from "../safety-core.js";
import { CommandChecker } from "./command-checker.js";
import { ARMED, FAULT, type FaultyPdOptions } from "./faulty-pd-policy.js";
import { SLOT, createLoopRecord, runRealtimeLoop } from "./realtime-loop.js";
import { SYNTHETIC_ARM, SyntheticPlant, pdAction } from "./synthetic-plant.js";
import { PolledWallClock } from "./wall-clock.js";
import { WorkerPolicy } from "./worker-policy.js";

export const WORKER_POLICY_FAULTS = ["latency_spike", "policy_crash"] as const;
export type WorkerPolicyFault = (typeof WORKER_POLICY_FAULTS)[number];

export interface WorkerPolicyFaultOptions {
  ticks?: number;
  injectTick?: number;
  spikePeriods?: number;
  /** Longest wait for the worker's action, ms (default a quarter period). */
  timeoutMs?: number;
}

export interface WorkerPolicyFaultResult {
  fault: WorkerPolicyFault;
  policy_thread: "worker";
  /** The slot the fault was armed at (the first ticked slot at or after the requested one). */
  injected_tick: number;
  reaction_periods: number | null;
  reacted_with: ControlSource | null;
  unsafe_commands: number;
  published: number;
  /** Commands published while the policy call was stuck in its worker (latency spike). */
  published_while_policy_stuck: number;
  period_us: number;
  /** Wall time of the injected tick (state in to command out), µs. */
  command_us_at_injection: number;
  /** Longest tick from the injection to the end of the run, µs. */
  command_us_max_after_injection: number;
  spike_us: number;
  /** Ticks before the fault not driven by the policy (false alarms, e.g. a slow worker on a busy machine). */
  ticks_not_policy_before_fault: number;
  /**
   * The e-stop engaged before the fault was armed (a loop starved of CPU past the stale-state limit, 5 state
   * ages): the policy was never called again, so the run says nothing of the fault.
   */
  estop_before_fault: boolean;
  deadline_misses: number;
  monitors: string[];
  unsafe_reasons: string[];
}

const BOX_Q = { lo: [-0.8, -0.8], hi: [0.8, 0.8] };
const MAX_DELTA = 0.2;
const TARGET = [0.5, -0.5];

export async function runWorkerPolicyFault(
  fault: WorkerPolicyFault,
  options: WorkerPolicyFaultOptions = {},
): Promise<WorkerPolicyFaultResult> {
  const ticks = options.ticks ?? 300;
  const injectTick = options.injectTick ?? 150;
  const spec = SYNTHETIC_ARM;
  const periodMs = 1000 / spec.control.rate_hz;
  const spikeMs = (options.spikePeriods ?? 3) * periodMs;
  const block = new Int32Array(new SharedArrayBuffer(8));
  const plant = new SyntheticPlant(spec);
  plant.reset([0.3, -0.2]);
  const policyOptions: FaultyPdOptions = { block, target: TARGET, kp: 2.0, kd: 0.3, spikeMs };
  const policy = await WorkerPolicy.start({
    module: new URL("./faulty-pd-policy.ts", import.meta.url).href,
    options: policyOptions,
    obsDim: spec.observation.length,
    sigDim: plant.signals.length,
    actDim: spec.actuators.length,
    timeoutMs: options.timeoutMs ?? periodMs / 4,
  });
  const fallback: Controller = {
    act: (_obs, signals, out) => pdAction(signals, plant.layout, TARGET, 1.0, 0.5, out),
  };
  const limits = hardLimitsFromSpec(spec);
  const box = actionBoxFromQuantiles(BOX_Q.lo, BOX_Q.hi, { margin: 0, minMargin: 0 });
  const clock = new PolledWallClock();
  const core = new SafetyCore({
    spec,
    shield: new Shield({ limits, box, maxDelta: MAX_DELTA }),
    policy,
    fallback,
    scheduler: clock,
    stateBox: { lo: [-1.2, -1.2, -3, -3], hi: [1.2, 1.2, 3, 3] },
  });
  const checker = new CommandChecker({ spec, box, maxDelta: MAX_DELTA });
  const held = new Float64Array(limits.zero);
  const record = createLoopRecord(ticks);
  const monitors: string[] = [];
  let injected = -1;
  let reaction: number | null = null;
  let reactedWith: ControlSource | null = null;
  let whileStuck = 0;
  let published = 0;
  let falseAlarms = 0;
  let estopBefore = false;
  let lastSlot = -1;

  try {
    runRealtimeLoop(
      (slot) => {
        // The actuator held its command through any skipped slots.
        plant.step(held, ((slot - lastSlot) * periodMs) / 1000);
        lastSlot = slot;
        clock.poll();
        if (injected < 0 && slot >= injectTick) {
          injected = slot;
          Atomics.store(block, FAULT.armed, fault === "policy_crash" ? ARMED.crash : ARMED.latencySpike);
        }
        const out = core.tick(clock.now(), plant.signals);
        for (const e of out.events)
          if ((e.severity === "error" || e.severity === "fatal") && !monitors.includes(e.monitor))
            monitors.push(e.monitor);
        if (out.source !== "policy") {
          if (injected < 0) {
            falseAlarms++;
            if (out.source === "estop") estopBefore = true;
          } else if (reaction === null) {
            reaction = slot - injected;
            reactedWith = out.source;
          }
        }
        if (out.publish) {
          published++;
          if (Atomics.load(block, FAULT.stuck) === 1) whileStuck++;
          checker.check(out.command, out.source === "estop", slot);
          held.set(out.command);
        }
      },
      { periodMs, slots: ticks },
      record,
    );
  } finally {
    core.close();
    await policy.close();
  }
  let maxAfter = 0;
  let misses = 0;
  for (let k = 0; k < ticks; k++) {
    if (record.status[k] !== SLOT.ok) misses++;
    if (k >= injected && record.status[k] !== SLOT.skipped) maxAfter = Math.max(maxAfter, record.tickUs[k]);
  }
  const r = (v: number): number => Math.round(v * 10) / 10;
  return {
    fault,
    policy_thread: "worker",
    injected_tick: injected,
    reaction_periods: reaction,
    reacted_with: reactedWith,
    unsafe_commands: checker.unsafe,
    published,
    published_while_policy_stuck: whileStuck,
    period_us: periodMs * 1000,
    command_us_at_injection: r(record.tickUs[injected]),
    command_us_max_after_injection: r(maxAfter),
    spike_us: fault === "latency_spike" ? spikeMs * 1000 : 0,
    ticks_not_policy_before_fault: falseAlarms,
    estop_before_fault: estopBefore,
    deadline_misses: misses,
    monitors,
    unsafe_reasons: checker.reasons,
  };
}
