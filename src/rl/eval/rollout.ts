/**
 * Runs a deterministic policy for whole episodes in any `Env` (MujocoEnv here, a topic-backed env on a
 * robot) and collects per-episode returns, lengths, normalized scores, and every action taken and state
 * visited (for support diagnostics).
 */
import { ShapeMismatchError, TetherError } from "../../core/errors.js";
import type { Env } from "../../core/env.js";

export interface RolloutOptions {
  episodes: number;
  /** Episode k resets with seed `seed + k`. */
  seed: number;
  /** Safety net against envs that never end; defaults to 100000 steps. */
  maxSteps?: number;
  /** Maps an episode return to a normalized score (robot reference returns), if calibrated. */
  normalizedScore?: (episodeReturn: number) => number | undefined;
  onEpisode?: (e: EpisodeSummary) => void;
  /** A policy with memory (a decision transformer's context): told of each episode start and reward. */
  episodeHooks?: { reset(): void; reward(r: number): void };
}

export interface EpisodeSummary {
  index: number;
  return: number;
  length: number;
  normalizedScore?: number;
  termination?: string;
}

export interface RolloutResult {
  episodes: EpisodeSummary[];
  /** Observations where the policy acted (steps × obsDim) and the actions it took (steps × actDim). */
  observations: Float32Array;
  actions: Float32Array;
  steps: number;
}

export type PolicyFn = (obs: Float32Array, out: Float32Array) => void;

export async function rolloutPolicy(
  env: Env,
  act: PolicyFn,
  options: RolloutOptions,
): Promise<RolloutResult> {
  if (!Number.isInteger(options.episodes) || options.episodes < 1) {
    throw new TetherError("CLI", `episodes must be a positive integer, got ${options.episodes}`);
  }
  const maxSteps = options.maxSteps ?? 100_000;
  const obsRows: Float32Array[] = [];
  const actRows: Float32Array[] = [];
  const episodes: EpisodeSummary[] = [];
  for (let k = 0; k < options.episodes; k++) {
    options.episodeHooks?.reset();
    let obs = await env.reset(options.seed + k);
    if (obs.length !== env.obsDim) throw new ShapeMismatchError("env observation", env.obsDim, obs.length);
    let ret = 0;
    let length = 0;
    let termination: string | undefined;
    for (;;) {
      const action = new Float32Array(env.actDim);
      act(obs, action);
      obsRows.push(obs);
      actRows.push(action);
      const step = await env.step(action);
      ret += step.reward;
      options.episodeHooks?.reward(step.reward);
      length++;
      obs = step.observation;
      if (step.terminated) termination = step.info.termination ?? "terminated";
      if (step.terminated || step.truncated) break;
      if (length >= maxSteps) {
        throw new TetherError(
          "EPISODE_TOO_LONG",
          `episode ${k} ran ${maxSteps} steps without terminating or truncating`,
          { episode: k },
        );
      }
    }
    const summary: EpisodeSummary = {
      index: k,
      return: ret,
      length,
      normalizedScore: options.normalizedScore?.(ret),
      termination,
    };
    episodes.push(summary);
    options.onEpisode?.(summary);
  }
  const steps = obsRows.length;
  const observations = new Float32Array(steps * env.obsDim);
  const actions = new Float32Array(steps * env.actDim);
  for (let i = 0; i < steps; i++) {
    observations.set(obsRows[i], i * env.obsDim);
    actions.set(actRows[i], i * env.actDim);
  }
  return { episodes, observations, actions, steps };
}
