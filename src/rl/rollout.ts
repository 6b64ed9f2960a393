/** Runs a policy for whole episodes in an Env (the trainer's periodic evaluation). */
import type { Env } from "../core/env.js";

export interface RolloutResult {
  returns: number[];
  lengths: number[];
}

/** Episodes i = 0..n-1 reset with seed `seed + i`, so every evaluation sees the same start states. */
export async function rolloutEpisodes(
  env: Env,
  act: (obs: Float32Array) => Float32Array,
  episodes: number,
  seed: number,
  maxSteps = 100_000,
): Promise<RolloutResult> {
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let e = 0; e < episodes; e++) {
    let obs = await env.reset(seed + e);
    let total = 0;
    let t = 0;
    for (; t < maxSteps; t++) {
      const step = await env.step(act(obs));
      total += step.reward;
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
