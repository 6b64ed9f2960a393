/**
 * The fine-tune loop's ActionFilter on the SafetyCore: every proposed action (exploration and evaluation)
 * takes the policy node's tick — state monitors (joint limits, stale state, NaN guard, OOD state), the NaN
 * guard on the action, the support gap, the shield, the e-stop latch. A fatal event latches the e-stop: that
 * tick sends zero effort and the filter halts, so the loop ends the run there (see ActionFilter.halted).
 *
 * The loop hands the filter an observation, the core wants the robot's full signal vector: the envs are
 * wrapped in taps that keep the signals of the state they returned last (the loop always filters the
 * observation it got last). Time is sim time, one control period per tick on a manual clock. One core per
 * episode, as in deploy's shielded episodes: a reset robot is a fresh start for the monitors.
 */
import { ConfigError } from "../../core/errors.js";
import type { Env, StepResult } from "../../core/env.js";
import type { ActionFilter } from "../../rl/finetune/finetune-loop.js";
import type { RobotSpec } from "../../robot/spec.js";
import type { Shield } from "../../safety/clamps/shield.js";
import type { SafetyEvent } from "../../safety/events.js";
import type { Controller } from "../../safety/fallback.js";
import { ClockScheduler } from "../../safety/loop/clock-scheduler.js";
import { SafetyCore } from "../../safety/safety-core.js";
import { BrakingFilter } from "../../sim/braking-filter.js";
import type { MujocoEnv } from "../../sim/mujoco-env.js";

export interface MonitoredFilterOptions {
  spec: RobotSpec;
  shield: Shield;
  /** Dataset observation box for the OOD-state monitor. */
  stateBox?: { lo: ArrayLike<number>; hi: ArrayLike<number> };
  /** Acts through the shield on ticks a monitor reports an error; without it those ticks hold the last command. */
  fallback?: Controller;
  /** Braking-aware limits by MuJoCo prediction as the shield's last step, on envs that are MujocoEnvs (default true). */
  brake?: boolean;
}

export interface MonitoredFilter {
  readonly filter: ActionFilter;
  /** Wraps an env so the filter sees the signals of the state it returned last; wrap every env the loop uses. */
  tap(env: Env): Env;
  /** Events the monitors raised, counted by `monitor:severity`. */
  readonly eventCounts: Record<string, number>;
  /** Ticks by control source (policy, hold, fallback, estop). */
  readonly sources: Record<string, number>;
  /** Ticks the braking step replaced the proposed action. */
  brakeTicks(): number;
  /** The event that latched the e-stop, when one did. */
  estop(): SafetyEvent | undefined;
  close(): void;
}

interface SignalSource {
  signals(): Float64Array;
}

function hasSignals(env: Env): env is Env & SignalSource {
  return typeof (env as Partial<SignalSource>).signals === "function";
}

function isMujocoEnv(env: Env): env is MujocoEnv {
  return typeof (env as Partial<MujocoEnv>).physics === "function";
}

export function monitoredFilter(options: MonitoredFilterOptions): MonitoredFilter {
  const { spec, shield } = options;
  const scheduler = new ClockScheduler(0);
  const proposed = new Float64Array(shield.dim);
  const policy: Controller = {
    act: (_obs, _signals, out) => out.set(proposed),
  };
  const makeCore = (): SafetyCore =>
    new SafetyCore({
      spec,
      shield,
      policy,
      scheduler,
      stateBox: options.stateBox,
      fallback: options.fallback,
    });
  let core = makeCore();
  const periodMs = core.periodMs;
  let simMs = 0;
  let signals: Float64Array | undefined;
  // One braking filter per MuJoCo env; the one of the env that returned the state last is the shield's.
  const brakes = new Map<Env, BrakingFilter>();
  let closedBrakeTicks = 0;
  let tripped: SafetyEvent | undefined;
  const eventCounts: Record<string, number> = {};
  const sources: Record<string, number> = {};

  const filter: ActionFilter = {
    apply(_obs, action) {
      if (signals === undefined)
        throw new ConfigError("(fine-tune env)", "signals", "no state yet: wrap every env with tap()");
      for (let i = 0; i < proposed.length; i++) proposed[i] = action[i];
      simMs += periodMs;
      scheduler.advanceTo(simMs);
      const out = core.tick(simMs, signals);
      sources[out.source] = (sources[out.source] ?? 0) + 1;
      for (const e of out.events) {
        const key = `${e.monitor}:${e.severity}`;
        eventCounts[key] = (eventCounts[key] ?? 0) + 1;
        if (e.severity === "fatal" && tripped === undefined) tripped = e;
      }
      return out.action;
    },
    reset() {
      if (tripped !== undefined) return; // the latch stays: the run is over
      core.close();
      core = makeCore();
      shield.reset();
    },
    halted() {
      return tripped === undefined
        ? undefined
        : `e-stop: ${tripped.monitor}${tripped.key ? ` (${tripped.key})` : ""}: ${tripped.message}`;
    },
  };

  const tap = (env: Env): Env => {
    if (!hasSignals(env))
      throw new ConfigError(
        "(fine-tune env)",
        "signals",
        "the safety monitors need the robot's signal vector: the env must have signals() (MujocoEnv does)",
      );
    const brake =
      options.brake !== false && isMujocoEnv(env) ? new BrakingFilter(env, spec, shield.limits) : undefined;
    if (brake !== undefined) brakes.set(env, brake);
    const keep = (r: StepResult): StepResult => {
      signals = r.info.signals;
      shield.useBrake(brake);
      return r;
    };
    return {
      obsDim: env.obsDim,
      actDim: env.actDim,
      reset: async (seed) => {
        const obs = await env.reset(seed);
        signals = env.signals();
        shield.useBrake(brake);
        return obs;
      },
      step: async (a) => keep(await env.step(a)),
      close: () => {
        if (brake !== undefined) {
          closedBrakeTicks += brake.counts.braked;
          brake.close();
          brakes.delete(env);
        }
        return env.close();
      },
    };
  };

  return {
    filter,
    tap,
    eventCounts,
    sources,
    estop: () => tripped,
    brakeTicks: () => [...brakes.values()].reduce((n, b) => n + b.counts.braked, closedBrakeTicks),
    close: () => {
      core.close();
      shield.useBrake(undefined);
    },
  };
}
