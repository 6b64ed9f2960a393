/**
 * Online fine-tuning as a library (no ROS, no safety imports): a Learner restored from its offline
 * checkpoint acts in any `Env`; every action — exploration and evaluation alike — passes an `ActionFilter`
 * (the Shield, injected by the caller) before it reaches the env, and the loop re-checks each filtered
 * action against the limits, counting any violation instead of sending it. Online transitions (with the
 * action actually executed) go into a MixedReplayBuffer; updates run at `updatesPerStep` per env step;
 * the deterministic policy is evaluated every `evalEvery` env steps (and at step 0 and at the end).
 * A filter that halts (an e-stop latched behind it) ends the run right after the action that tripped it:
 * no further action, no update and no evaluation; the evaluation it interrupted is not recorded.
 */
import { setImmediate as yieldOnce } from "node:timers/promises";
import { TetherError } from "../../core/errors.js";
import type { Env } from "../../core/env.js";
import { Rng } from "../../core/rng.js";
import type { TransitionColumns } from "../../core/transitions.js";
import type { Learner, Metrics } from "../algos/learner.js";
import type { SamplerExtras } from "../replay.js";
import { bootstrapMeanCI } from "../eval/bootstrap.js";
import { MixedReplayBuffer } from "./mixed-buffer.js";

/** What the loop needs from a safety shield: a safe normalized action for an observation and a raw action. */
export interface ActionFilter {
  apply(obs: Float32Array, action: Float32Array): ArrayLike<number>;
  /** Called at every episode start (rate-limit memory). */
  reset?(): void;
  /** Why the filter refuses any further action (e.g. the e-stop latched), or undefined; checked after each action. */
  halted?(): string | undefined;
}

/** Thrown inside the loop when the filter halts; caught by runFinetuneLoop, never escapes it. */
class Halted extends Error {}

export interface FinetuneOptions {
  /** Env steps of online interaction (evaluation steps not included). */
  envSteps: number;
  /** Fraction of each batch from the offline dataset, [0, 1]. */
  ratio: number;
  /** Learner updates per env step; fractions accumulate (0.25 = one update every 4 steps). */
  updatesPerStep: number;
  /** Evaluate every N env steps (0: only at the start and the end). */
  evalEvery: number;
  evalEpisodes: number;
  batchSize: number;
  seed: number;
  /** Std of the Gaussian exploration noise added to the policy's action (normalized units), before the filter. */
  explorationStd: number;
  /** Online buffer capacity; default envSteps. */
  onlineCapacity?: number;
  /**
   * Default true: a learner with an online BC schedule (ReBRAC) relaxes its BC weights over the run's updates.
   * False keeps the offline weights, so an offline-only run (ratio 1) is the offline algorithm trained longer.
   */
  bcDecay?: boolean;
  /** Columns beyond the transition the learner's batches carry (registry.samplerExtras), online rows included. */
  extras?: SamplerExtras;
  /** Maps an episode return to a normalized score; without it the curve holds raw returns. */
  normalizedScore?: (episodeReturn: number) => number | undefined;
  /** The limit check of an action about to reach the env; default: finite and inside [-1, 1]. */
  withinLimits?: (action: Float32Array) => boolean;
  onEval?: (point: CurvePoint, learner: Learner) => void | Promise<void>;
  onProgress?: (envStep: number, updates: number, metrics: Metrics) => void;
  /** Polled between env steps; true ends the run early (node shutdown). */
  shouldStop?: () => boolean;
}

export interface CurvePoint {
  env_step: number;
  updates: number;
  /** Mean normalized score (or mean return when the robot has no reference returns). */
  score: number;
  ci_low: number;
  ci_high: number;
  mean_return: number;
  episodes: number;
  /** Per-episode scores in evaluation-seed order (the same seeds at every point and in every run with this seed), for paired comparisons. */
  scores: number[];
}

export interface FinetuneLoopResult {
  curve: CurvePoint[];
  envSteps: number;
  updates: number;
  trainEpisodes: number;
  /** Actions the filter changed (any dimension differs from the proposed action). */
  filtered: number;
  /** Filtered actions that still failed the limit check; they were not sent (must be 0). */
  violations: number;
  /** Actions sent to the env (training + evaluation). */
  actionsSent: number;
  lastMetrics: Metrics;
  /** The filter's halt reason when it ended the run early (see ActionFilter.halted). */
  halted?: string;
}

