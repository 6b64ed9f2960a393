/**
 * Runs N episodes of a robot in MujocoEnv through the SafetyCore (policy -> shield -> monitors), the same
 * tick the policy node runs, and writes an MCAP run log (/joint_states, the command topic, /diagnostics,
 * /clock). Used by sim-eval (mix = 1) and canary (policy mixed with the fallback at a fraction).
 *
 * Time: the monitors run on a manual clock advanced one control period per tick (sim time). Deadline misses
 * are measured on the wall clock: a tick whose policy + shield + monitors took longer than one control
 * period counts as a miss.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LoadedRobot } from "../../robot/load.js";
import { commandTopic } from "../../robot/spec.js";
import { Rng } from "../../core/rng.js";
import type { Controller } from "../../safety/fallback.js";
import type { Shield } from "../../safety/clamps/shield.js";
import { SafetyCore } from "../../safety/safety-core.js";
import { ClockScheduler } from "../../safety/loop/clock-scheduler.js";
import { toDiagnosticArray } from "../../safety/diagnostics.js";
import type { SafetyEvent } from "../../safety/events.js";
import { RunLogWriter } from "../../data/runlog/run-log-writer.js";
import { eventRecord, type SafetyEventRecord } from "../../report/run-summary.js";

export interface ShieldedEpisodesOptions {
  robot: LoadedRobot;
  shield: Shield;
  policy: Controller;
  fallback?: Controller;
  stateBox?: { lo: ArrayLike<number>; hi: ArrayLike<number> };
  episodes: number;
  seed: number;
  /** Fraction of ticks the policy acts (the rest the fallback acts through the same shield); default 1. */
  policyFraction?: number;
  /** MCAP file to write; none when undefined. */
  runLog?: string;
  stage: string;
  onEpisode?: (done: number, total: number) => void;
  /** Braking-aware limits by MuJoCo prediction as the shield's last step (default true). */
  brake?: boolean;
}

export interface ShieldedEpisodesResult {
  returns: number[];
  /** Normalized scores per episode, or undefined when the robot has no reference returns. */
  scores: number[] | undefined;
  estops: number;
  ticks: number;
  deadlineMisses: number;
  /** Mean distance of the policy's raw action to the support model (per tick, policy ticks only). */
  supportGap: number;
  gapSamples: number[];
  published: number;
  /** Canary: ticks the mix handed to the fallback (the shield still applied). */
  mixFallbackTicks: number;
  sources: Record<string, number>;
  /** Ticks the braking step replaced the command. */
  brakeTicks: number;
  events: SafetyEventRecord[];
  runLog?: string;
}

/**
 * Picks the policy on a `fraction` of ticks and the fallback otherwise (both behind the same shield). On the
 * fallback's ticks a policy with memory (a decision transformer) still takes the step (`observe`), so its
 * context holds every tick and the next one records the command the robot applied and its reward.
 */
export function mixedController(
  policy: Controller,
  fallback: Controller,
  fraction: number,
  rng: Rng,
  onFallback: () => void = () => undefined,
): Controller {
  const mixed: Controller = {
    act(obs, signals, out) {
      if (fraction >= 1 || rng.next() < fraction) policy.act(obs, signals, out);
      else {
        onFallback();
        policy.observe?.(obs, signals);
        fallback.act(obs, signals, out);
      }
    },
  };
  if (policy.observe) mixed.observe = (obs, signals) => policy.observe?.(obs, signals);
  return mixed;
}

