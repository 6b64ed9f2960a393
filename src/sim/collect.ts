/**
 * collectEpisodes: whole behavior-controller episodes run inside worker threads, one message per episode.
 * Each episode's env and controller seeds are drawn up front from `seed`, so the result does not depend on
 * the number of workers or on which worker ran which episode.
 */
import { availableParallelism } from "node:os";
import { ConfigError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { levelQuality, type BehaviorLevel } from "../robot/behaviors/index.js";
import { loadRobot, type LoadedRobot } from "../robot/load.js";
import {
  controllerFactoryFor,
  runEpisode,
  type CollectedEpisode,
  type ControllerModuleSpec,
  type EpisodeJob,
} from "./episode-runner.js";
import { MujocoEnv } from "./mujoco-env.js";
import { startWorkers, type SimWorker } from "./worker-pool.js";

/** A fixed level or quality, or a quality rising linearly over the episodes (medium-replay-like data). */
export type BehaviorSpec = BehaviorLevel | { quality: number } | { qualityRamp: [number, number] };

export interface CollectOptions {
  robot: string | LoadedRobot;
  /** Behavior controller level (default "expert"). Ignored when `controller` is given. */
  behavior?: BehaviorSpec;
  /** A controller from your own module instead of the built-in behaviors. */
  controller?: ControllerModuleSpec;
  episodes: number;
  seed?: number;
  /** Worker threads; 0 runs in this thread. Default: min(2, cores). */
  workers?: number;
  /** Also return the signal vectors of every state (default false). */
  includeSignals?: boolean;
  /** Reuse these started workers (they stay running); overrides `workers`. */
  pool?: SimWorker[];
  /** Called as each episode arrives (in completion order). */
  onEpisode?: (episode: CollectedEpisode, done: number) => void;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

export function episodeJobs(behavior: BehaviorSpec, episodes: number, seed: number): EpisodeJob[] {
  const rng = new Rng(seed);
  const jobs: EpisodeJob[] = [];
  for (let index = 0; index < episodes; index++) {
    let quality: number;
    if (typeof behavior === "object" && "qualityRamp" in behavior) {
      const [from, to] = behavior.qualityRamp;
      quality = Math.min(1, Math.max(0, episodes > 1 ? from + ((to - from) * index) / (episodes - 1) : from));
    } else quality = levelQuality(behavior);
    jobs.push({ index, envSeed: rng.nextUint32(), controllerSeed: rng.nextUint32(), quality });
  }
  return jobs;
}

export async function collectEpisodes(options: CollectOptions): Promise<CollectedEpisode[]> {
  const robot = typeof options.robot === "string" ? loadRobot(options.robot) : options.robot;
  if (!Number.isInteger(options.episodes) || options.episodes < 0)
    throw new ConfigError("collectEpisodes", "episodes", "must be a non-negative integer", {
      actual: String(options.episodes),
    });
  const jobs = episodeJobs(options.behavior ?? "expert", options.episodes, options.seed ?? 0);
  const includeSignals = options.includeSignals ?? false;
  const workers = options.pool
    ? options.pool.length
    : Math.min(options.workers ?? defaultWorkers(), jobs.length);
  const results: CollectedEpisode[] = new Array(jobs.length);
  let done = 0;
  const deliver = (e: CollectedEpisode): void => {
    results[e.index] = e;
    done++;
    options.onEpisode?.(e, done);
  };

  if (workers <= 0) {
    const env = await MujocoEnv.create(robot);
    try {
      const make = await controllerFactoryFor(robot.dir, options.controller);
      for (const job of jobs) deliver(runEpisode(env, make(job), job, includeSignals));
    } finally {
      env.close();
    }
    return results;
  }

  const pool = options.pool ?? (await startWorkers(workers));
  try {
    let next = 0;
    await Promise.all(
      pool.map(async (worker) => {
        while (next < jobs.length) {
          const job = jobs[next++];
          await worker.request(
            {
              type: "episodes",
              robotDir: robot.dir,
              jobs: [job],
              includeSignals,
              controller: options.controller,
            },
            [],
            (msg) => {
              if (msg.type === "episode") deliver(msg.episode);
            },
          );
        }
      }),
    );
  } finally {
    if (!options.pool) await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}
