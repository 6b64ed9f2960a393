/** Runs a policy for whole episodes in an Env (the trainer's periodic evaluation). */
import type { Env } from "../core/env.js";

export interface RolloutResult {
  returns: number[];
  lengths: number[];
}

/** A policy with memory (the Decision Transformer's context): told when episodes start and what each step paid. */
export interface EpisodeHooks {
  reset(): void;
  reward(r: number): void;
}

/** Episodes i = 0..n-1 reset with seed `seed + i`, so every evaluation sees the same start states. */
export async function rolloutEpisodes(
  env: Env,
  act: (obs: Float32Array) => Float32Array,
  episodes: number,
  seed: number,
  maxSteps = 100_000,
  hooks?: EpisodeHooks,
): Promise<RolloutResult> {
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let e = 0; e < episodes; e++) {
    hooks?.reset();
    let obs = await env.reset(seed + e);
    let total = 0;
    let t = 0;
    for (; t < maxSteps; t++) {
      const step = await env.step(act(obs));
      total += step.reward;
      hooks?.reward(step.reward);
      obs = step.observation;
      if (step.terminated || step.truncated) {
        t++;
        break;
      }
    }
    returns.push(total);
    lengths.push(t);
  }
  return { returns, lengths };
}