export async function runShieldedEpisodes(options: ShieldedEpisodesOptions): Promise<ShieldedEpisodesResult> {
  const { robot } = options;
  const spec = robot.spec;
  const { MujocoEnv } = await import("../../sim/mujoco-env.js");
  const env = await MujocoEnv.create(robot, { seed: options.seed });
  const { BrakingFilter } = await import("../../sim/braking-filter.js");
  const brake = options.brake === false ? undefined : new BrakingFilter(env, spec, options.shield.limits);
  options.shield.useBrake(brake);
  const scheduler = new ClockScheduler(0);
  const rng = new Rng(options.seed + 101);
  const fraction = options.policyFraction ?? 1;
  let mixFallback = 0;
  const controller =
    fraction < 1 && options.fallback
      ? mixedController(options.policy, options.fallback, fraction, rng, () => mixFallback++)
      : options.policy;
  // One SafetyCore per episode: a reset robot is a fresh start for the monitors (watchdogs, rolling windows).
  const makeCore = (): SafetyCore =>
    new SafetyCore({
      spec,
      shield: options.shield,
      policy: controller,
      fallback: options.fallback,
      scheduler,
      stateBox: options.stateBox,
    });
  let core = makeCore();
  const task = core.task;
  const log = options.runLog
    ? await RunLogWriter.create(options.runLog, { metadata: { stage: options.stage, robot: spec.name } })
    : undefined;
  const cmdTopic = commandTopic(spec);
  const jointNames = spec.joints.map((j) => j.name);
  const nj = jointNames.length;
  const layout = task.layout;
  const periodMs = core.periodMs;
  const returns: number[] = [];
  const events: SafetyEventRecord[] = [];
  const gapSamples: number[] = [];
  const sources: Record<string, number> = {};
  let ticks = 0;
  let misses = 0;
  let published = 0;
  let estops = 0;
  let gapSum = 0;
  let simMs = 0;
  const recordEvents = (list: readonly SafetyEvent[], tNs: bigint): void => {
    for (const e of list) {
      events.push(eventRecord(e, options.stage));
    }
    if (log && list.length > 0)
      log.diagnostics(tNs, toDiagnosticArray(list, Number(tNs) * 1e-9, spec.name).status);
  };
  try {
    for (let ep = 0; ep < options.episodes; ep++) {
      if (ep > 0) core = makeCore();
      options.policy.reset?.(); // a decision transformer's context starts empty
      env.reset(options.seed * 1000 + ep);
      let ret = 0;
      for (let t = 0; t < env.maxEpisodeSteps; t++) {
        simMs += periodMs;
        scheduler.advanceTo(simMs);
        const tNs = BigInt(Math.round(simMs * 1e6));
        const sig = env.signals();
        const wall = performance.now();
        const out = core.tick(simMs, sig);
        if (performance.now() - wall > periodMs) misses++;
        ticks++;
        sources[out.source] = (sources[out.source] ?? 0) + 1;
        if (out.source === "policy") {
          gapSum += out.supportGap;
          gapSamples.push(out.supportGap);
        }
        if (out.events.length > 0) recordEvents(out.events, tNs);
        if (log) {
          log.clock(tNs);
          log.jointState(
            tNs,
            jointNames,
            sig.subarray(layout.position, layout.position + nj),
            sig.subarray(layout.velocity, layout.velocity + nj),
            sig.subarray(layout.effort, layout.effort + nj),
          );
        }
        if (out.publish) {
          published++;
          log?.command(cmdTopic, tNs, out.command);
        }
        const step = env.stepActuators(out.command);
        ret += step.reward;
        if (step.terminated || step.truncated) break;
      }
      // The last command's outcome: a decision transformer's return-to-go ends at its target less `ret`.
      options.policy.finish?.(env.signals());
      if (core.estop.engaged) estops++;
      core.close();
      returns.push(ret);
      options.onEpisode?.(ep + 1, options.episodes);
    }
  } finally {
    core.close();
    options.shield.useBrake(undefined);
    brake?.close();
    env.close();
    if (log) await log.close();
  }
  const scores = returns.map((r) => task.normalizedScore(r));
  return {
    returns,
    scores: scores.every((s): s is number => s !== undefined) ? scores : undefined,
    estops,
    ticks,
    deadlineMisses: misses,
    supportGap: gapSamples.length > 0 ? gapSum / gapSamples.length : 0,
    gapSamples: thin(gapSamples, 2000),
    published,
    mixFallbackTicks: mixFallback,
    sources,
    brakeTicks: brake?.counts.braked ?? 0,
    events,
    runLog: options.runLog,
  };
}

/** At most `max` evenly spaced samples (the report's histogram does not need every tick). */
export function thin(values: number[], max: number): number[] {
  if (values.length <= max) return values;
  const out: number[] = [];
  const stride = values.length / max;
  for (let i = 0; i < max; i++) out.push(values[Math.floor(i * stride)]);
  return out;
}

/** `<dir>/<stage>-<version>.mcap`, or `-2`, `-3`, ... when a run of the same stage left one there. */
export function runLogPath(dir: string, stage: string, version: string): string {
  for (let i = 1; ; i++) {
    const file = join(dir, `${stage}-${version}${i === 1 ? "" : `-${i}`}.mcap`);
    if (!existsSync(file)) return file;
  }
}
