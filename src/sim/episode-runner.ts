/**
 * Runs whole episodes of a behavior controller in a MujocoEnv and returns them as columns. Used inside
 * vector-env workers (one message per episode) and in-process when `workers: 0`.
 */
import { loadRobot } from "../robot/load.js";
import { makeBehavior, type BehaviorController } from "../robot/behaviors/index.js";
import type { RobotSpec } from "../robot/spec.js";
import { NotAvailableError } from "../core/errors.js";
import type { MujocoEnv } from "./mujoco-env.js";

/** A controller from a user module: `export function <exportName>(spec, seed, options): BehaviorController`. */
export interface ControllerModuleSpec {
  /** Absolute file URL or path of an ES module (TypeScript works: workers load through tsx). */
  module: string;
  exportName?: string;
  options?: unknown;
}

export interface EpisodeJob {
  index: number;
  envSeed: number;
  controllerSeed: number;
  /** Behavior quality in [0, 1] (random = 0, medium = 0.5, expert = 1). Ignored with a controller module. */
  quality: number;
}

export interface CollectedEpisode {
  index: number;
  envSeed: number;
  controllerSeed: number;
  quality: number;
  length: number;
  /** Observation before each step, T × obsDim. */
  observations: Float32Array;
  /** Normalized actions actually applied (clipped to [-1, 1]), T × actDim. */
  actions: Float32Array;
  rewards: Float32Array;
  /** Observation after each step, T × obsDim. */
  nextObservations: Float32Array;
  /** 1 where the step entered a failure state (bootstrap stops). */
  terminals: Uint8Array;
  /** 1 where the time limit cut the episode (bootstrap continues). */
  timeouts: Uint8Array;
  /** Signal vectors of states s_0..s_T ((T + 1) × signalDim; row t+1's action block is a_t in actuator units). */
  signals?: Float64Array;
  /** Episode return (sum of rewards). */
  returns: number;
  /** Normalized score of the return, when the robot is calibrated. */
  normalizedScore?: number;
  /** Name of the termination condition that ended the episode, if any. */
  termination?: string;
}

export type ControllerFactory = (spec: RobotSpec, seed: number) => BehaviorController;

export async function controllerFactoryFor(
  robotDir: string,
  controller: ControllerModuleSpec | undefined,
): Promise<(job: EpisodeJob) => BehaviorController> {
  const { spec } = loadRobot(robotDir);
  if (!controller) return (job) => makeBehavior(spec, { quality: job.quality }, job.controllerSeed);
  const mod = (await import(controller.module)) as Record<string, unknown>;
  const exportName = controller.exportName ?? "createController";
  const factory = mod[exportName];
  if (typeof factory !== "function")
    throw new NotAvailableError(
      `controller ${controller.module}#${exportName}`,
      "the module does not export that function",
    );
  return (job) => factory(spec, job.controllerSeed, controller.options) as BehaviorController;
}

export function runEpisode(
  env: MujocoEnv,
  controller: BehaviorController,
  job: EpisodeJob,
  includeSignals: boolean,
): CollectedEpisode {
  const { obsDim, actDim, maxEpisodeSteps } = env;
  const sigDim = env.task.layout.size;
  const T = maxEpisodeSteps;
  const observations = new Float32Array(T * obsDim);
  const nextObservations = new Float32Array(T * obsDim);
  const actions = new Float32Array(T * actDim);
  const rewards = new Float32Array(T);
  const terminals = new Uint8Array(T);
  const timeouts = new Uint8Array(T);
  const signals = includeSignals ? new Float64Array((T + 1) * sigDim) : undefined;
  const action = new Float64Array(actDim);

  let obs = env.reset(job.envSeed);
  controller.reset(job.controllerSeed);
  let sig = env.signals();
  signals?.set(sig, 0);
  let ret = 0;
  let t = 0;
  let termination: string | undefined;
  while (t < T) {
    controller.act(sig, action);
    for (let i = 0; i < actDim; i++) action[i] = Math.min(1, Math.max(-1, action[i]));
    const r = env.step(action);
    observations.set(obs, t * obsDim);
    actions.set(action, t * actDim);
    rewards[t] = r.reward;
    nextObservations.set(r.observation, t * obsDim);
    terminals[t] = r.terminated ? 1 : 0;
    timeouts[t] = r.truncated ? 1 : 0;
    ret += r.reward;
    sig = r.info.signals;
    signals?.set(sig, (t + 1) * sigDim);
    obs = r.observation;
    t++;
    if (r.terminated || r.truncated) {
      termination = r.info.termination;
      break;
    }
  }
  return {
    index: job.index,
    envSeed: job.envSeed,
    controllerSeed: job.controllerSeed,
    quality: job.quality,
    length: t,
    observations: observations.slice(0, t * obsDim),
    actions: actions.slice(0, t * actDim),
    rewards: rewards.slice(0, t),
    nextObservations: nextObservations.slice(0, t * obsDim),
    terminals: terminals.slice(0, t),
    timeouts: timeouts.slice(0, t),
    signals: signals?.slice(0, (t + 1) * sigDim),
    returns: ret,
    normalizedScore: env.task.normalizedScore(ret),
    termination,
  };
}

/** Typed arrays of an episode, for zero-copy transfer between threads. */
export function episodeBuffers(e: CollectedEpisode): ArrayBuffer[] {
  const arrays = [
    e.observations,
    e.actions,
    e.rewards,
    e.nextObservations,
    e.terminals,
    e.timeouts,
    e.signals,
  ];
  return arrays.filter((a) => a !== undefined).map((a) => a.buffer as ArrayBuffer);
}