export async function runFinetuneLoop(
  env: Env,
  learner: Learner,
  filter: ActionFilter,
  offline: TransitionColumns,
  options: FinetuneOptions,
  evalEnv: Env = env,
): Promise<FinetuneLoopResult> {
  checkOptions(options);
  const rng = new Rng(options.seed);
  const sampleRng = rng.fork();
  const actDim = env.actDim;
  const buffer = new MixedReplayBuffer(
    offline,
    options.onlineCapacity ?? Math.max(1, options.envSteps),
    options.ratio,
    options.batchSize,
    options.extras,
  );
  // The updates the whole budget owes, known up front (ReBRAC's BC decay runs over them); a plan of 0
  // updates keeps the offline BC weights, also when the learner was restored mid-schedule from a version.
  const planned = Math.floor(options.envSteps * options.updatesPerStep + 1e-9);
  learner.beginFinetune?.({ updates: options.bcDecay === false ? 0 : planned });
  const withinLimits = options.withinLimits ?? inUnitBox;
  const safe = new Float32Array(actDim);
  const counts = { filtered: 0, violations: 0, sent: 0 };

  /** Filter, re-check, count; returns the action to send (the last safe one when the check fails). */
  const shielded = (obs: Float32Array, proposed: Float32Array): Float32Array => {
    const out = filter.apply(obs, proposed);
    const candidate = Float32Array.from(out);
    let changed = false;
    for (let i = 0; i < actDim; i++) if (!Object.is(candidate[i], proposed[i])) changed = true;
    if (changed) counts.filtered++;
    if (candidate.length !== actDim || !withinLimits(candidate)) {
      counts.violations++;
      return safe.slice();
    }
    safe.set(candidate);
    counts.sent++;
    return candidate;
  };
  /** After an action reached the env: a halted filter ends the run. */
  const checkHalt = (): void => {
    if (filter.halted?.() !== undefined) throw new Halted();
  };

  const evaluate = async (envStep: number, updates: number): Promise<CurvePoint> => {
    const returns: number[] = [];
    const scores: number[] = [];
    for (let k = 0; k < options.evalEpisodes; k++) {
      filter.reset?.();
      safe.fill(0);
      let obs: Float32Array = await evalEnv.reset(1_000_000 + options.seed * 1000 + k);
      let ret = 0;
      for (let t = 0; ; t++) {
        const a = learner.act(obs);
        const step = await evalEnv.step(shielded(obs, a));
        checkHalt();
        ret += step.reward;
        obs = step.observation;
        if (step.terminated || step.truncated) break;
        if (t > 1_000_000)
          throw new TetherError("EPISODE_TOO_LONG", "evaluation episode never ended", { envStep });
      }
      returns.push(ret);
      const s = options.normalizedScore?.(ret);
      scores.push(s ?? ret);
    }
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const ci =
      scores.length >= 2
        ? bootstrapMeanCI(scores, { seed: options.seed + envStep, resamples: 2000 })
        : { low: mean, high: mean };
    const point: CurvePoint = {
      env_step: envStep,
      updates,
      score: mean,
      ci_low: ci.low,
      ci_high: ci.high,
      mean_return: returns.reduce((a, b) => a + b, 0) / returns.length,
      episodes: returns.length,
      scores,
    };
    curve.push(point);
    await options.onEval?.(point, learner);
    return point;
  };

  const curve: CurvePoint[] = [];
  let updates = 0;
  let lastMetrics: Metrics = {};
  let episodes = 0;
  let needReset = true;
  let obs: Float32Array = new Float32Array(env.obsDim);
  let step = 0;
  /** Env steps taken (a halt inside an evaluation or right after a step leaves `step` behind). */
  let done = 0;
  try {
    await evaluate(0, 0);
    for (; step < options.envSteps; step++) {
      // A synchronous env resolves its awaits as microtasks, which never let signal handlers, timers or an
      // rclnodejs executor run: one event-loop turn per step lets SIGINT reach shouldStop and the node answer.
      await yieldOnce();
      if (options.shouldStop?.()) break;
      if (needReset) {
        filter.reset?.();
        safe.fill(0);
        obs = await env.reset(options.seed * 1_000_003 + episodes);
        needReset = false;
      }
      const proposed = learner.act(obs);
      if (options.explorationStd > 0)
        for (let i = 0; i < actDim; i++) proposed[i] += rng.normal(0, options.explorationStd);
      const action = shielded(obs, proposed);
      const result = await env.step(action);
      done = step + 1;
      checkHalt();
      buffer.add(
        obs,
        action,
        result.reward,
        result.observation,
        result.terminated,
        result.terminated || result.truncated,
      );
      obs = result.observation;
      if (result.terminated || result.truncated) {
        episodes++;
        needReset = true;
      }
      // Updates owed after step+1 env steps (no float drift from summing fractions).
      const owed = Math.floor((step + 1) * options.updatesPerStep + 1e-9);
      while (updates < owed) {
        lastMetrics = learner.update(buffer.sample(sampleRng));
        updates++;
      }
      options.onProgress?.(step + 1, updates, lastMetrics);
      if (options.evalEvery > 0 && (step + 1) % options.evalEvery === 0 && step + 1 < options.envSteps) {
        await evaluate(step + 1, updates);
        if (evalEnv === env && !needReset) {
          // The evaluation reset the shared env: the training episode is cut here.
          buffer.endEpisode();
          needReset = true;
        }
      }
    }
    if (curve.at(-1)?.env_step !== done) await evaluate(done, updates);
  } catch (err) {
    if (!(err instanceof Halted)) throw err;
  }
  const halted = filter.halted?.();
  return {
    curve,
    envSteps: done,
    updates,
    trainEpisodes: episodes,
    filtered: counts.filtered,
    violations: counts.violations,
    actionsSent: counts.sent,
    lastMetrics,
    ...(halted !== undefined ? { halted } : {}),
  };
}

function inUnitBox(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!(a[i] >= -1 && a[i] <= 1)) return false;
  return true;
}

function checkOptions(o: FinetuneOptions): void {
  const int = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min)
      throw new TetherError("CLI", `${name} must be an integer >= ${min}, got ${v}`, { [name]: v });
  };
  int("--env-steps", o.envSteps, 1);
  int("--eval-every", o.evalEvery, 0);
  int("--eval-episodes", o.evalEpisodes, 1);
  int("--batch-size", o.batchSize, 1);
  if (!(o.updatesPerStep >= 0 && Number.isFinite(o.updatesPerStep)))
    throw new TetherError("CLI", `--updates-per-step must be >= 0, got ${o.updatesPerStep}`);
  if (!(o.explorationStd >= 0 && Number.isFinite(o.explorationStd)))
    throw new TetherError("CLI", `--exploration-std must be >= 0, got ${o.explorationStd}`);
}
